import type { IncomingHttpHeaders } from 'node:http';
import { TOTAL_COUNT_HEADER } from '@shipshape/contracts';
import { GatewayTimeoutError, REQUEST_ID_HEADER, ServiceUnavailableError } from '@shipshape/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Pool, type Dispatcher } from 'undici';

export interface UpstreamOptions {
  /** Named in errors and readiness: `inventory`, `billing`. */
  name: string;
  /** Origin of the upstream service (`http://host:port`); a path in it is ignored. */
  url: string;
  /** Bounds connecting, waiting for the response headers, and each gap while the body arrives. */
  timeoutMs: number;
  /** Most keep-alive connections kept to the upstream. */
  connections: number;
  /** What a client is told to wait (`Retry-After`) when the upstream is down. */
  retryAfterSeconds: number;
}

/** An upstream's answer as the gateway passes it on: status, the headers a client needs, body bytes. */
export interface UpstreamAnswer {
  statusCode: number;
  headers: Partial<Record<(typeof PASSED_HEADERS)[number], string | string[]>>;
  /** Undefined when the answer has none (204). */
  body: Buffer | string | undefined;
}

/** An upstream HTTP service the gateway forwards requests to, over a keep-alive connection pool. */
export interface Upstream {
  readonly name: string;
  /**
   * Sends `request` to `path` (with its query string) on the upstream and answers `reply` with the
   * upstream's status, body bytes and the headers a client needs. Never throws: a failure reaches
   * `reply` as a 503 (upstream down) or 504 (upstream too slow).
   */
  forward(request: FastifyRequest, reply: FastifyReply, path: string, body?: Buffer): void;
  /**
   * GETs `path` on the upstream for the gateway itself. Rejects, as `forward` answers, with a 503 or
   * 504 error when the upstream is down or too slow; any status the upstream answers resolves.
   */
  get(path: string, headers: Record<string, string>): Promise<UpstreamAnswer>;
  /** POSTs a JSON `body` to `path` for the gateway itself; settles as `get` does. */
  post(path: string, body: Buffer, headers: Record<string, string>): Promise<UpstreamAnswer>;
  /** Resolves when the upstream answers `GET /health` with a 2xx; for the gateway's `/ready`. */
  check(): Promise<void>;
  /** Waits for in-flight requests, then closes the pool's connections. */
  close(): Promise<void>;
}

/** Upstream response headers a client of the gateway sees; everything else is the gateway's own. */
const PASSED_HEADERS = ['content-type', TOTAL_COUNT_HEADER, 'retry-after'] as const;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The error a client gets when `error` stopped a request to the upstream: 504 when too slow, else 503. */
export function upstreamFailure(
  error: Error,
  { name, timeoutMs, retryAfterSeconds }: Pick<UpstreamOptions, 'name' | 'timeoutMs' | 'retryAfterSeconds'>,
): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new GatewayTimeoutError(`Upstream service ${name} did not answer within ${timeoutMs} ms`, [], {
      cause: error,
      retryAfterSeconds,
    });
  }
  // Refused, reset, unreachable or closed mid-answer: the service is (for now) not there.
  const reason = typeof code === 'string' && code.startsWith('E') ? ` (${code})` : '';
  return new ServiceUnavailableError(`Upstream service ${name} is unavailable${reason}`, retryAfterSeconds, {
    cause: error,
  });
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const { name, timeoutMs } = options;
  const origin = new URL(options.url).origin;
  const pool = new Pool(origin, {
    connections: options.connections,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  const failure = (error: Error) => upstreamFailure(error, options);

  return {
    name,
    forward(request, reply, path, body) {
      // HEAD is answered from a GET so that Content-Length matches the body a GET would get.
      const method = request.method === 'HEAD' ? 'GET' : (request.method as Dispatcher.HttpMethod);
      const headers =
        body === undefined
          ? [REQUEST_ID_HEADER, request.id]
          : [REQUEST_ID_HEADER, request.id, 'content-type', JSON_CONTENT_TYPE];
      pool.dispatch(
        { path, method, headers, body: body ?? null },
        new CollectingHandler(
          (answer) => sendAnswer(reply, answer),
          (error) => {
            if (!reply.sent) reply.send(failure(error));
          },
        ),
      );
    },
    get(path, headers) {
      return new Promise((resolve, reject) => {
        pool.dispatch(
          { path, method: 'GET', headers, body: null },
          new CollectingHandler(resolve, (error) => reject(failure(error))),
        );
      });
    },
    post(path, body, headers) {
      return new Promise((resolve, reject) => {
        pool.dispatch(
          { path, method: 'POST', headers: { ...headers, 'content-type': JSON_CONTENT_TYPE }, body },
          new CollectingHandler(resolve, (error) => reject(failure(error))),
        );
      });
    },
    async check() {
      const { statusCode, body } = await pool.request({ path: '/health', method: 'GET' });
      await body.dump();
      if (statusCode < 200 || statusCode >= 300) throw new Error(`${name} answered ${statusCode} to /health`);
    },
    async close() {
      await pool.close();
    },
  };
}

/** Answers `reply` with an upstream's answer as it is: the gateway neither parses nor re-serialises it. */
export function sendAnswer(reply: FastifyReply, { statusCode, headers, body }: UpstreamAnswer): void {
  reply.code(statusCode);
  for (const header of PASSED_HEADERS) {
    const value = headers[header];
    if (value !== undefined) reply.header(header, value);
  }
  reply.send(body);
}

/**
 * Collects one upstream response. A plain handler object rather than undici's `request()` keeps the
 * per-request cost to this object (no stream, no promise).
 */
class CollectingHandler implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private headers: IncomingHttpHeaders = {};
  // Most answers arrive in one chunk: keep it as is, and gather an array only when more follow.
  private body: Buffer | undefined;
  private chunks: Buffer[] | undefined;

  constructor(
    private readonly deliver: (answer: UpstreamAnswer) => void,
    private readonly fail: (error: Error) => void,
  ) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx: the real answer follows
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.body === undefined) this.body = chunk;
    else (this.chunks ??= [this.body]).push(chunk);
  }

  onResponseEnd(): void {
    const { chunks, body } = this;
    this.deliver({
      statusCode: this.statusCode,
      headers: this.headers,
      body: chunks ? Buffer.concat(chunks) : body,
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }
}
