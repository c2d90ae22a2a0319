import { fastifySSE } from '@fastify/sse';
import { RESULTS_EVENT, resultsSchema, type Poll } from '@shipshape/contracts';
import { NotAcceptableError, type AppServer } from '@shipshape/platform';
import type { VotesStore } from '@shipshape/votestore';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { coalesce } from './coalesce.js';
import { resultsOf, type ResultsFeed } from './resultsFeed.js';

/**
 * True unless `accept` names media types and none of them admits `text/event-stream` (a `q=0` refuses).
 * Checked before @fastify/sse's own gate, whose 406 body is not the `{ error, details }` of every answer.
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    if (quality !== undefined && Number(quality.slice(2)) === 0) return false;
    return type === 'text/event-stream' || type === 'text/*' || type === '*/*';
  });
}

async function refuseOtherMediaTypes(request: FastifyRequest): Promise<void> {
  if (!acceptsEventStream(request.headers.accept)) {
    throw new NotAcceptableError('This stream is text/event-stream; the Accept header refuses it', [
      { path: 'headers.accept', message: 'must admit text/event-stream' },
    ]);
  }
}

export interface ResultRouteOptions {
  poll: Poll;
  votes: VotesStore;
  feed: ResultsFeed;
  minIntervalMs: number;
  heartbeatMs: number;
}

/**
 * `GET /results` (one query: a row per option) and `GET /results/stream`, which the gateway reaches
 * for `/api/results` and `/api/results/stream`. Every stream is ended before the server closes, or
 * closing would wait for clients that never leave.
 */
export async function registerResultRoutes(app: AppServer, options: ResultRouteOptions): Promise<void> {
  const { poll, votes, feed, minIntervalMs, heartbeatMs } = options;
  await app.register(fastifySSE, { heartbeatInterval: heartbeatMs });
  const streams = new Set<FastifyReply>();
  app.addHook('preClose', async () => {
    for (const reply of streams) await reply.sse.close();
  });

  app.get('/results', { schema: { response: { 200: resultsSchema } } }, async () =>
    resultsOf(poll, await votes.counts()),
  );

  app.get('/results/stream', { sse: 'only', preHandler: refuseOtherMediaTypes }, async (request, reply) => {
    reply.sse.keepAlive();
    // Tells nginx (and proxies that follow it) not to buffer the stream.
    reply.header('x-accel-buffering', 'no');
    reply.header('cache-control', 'no-cache');
    const sender = coalesce(
      (results: unknown) => reply.sse.send({ event: RESULTS_EVENT, data: results }),
      minIntervalMs,
    );
    const unsubscribe = feed.subscribe((results) => sender.push(results));
    streams.add(reply);
    reply.sse.onClose(() => {
      // Forgotten at once: no further read or write is done for a client that has gone.
      unsubscribe();
      sender.cancel();
      streams.delete(reply);
      request.log.debug({ clients: feed.subscribers }, 'results stream closed');
    });
    sender.push(feed.current());
  });
}
