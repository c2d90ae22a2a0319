/**
 * The dashboard in the local modes: the built files of `web/` on WEB_PORT (8080), and `/api` forwarded
 * to the gateway as it comes (event streams unbuffered), so the page works on one origin as it does
 * behind nginx in compose (web/nginx). The same cache rules and security headers as nginx's.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHttpProxy from '@fastify/http-proxy';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { Logger } from '@shipshape/platform';

/** Where `npm run build -w web` writes the dashboard, from this file in apps/launcher/dist. */
export const defaultWebDist = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** What the page may load: only its own origin (the API included); nothing inline, no frames. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export interface WebFrontOptions {
  /** The built dashboard (`index.html` and `assets/`). */
  distDir: string;
  /** The gateway's origin, where `/api` goes. */
  gatewayUrl: string;
  logger: Logger;
}

export interface WebFront {
  start(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/** Answers why the dashboard cannot be served, or undefined when `distDir` holds a build. */
export function missingBuild(distDir: string): string | undefined {
  if (existsSync(path.join(distDir, 'index.html'))) return undefined;
  return `the dashboard is not built (no ${path.join(distDir, 'index.html')}): run npm run build`;
}

export async function createWebFront({ distDir, gatewayUrl, logger }: WebFrontOptions): Promise<WebFront> {
  const app = Fastify({ loggerInstance: logger, disableRequestLogging: true });
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  // The gateway validates and answers; bodies pass as they came, responses (streams too) as they go.
  await app.register(fastifyHttpProxy, {
    upstream: gatewayUrl,
    prefix: '/api',
    rewritePrefix: '/api',
    http: { requestOptions: { timeout: 0 } },
  });

  await app.register(fastifyStatic, {
    root: distDir,
    wildcard: false,
    index: false,
    // Vite names assets by their content hash: they never change under one name.
    setHeaders(response, file) {
      const hashed = path.relative(distDir, file).startsWith(`assets${path.sep}`);
      response.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  // Every other path is a page of the single-page app: index.html, never cached, so a new build shows.
  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.code(404).send({ error: `${request.method} ${request.url} not found`, details: [] });
    }
    if (path.extname(request.url.split('?')[0]!) !== '') {
      return reply.code(404).send({ error: `${request.url} not found`, details: [] });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });

  return {
    async start(port, host) {
      return app.listen({ port, host });
    },
    close: () => app.close(),
  };
}

/**
 * Starts the dashboard for a local mode on WEB_PORT, or says why not and answers undefined: the API
 * works without it, so a missing build is a warning, not a failed start.
 */
export async function startWebFront(
  config: { WEB_PORT: number; WEB_DIST_DIR?: string | undefined; HOST: string },
  gatewayUrl: string,
  logger: Logger,
): Promise<(WebFront & { url: string }) | undefined> {
  const distDir = path.resolve(config.WEB_DIST_DIR ?? defaultWebDist);
  const missing = missingBuild(distDir);
  if (missing) {
    logger.warn({ distDir }, `no dashboard on ${config.WEB_PORT}: ${missing}`);
    return undefined;
  }
  const front = await createWebFront({ distDir, gatewayUrl, logger });
  const url = await front.start(config.WEB_PORT, config.HOST);
  logger.info({ url, gateway: gatewayUrl }, 'dashboard listening');
  return { ...front, url };
}
