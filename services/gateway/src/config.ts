import { BILLING_QUEUE, LOCAL_PORTS, localUrl } from '@shipshape/contracts';
import { baseServiceConfig, env } from '@shipshape/platform';
import { amqpEnv } from '@shipshape/queue';
import { z } from 'zod';

/**
 * `CORS_ORIGINS`: a comma-separated list of origins (`https://app.example.com`) allowed to call the API
 * from a browser, or `*` for any. Empty (the default) sends no CORS headers: only same-origin pages,
 * such as the dashboard that nginx serves in front of the gateway, can call it.
 */
const corsOrigins = z
  .string()
  .default('')
  .transform((value, context) => {
    const origins = value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (origin === '*') continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
        context.addIssue({
          code: 'custom',
          message: `"${origin}" is not an origin (scheme://host[:port], or *)`,
        });
      }
    }
    return origins.map((origin) => origin.replace(/\/$/, ''));
  });

/**
 * What the gateway reads in every mode, with the defaults of a local run (the embedded mode gives it
 * its queue instead of a broker URL).
 */
export const gatewayConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.gateway),
  INVENTORY_URL: env.url(['http', 'https']).default(localUrl('inventory')),
  BILLING_URL: env.url(['http', 'https']).default(localUrl('billing')),
  VOTE_URL: env.url(['http', 'https']).default(localUrl('vote')),
  RESULT_URL: env.url(['http', 'https']).default(localUrl('result')),
  /** Asked only by `GET /api/status`: the worker serves no public route. */
  WORKER_URL: env.url(['http', 'https']).default(localUrl('worker')),
  SYSTEM_URL: env.url(['http', 'https']).default(localUrl('system')),
  PREDICT_URL: env.url(['http', 'https']).default(localUrl('predict')),
  BILLING_QUEUE: z.string().min(1).default(BILLING_QUEUE),
  /** Bounds connecting to an upstream, waiting for its response headers, and each gap in its body. */
  UPSTREAM_TIMEOUT_MS: env.positiveInt(5_000),
  /** Most keep-alive connections to each upstream; further requests wait for a free one. */
  UPSTREAM_CONNECTIONS: env.positiveInt(128),
  /** Longest wait for one service's `/ready` in `GET /api/status` (it is then `down`). */
  STATUS_TIMEOUT_MS: env.positiveInt(1_500),
  /** Longest silence on an open event stream (the upstream sends a comment every 15 s) before it is closed. */
  STREAM_IDLE_TIMEOUT_MS: env.positiveInt(45_000),
  /** Most event streams open at once through the gateway; each client holds one. */
  STREAM_CONNECTIONS: env.positiveInt(10_000),
  /** Marks the voter cookie `Secure`: set it when clients reach the gateway over HTTPS only. */
  VOTER_COOKIE_SECURE: env.boolean(false),
  /** Longest wait for the broker to confirm an order before answering 503. */
  PUBLISH_TIMEOUT_MS: env.positiveInt(5_000),
  /** Seconds a client is told to wait (`Retry-After`) when a dependency is down. */
  RETRY_AFTER_SECONDS: env.positiveInt(5),
  BODY_LIMIT_BYTES: env.positiveInt(64 * 1024),
  CORS_ORIGINS: corsOrigins,
  /** Requests per client (IP address) per window; 0 turns the limit off. */
  RATE_LIMIT_MAX: env.nonNegativeInt(1_000),
  RATE_LIMIT_WINDOW_MS: env.positiveInt(60_000),
  /**
   * Set when a proxy (the dashboard's nginx) forwards clients, so that their address, for the rate
   * limit and the logs, comes from X-Forwarded-For: `true`, or the proxies' addresses or ranges.
   */
  TRUST_PROXY: env.trustProxy(),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Its environment as a process of its own (`main.ts`): the settings and RabbitMQ, where orders go. */
export const gatewayProcessConfigSchema = gatewayConfigSchema.extend(amqpEnv);
