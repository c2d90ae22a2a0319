import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyReply } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { BaseServiceConfig } from './config.js';
import {
  AppError,
  GatewayTimeoutError,
  invalidRequest,
  messageOf,
  ServiceUnavailableError,
  type ErrorBody,
  type ErrorDetail,
} from './errors.js';
import { createMetrics, serveMetrics, type Metrics, type MetricsServer } from './metrics.js';
import { withTimeout } from './timeouts.js';

export type ReadinessCheck = () => Promise<void>;

export interface ServerOptions {
  service: string;
  logger: Logger;
  /** Named dependency checks; `/ready` answers 503 while any of them fails. */
  readinessChecks?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  readinessTimeoutMs?: number;
  /**
   * Trust `X-Forwarded-For` from a proxy in front (nginx of the dashboard), so that `request.ip`, the
   * rate limit and the logs see the client rather than the proxy: none (the default), any, or only
   * these addresses and ranges (env.trustProxy). Off unless a proxy is really there.
   */
  trustProxy?: boolean | string[];
  /**
   * Where metrics are served and how long a client may take; the service's config. Without it (tests
   * that `inject`) the timeouts keep these defaults and no metrics port is opened.
   */
  config?: HttpConfig;
}

/** The settings of `baseServiceConfig` the HTTP server itself reads. */
export type HttpConfig = Pick<
  BaseServiceConfig,
  'HOST' | 'METRICS_PORT' | 'HEADERS_TIMEOUT_MS' | 'REQUEST_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'
>;

const DEFAULT_HTTP_TIMEOUTS = { HEADERS_TIMEOUT_MS: 5_000, REQUEST_TIMEOUT_MS: 30_000, KEEP_ALIVE_TIMEOUT_MS: 5_000 };
/** A path parameter longer than this is answered 414: no id or name of the API comes close. */
const MAX_PARAM_LENGTH = 100;

export type AppServer = ReturnType<typeof createServer>;

const REQUEST_ID = /^[\w.:-]{1,128}$/;
export const REQUEST_ID_HEADER = 'x-request-id';
const PROBE_ROUTES = new Set(['/health', '/ready']);
/** Every workspace is released together, so platform's version is every service's (the dashboard shows it). */
export const SERVICE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The Fastify instance every service starts from: request ids, access logs, metrics, health and
 * readiness, zod validation and the single error-to-HTTP mapping.
 */
export function createServer(options: ServerOptions) {
  const { service, logger, readinessChecks = {}, readinessTimeoutMs = 2_000 } = options;
  const metrics: Metrics = createMetrics(service);
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.config };
  let closing = false;
  let draining = false;

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    // Access logs are written once per request by the onResponse hook below, with metrics.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    requestIdHeader: false,
    // Only accept a caller's id when it is safe to log and forward as is.
    genReqId: (req) => {
      const incoming = req.headers[REQUEST_ID_HEADER];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // A request that arrives while closing gets the standard 503 body (the onRequest hook below).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Slow clients cannot hold a connection: headers, a whole request and an idle keep-alive are bounded,
    // and Node checks the first two every second rather than every 30 s.
    http: {
      headersTimeout: timeouts.HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, timeouts.HEADERS_TIMEOUT_MS),
    },
    requestTimeout: timeouts.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: timeouts.KEEP_ALIVE_TIMEOUT_MS,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler: (error, socket) => answerClientError(error, socket, timeouts),
    frameworkErrors: (error, _request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const message =
        status === 414
          ? `A path segment is longer than ${MAX_PARAM_LENGTH} characters`
          : `Malformed URL: ${error.message}`;
      sendError(reply, status, { error: message, details: [] });
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('metrics', metrics);
  parseStrictJson(app);

  // Callback-style hooks: on every request, a promise per hook is measurable overhead.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    // Draining: each keep-alive client is told to reconnect, so its next connection goes to an
    // instance that stays (its DNS lookup no longer finds this one).
    if (draining) reply.header('connection', 'close');
    if (closing) {
      reply.header('connection', 'close').header('retry-after', '5');
      return sendError(reply, 503, { error: `${service} is shutting down; retry on another instance`, details: [] });
    }
    done();
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      seconds,
    );
    // Probes and scrapes come every few seconds and say nothing about users; they are logged at debug.
    const level = PROBE_ROUTES.has(route) && reply.statusCode < 400 ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) {
      request.log[level](
        { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(seconds * 1000) },
        'request completed',
      );
    }
    done();
  });

  app.setNotFoundHandler((request, reply) => {
    sendError(reply, 404, { error: `Route ${request.method} ${request.url.split('?')[0]} not found`, details: [] });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details: ErrorDetail[] = error.validation.map((v) => {
        const keys = Array.isArray(v.params.keys) ? v.params.keys.map(String) : [];
        const segments = v.instancePath.split('/').filter(Boolean);
        // An unknown field is reported on its parent; name the field itself.
        if (keys.length > 0) segments.push(keys.join(','));
        return { path: [error.validationContext, ...segments].filter(Boolean).join('.'), message: v.message ?? '' };
      });
      return sendError(reply, 400, { error: invalidRequest(details).message, details });
    }
    if (error instanceof AppError) {
      if (error instanceof ServiceUnavailableError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
        request.log.warn({ err: error.cause ?? error }, error.message);
      } else if (error instanceof GatewayTimeoutError) {
        reply.header('retry-after', String(error.retryAfterSeconds));
      }
      return sendError(reply, error.statusCode, { error: error.message, details: error.details });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, status, { error: clientErrorMessage(error, bodyLimit), details: [] });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, { error: 'Internal server error', details: [] });
  });

  const hidden = { schema: { hide: true } };
  app.get('/health', hidden, async () => ({ status: 'ok', service, version: SERVICE_VERSION }));

  app.decorate('drain', () => {
    draining = true;
  });

  app.get('/ready', hidden, async (_request, reply) => {
    if (draining) {
      reply.code(503).header('retry-after', '5');
      return {
        status: 'not ready',
        service,
        version: SERVICE_VERSION,
        checks: { shutdown: 'draining: stopping soon' },
      };
    }
    const results = await Promise.all(
      Object.entries(readinessChecks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), readinessTimeoutMs, () => new Error(`${name} check timed out`));
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, messageOf(error)] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === 'ok');
    if (!ready) reply.code(503).header('retry-after', '5');
    return {
      status: ready ? 'ready' : 'not ready',
      service,
      version: SERVICE_VERSION,
      checks: Object.fromEntries(results),
    };
  });

  // Metrics on a port of their own, which a scraper reaches and the published port does not.
  let metricsServer: MetricsServer | undefined;
  app.decorate('metricsUrl', () => metricsServer?.url);
  if (options.config) {
    const { METRICS_PORT, HOST } = options.config;
    // onReady, which listen() awaits, rather than onListen, which it does not: the listening line and the
    // embedded mode's banner then know the metrics URL.
    app.addHook('onReady', async () => {
      metricsServer ??= await serveMetrics(metrics.registry, METRICS_PORT, HOST);
    });
    app.addHook('onClose', async () => {
      await metricsServer?.close();
    });
  }

  return app;
}

class UnsupportedBodyError extends AppError {
  readonly statusCode = 415;
}
class MalformedBodyError extends AppError {
  readonly statusCode = 400;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * JSON bodies are what they claim to be: UTF-8 (another declared charset is a 415, bytes that are not
 * UTF-8 a 400, never U+FFFD stored in their place), not compressed (a 415 naming Content-Encoding),
 * then parsed by Fastify's own parser (its prototype-poisoning checks). The bytes are kept as
 * `request.rawBody`, so a proxy forwards the client's body rather than a re-serialisation.
 */
function parseStrictJson(app: AppServer): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('rawBody', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return done(
        new UnsupportedBodyError(`Content-Encoding ${encoding} is not supported: send the body uncompressed`),
      );
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
      return done(new UnsupportedBodyError(`Request body charset ${charset} is not supported: send JSON in UTF-8`));
    }
    const bytes = body as Buffer;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return done(new MalformedBodyError('Request body is not valid UTF-8'));
    }
    request.rawBody = bytes;
    parseJson(request, text, done);
  });
}

/**
 * Errors Node meets before Fastify sees a request (a malformed or slow request, headers too large),
 * answered in the standard body on the raw socket, which is then closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket, timeouts: typeof DEFAULT_HTTP_TIMEOUTS) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = `Malformed HTTP request (${error.code ?? error.message})`;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = `Request timed out: its headers must arrive within ${timeouts.HEADERS_TIMEOUT_MS} ms and the whole request within ${timeouts.REQUEST_TIMEOUT_MS} ms`;
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'Request headers are larger than the server accepts';
  } else if (error.code === 'HPE_URI_OVERFLOW') {
    status = 414;
    message = 'Request URL is longer than the server accepts';
  }
  const body = JSON.stringify({ error: message, details: [] } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

function sendError(reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
}

/** Fastify's own client errors, reworded where its message would not tell a caller what to fix. */
function clientErrorMessage(error: FastifyError, bodyLimit: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return `Malformed JSON in request body: ${error.message}`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `Request body is larger than the limit of ${bodyLimit} bytes`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return "Request body is empty but content-type is 'application/json'";
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `Unsupported content-type: ${error.message}`;
    default:
      return error.message;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as the client sent it; null for a request without one. */
    rawBody: Buffer | null;
  }
  interface FastifyInstance {
    metrics: Metrics;
    /** Where the metrics are served once the server listens (undefined before, or without a config). */
    metricsUrl(): string | undefined;
    /** From now on `/ready` answers 503 while requests are still served: the first step of a shutdown. */
    drain(): void;
  }
}

/** What every service's `create…Service` returns, so entry points and the embedded mode start them alike. */
export interface Service {
  app: AppServer;
  /** Listens and resolves with the URL it listens on. */
  start(port: number, host: string): Promise<string>;
  /** Stops accepting, finishes in-flight requests and messages, closes its pools and channels. */
  close(): Promise<void>;
}
