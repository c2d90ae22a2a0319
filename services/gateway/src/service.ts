import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import { TOTAL_COUNT_HEADER } from '@shipshape/contracts';
import {
  closeInOrder,
  createServer,
  REQUEST_ID_HEADER,
  type AppServer,
  type Service,
  type ServiceDeps,
} from '@shipshape/platform';
import type { MessageQueue } from '@shipshape/queue';
import type { GatewayConfig } from './config.js';
import { createEventStreamProxy } from './eventStream.js';
import { createMovieLookups } from './movieLookups.js';
import { registerOpenApi } from './openapi.js';
import { registerBillingRoutes } from './routes/billing.js';
import { registerMovieRoutes } from './routes/movies.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerPredictRoutes } from './routes/predict.js';
import { registerStatusRoute } from './routes/status.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerVoteRoutes } from './routes/votes.js';
import { securityHeaders } from './securityHeaders.js';
import { createVoteBatches } from './voteBatches.js';
import { createUpstream } from './upstream.js';

export { gatewayConfigSchema, gatewayProcessConfigSchema, type GatewayConfig } from './config.js';

/** The queue where orders are published is given; whoever created it closes it, after `close()`. */
export type GatewayDeps = ServiceDeps<GatewayConfig, { queue: MessageQueue }>;

/**
 * The single HTTP entry point: validates every request against the shared contracts, forwards the
 * movies API to inventory, order listings to billing, the voting API to vote and result, the system
 * and prediction APIs to system and predict, and puts orders on the billing queue.
 */
export async function createGatewayService({ config, queue, logger }: GatewayDeps): Promise<Service> {
  const upstreamOptions = {
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connections: config.UPSTREAM_CONNECTIONS,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
  };
  const inventory = createUpstream({ name: 'inventory', url: config.INVENTORY_URL, ...upstreamOptions });
  const billing = createUpstream({ name: 'billing', url: config.BILLING_URL, ...upstreamOptions });
  const vote = createUpstream({ name: 'vote', url: config.VOTE_URL, ...upstreamOptions });
  const result = createUpstream({ name: 'result', url: config.RESULT_URL, ...upstreamOptions });
  const worker = createUpstream({ name: 'worker', url: config.WORKER_URL, ...upstreamOptions });
  const system = createUpstream({ name: 'system', url: config.SYSTEM_URL, ...upstreamOptions });
  const predict = createUpstream({ name: 'predict', url: config.PREDICT_URL, ...upstreamOptions });
  const streamOptions = {
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    idleTimeoutMs: config.STREAM_IDLE_TIMEOUT_MS,
    connections: config.STREAM_CONNECTIONS,
  };
  const resultStream = createEventStreamProxy({ name: 'result', url: config.RESULT_URL, ...streamOptions });
  const systemStream = createEventStreamProxy({ name: 'system', url: config.SYSTEM_URL, ...streamOptions });
  // The streams end first: the server cannot close while clients hold them open.
  const closeAll = () =>
    closeInOrder(
      [
        () => resultStream.close(),
        () => systemStream.close(),
        () => app.close(),
        () => inventory.close(),
        () => billing.close(),
        () => vote.close(),
        () => result.close(),
        () => worker.close(),
        () => system.close(),
        () => predict.close(),
      ],
      logger,
    );

  const app = createServer({
    service: 'gateway',
    logger,
    config,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    readinessChecks: {
      queue: () => queue.check(),
      inventory: () => inventory.check(),
      billing: () => billing.check(),
      vote: () => vote.check(),
      result: () => result.check(),
      system: () => system.check(),
      predict: () => predict.check(),
    },
  });

  try {
    await registerEdgePlugins(app, config);
    await registerOpenApi(app);
    registerMovieRoutes(app, inventory, createMovieLookups(inventory, logger));
    registerBillingRoutes(app, {
      queue,
      queueName: config.BILLING_QUEUE,
      publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
      retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    });
    registerOrderRoutes(app, billing);
    await registerVoteRoutes(app, {
      vote,
      voteBatches: createVoteBatches(vote, logger),
      result,
      resultStream,
      secureCookie: config.VOTER_COOKIE_SECURE,
    });
    registerSystemRoutes(app, system, systemStream);
    registerStatusRoute(app, {
      upstreams: [inventory, billing, vote, worker, result, system, predict],
      queueCheck: () => queue.check(),
      timeoutMs: config.STATUS_TIMEOUT_MS,
    });
    registerPredictRoutes(app, predict);
    await app.ready();
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    start(port, host) {
      const { INVENTORY_URL, BILLING_URL, VOTE_URL, RESULT_URL, SYSTEM_URL, PREDICT_URL } = config;
      logger.info(
        {
          inventory: INVENTORY_URL,
          billing: BILLING_URL,
          vote: VOTE_URL,
          result: RESULT_URL,
          system: SYSTEM_URL,
          predict: PREDICT_URL,
        },
        'forwarding to upstreams',
      );
      return app.listen({ port, host });
    },
    // Stop accepting and finish in-flight requests first: they still need the upstream pools. A second
    // call waits for the first.
    close: () => (closing ??= closeAll()),
  };
}

/** Security headers, CORS and the per-client rate limit, applied to every route declared after them. */
async function registerEdgePlugins(app: AppServer, config: GatewayConfig): Promise<void> {
  // An API answers JSON: it loads nothing and is framed by nothing. `/docs` sets its own policy.
  // Helmet's headers that concern only HTML documents (opener and agent-cluster isolation, DNS
  // prefetching) or browsers long gone (IE8 downloads, Flash policies, the XSS auditor) are left off the
  // API's answers: each is work for the gateway and for every client on every answer (the A/B is in
  // docs/performance.md). `/docs`, which is a document, gets them (openapi.ts).
  const headers = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });

  if (config.CORS_ORIGINS.length > 0) {
    await app.register(fastifyCors, {
      origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      exposedHeaders: [REQUEST_ID_HEADER, TOTAL_COUNT_HEADER, 'retry-after'],
      maxAge: 600,
    });
  }

  if (config.RATE_LIMIT_MAX > 0) {
    // Declared before this plugin, /health, /ready and /metrics stay outside the limit: probes and
    // scrapers must not be throttled.
    await app.register(fastifyRateLimit, {
      max: config.RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
    });
  }
}
