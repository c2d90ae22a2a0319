import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { createEmbeddedQueue, type MessageQueue } from '@shipshape/queue';
import { createGatewayService, gatewayConfigSchema } from '../src/service.js';

export interface TestQueue {
  queue: MessageQueue;
  close(): Promise<void>;
}

/** A real durable queue that needs no broker: the embedded adapter on an in-memory PGlite. */
export async function startEmbeddedQueue(): Promise<TestQueue> {
  const db = await createPgliteDb();
  const queue = await createEmbeddedQueue(db);
  return {
    queue,
    async close() {
      await queue.close();
      await db.close();
    },
  };
}

export interface RunningGateway {
  url: string;
  service: Service;
  /** Closes the gateway (and the embedded queue when the helper created it). */
  close(): Promise<void>;
}

/**
 * Starts the gateway on a free port with `env` as its environment. Without `queue` it publishes to an
 * embedded queue on an in-memory PGlite (a real durable queue, no broker needed).
 */
export async function startGateway(
  env: Record<string, string>,
  options: { queue?: MessageQueue } = {},
): Promise<RunningGateway & { queue: MessageQueue }> {
  const ownQueue = options.queue ? undefined : await startEmbeddedQueue();
  const queue = options.queue ?? ownQueue!.queue;
  const config = parseConfig(gatewayConfigSchema, { LOG_LEVEL: 'silent', METRICS_PORT: '0', ...env });
  const service = await createGatewayService({ config, queue, logger: createLogger('gateway', config.LOG_LEVEL) });
  const url = await service.start(0, '127.0.0.1');
  return {
    url,
    service,
    queue,
    async close() {
      await service.close();
      await ownQueue?.close();
    },
  };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface TestUpstream {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server standing in for inventory or billing: it records what it receives and answers
 * with `respond` (by default, 200 and a JSON echo of the request).
 */
export async function startUpstream(
  respond: (request: ReceivedRequest, response: http.ServerResponse) => void = echo,
): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      respond(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function echo(request: ReceivedRequest, response: http.ServerResponse): void {
  if (request.url === '/health') {
    response.setHeader('content-type', 'application/json');
    response.end('{"status":"ok"}');
    return;
  }
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify({ method: request.method, url: request.url }));
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** fetch with a JSON body (a string is sent as is), answering the parsed body when it is JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(base + path, init);
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, body: json, text };
}
