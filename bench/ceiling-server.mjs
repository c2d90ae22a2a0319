/**
 * The ceiling: a bare node:http server answering a fixed JSON body about the size of a movie. It runs
 * in its own process (started by lib/ceiling.mjs with fork) so that it does not share an event loop
 * with the load generator, just as the gateway does not.
 */
import http from 'node:http';

const body = Buffer.from(
  JSON.stringify({ id: 1, title: 'The Ceiling', description: 'A bare node:http server answering a fixed JSON body.' }),
);

const server = http.createServer((request, response) => {
  // Drain the request like any server would, then answer the same bytes every time.
  request.resume();
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});

// The harness owns this process: when it goes away (Ctrl-C, crash), so does the ceiling.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
