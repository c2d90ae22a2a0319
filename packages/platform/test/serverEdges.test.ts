/**
 * What a client sees at the edges of HTTP, on a real socket: slow or malformed requests, requests
 * during shutdown, a trailing slash, and where metrics are served. Every error answer has the
 * documented `{ error, details }` body.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayTimeoutError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { createServer, type AppServer } from '../src/server.js';

const logger = createLogger('edges', 'silent');
const httpConfig = {
  HOST: '127.0.0.1',
  METRICS_PORT: 0,
  HEADERS_TIMEOUT_MS: 1_000,
  REQUEST_TIMEOUT_MS: 1_500,
  KEEP_ALIVE_TIMEOUT_MS: 1_000,
};

const servers: AppServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(config: Partial<typeof httpConfig> = {}) {
  const app = createServer({ service: 'edges', logger, config: { ...httpConfig, ...config } });
  app.get('/things', async () => [{ name: 'a' }]);
  app.get('/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => ({
    id: request.params.id,
  }));
  app.post('/things', { schema: { body: z.strictObject({ name: z.string() }) } }, async (request) => request.body);
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  });
  app.get('/upstream-timeout', async () => {
    throw new GatewayTimeoutError('Upstream service x did not answer within 5 ms');
  });
  servers.push(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, port: Number(new URL(url).port) };
}

/** Writes `request` raw on a socket and answers what the server sent back before closing, and when. */
function raw(port: number, request: string, options: { keepOpen?: boolean } = {}) {
  return new Promise<{ text: string; ms: number }>((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!options.keepOpen && /\r\n\r\n/.test(text) && /content-length: (\d+)/i.test(text)) {
        const length = Number(/content-length: (\d+)/i.exec(text)![1]);
        if (text.length - text.indexOf('\r\n\r\n') - 4 >= length) socket.end();
      }
    });
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    socket.on('error', reject);
    setTimeout(() => socket.destroy(), 10_000);
  });
}

function parse(text: string) {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const status = Number(head.split(' ')[1]);
  const headers = Object.fromEntries(
    head
      .split('\r\n')
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status, headers, body: JSON.parse(body) as { error: string; details: unknown[] } };
}

const standard = { error: expect.any(String), details: expect.any(Array) };

describe('slow clients', () => {
  it('answers 408 in the standard body when the headers do not arrive in time', async () => {
    const { port } = await start();
    const { text, ms } = await raw(port, 'GET /things HTTP/1.1\r\nHost: x\r\n');
    const answer = parse(text);
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual(standard);
    expect(answer.body.error).toMatch(/1000 ms/);
    expect(ms).toBeLessThan(5_000);
  });

  it('answers 408 in the standard body when a request body never completes', async () => {
    const { port } = await start();
    const { text, ms } = await raw(
      port,
      'POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":',
    );
    const answer = parse(text);
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual(standard);
    expect(ms).toBeLessThan(6_000);
  });

  it('closes an idle keep-alive connection after its timeout', async () => {
    const { port } = await start();
    const { text, ms } = await raw(port, 'GET /things HTTP/1.1\r\nHost: x\r\n\r\n', { keepOpen: true });
    expect(text).toMatch(/^HTTP\/1.1 200/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('one error body for the errors Fastify and Node answer themselves', () => {
  it('a malformed request line: 400', async () => {
    const { port } = await start();
    const answer = parse((await raw(port, 'GET /things HTTP/1.1 nonsense\r\n\r\n')).text);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(standard);
  });

  it('headers too large: 431', async () => {
    const { port } = await start();
    const answer = parse(
      (await raw(port, `GET /things HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).text,
    );
    expect(answer.status).toBe(431);
    expect(answer.body).toEqual(standard);
  });

  it('a path parameter longer than the router takes: 414', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/things/${'1'.repeat(120)}`);
    expect(response.status).toBe(414);
    expect(await response.json()).toEqual(standard);
  });

  it('a malformed URL component: 400', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/things/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(standard);
  });

  it('a 504 carries Retry-After like a 503', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/upstream-timeout`);
    expect(response.status).toBe(504);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toEqual(standard);
  });

  it('a request that arrives while the server closes: 503 with Retry-After', async () => {
    const { app, port } = await start();
    // One keep-alive connection, busy with a slow request when the server starts closing.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = app.close();
    socket.write('GET /things HTTP/1.1\r\nHost: x\r\n\r\n');
    await closing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const second = text.slice(text.indexOf('HTTP/1.1', 10));
    const answer = parse(second.slice(0, second.indexOf('}') + 1));
    expect(text).toMatch(/^HTTP\/1.1 200/);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body).toEqual(standard);
  });
});

describe('paths', () => {
  it('takes a trailing slash for the same path', async () => {
    const { url } = await start();
    expect(await (await fetch(`${url}/things/`)).json()).toEqual([{ name: 'a' }]);
    expect(await (await fetch(`${url}/things/?x=1`)).json()).toEqual([{ name: 'a' }]);
    const posted = await fetch(`${url}/things/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"b"}',
    });
    expect(posted.status).toBe(200);
  });
});

describe('metrics', () => {
  it('are served on their own port, not on the service port', async () => {
    const { app, url } = await start();
    await fetch(`${url}/things`);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const metricsUrl = app.metricsUrl();
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await fetch(metricsUrl!);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/things"/);
    await app.close();
    await expect(fetch(metricsUrl!)).rejects.toThrow();
  });
});
