/**
 * What the gateway adds at the edge: the OpenAPI document and its UI, security headers, CORS and the
 * per-client rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageQueue } from '@shipshape/queue';
import {
  call,
  startEmbeddedQueue,
  startGateway as startGatewayWith,
  startUpstream,
  type RunningGateway,
  type TestQueue,
  type TestUpstream,
} from './helpers.js';

let upstream: TestUpstream;
let testQueue: TestQueue;
beforeAll(async () => {
  [upstream, testQueue] = await Promise.all([startUpstream(), startEmbeddedQueue()]);
});
afterAll(async () => {
  await upstream?.close();
  await testQueue?.close();
});
const upstreams = () => ({
  INVENTORY_URL: upstream.url,
  BILLING_URL: upstream.url,
  VOTE_URL: upstream.url,
  RESULT_URL: upstream.url,
  SYSTEM_URL: upstream.url,
  PREDICT_URL: upstream.url,
});
// One queue for every gateway of this file: none of these tests is about what gets published.
const startGateway = (env: Record<string, string>, queue: MessageQueue = testQueue.queue) =>
  startGatewayWith(env, { queue });

describe('API documentation', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(upstreams());
  });
  afterAll(() => gateway?.close());

  it('lists every public route in OpenAPI 3 with the schemas that validate it, and nothing internal', async () => {
    const { status, body: document } = await call(gateway.url, 'GET', '/openapi.json');
    expect(status).toBe(200);
    expect(document.openapi).toMatch(/^3\./);
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /api/movies',
        'POST /api/movies',
        'DELETE /api/movies',
        'GET /api/movies/{id}',
        'PUT /api/movies/{id}',
        'DELETE /api/movies/{id}',
        'POST /api/billing',
        'GET /api/orders',
        'GET /api/poll',
        'POST /api/votes',
        'GET /api/results',
        'GET /api/results/stream',
        'GET /api/system',
        'GET /api/system/stream',
        'GET /api/system/hogs',
        'POST /api/system/hogs/cpu',
        'POST /api/system/hogs/memory',
        'DELETE /api/system/hogs',
        'GET /api/predict/model',
        'POST /api/predict',
        'GET /api/status',
      ].sort(),
    );

    const schemas = document.components.schemas;
    const resolve = (schema: { $ref?: string }) => (schema.$ref ? schemas[schema.$ref.split('/').pop()!] : schema);

    const createMovie = document.paths['/api/movies'].post;
    const newMovie = resolve(createMovie.requestBody.content['application/json'].schema);
    expect(newMovie).toMatchObject({
      required: ['title'],
      additionalProperties: false,
      properties: { title: { type: 'string', maxLength: 200 }, description: { type: 'string', maxLength: 5000 } },
    });
    expect(resolve(createMovie.responses['201'].content['application/json'].schema)).toMatchObject({
      required: ['id', 'title', 'description'],
    });
    expect(Object.keys(createMovie.responses)).toEqual(expect.arrayContaining(['201', '400', '413', '503', '504']));

    const getMovie = document.paths['/api/movies/{id}'].get;
    expect(getMovie.parameters).toEqual([
      expect.objectContaining({
        in: 'path',
        name: 'id',
        required: true,
        schema: expect.objectContaining({ pattern: expect.any(String) }),
      }),
    ]);
    expect(Object.keys(getMovie.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));

    const listMovies = document.paths['/api/movies'].get;
    expect(listMovies.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:limit',
      'query:offset',
      'query:title',
    ]);

    const order = document.paths['/api/billing'].post;
    const orderRequest = resolve(order.requestBody.content['application/json'].schema);
    expect(orderRequest.required.sort()).toEqual(['number_of_items', 'total_amount', 'user_id']);
    // Numbers or numeric strings, as the validation accepts.
    expect(JSON.stringify(orderRequest.properties.user_id)).toMatch(/"number".*"string"/);
    expect(resolve(order.responses['202'].content['application/json'].schema).required).toEqual(['message', 'id']);
    expect(order.responses['503']).toBeDefined();

    const orders = document.paths['/api/orders'].get;
    expect(orders.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'offset']);
    expect(resolve(orders.responses['200'].content['application/json'].schema.items)).toMatchObject({
      required: expect.arrayContaining(['id', 'message_id', 'user_id', 'number_of_items', 'total_amount']),
    });

    // Every reference in the document resolves.
    for (const [, name] of JSON.stringify(document).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(schemas[name!], name).toBeDefined();
    }
  });

  it('serves the docs UI as HTML that its own content security policy lets run', async () => {
    const page = await fetch(`${gateway.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<html/i);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    // Every script the page loads comes from the gateway, as `script-src 'self'` requires, and answers.
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(script.startsWith('/docs/')).toBe(true);
      const response = await fetch(gateway.url + script);
      expect(response.status, script).toBe(200);
      // Read it all: an unread body keeps the connection busy, and the gateway's close waits for it.
      expect((await response.arrayBuffer()).byteLength, script).toBeGreaterThan(0);
    }
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
    // The UI reads the same document.
    const json = await call(gateway.url, 'GET', '/docs/json');
    expect(Object.keys(json.body.paths)).toContain('/api/billing');
  });
});

describe('security headers', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(upstreams());
  });
  afterAll(() => gateway?.close());

  it('sends them on API answers, errors included', async () => {
    for (const path of ['/api/movies', '/api/movies/abc', '/health']) {
      const { headers } = await call(gateway.url, 'GET', path);
      expect(headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(headers.get('content-security-policy'), path).toBe("default-src 'none';frame-ancestors 'none'");
      expect(headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(headers.get('strict-transport-security'), path).toMatch(/max-age=/);
      expect(headers.get('x-powered-by'), path).toBeNull();
      expect(headers.get('cross-origin-resource-policy'), path).toBe('same-origin');
      // What only HTML documents or long-gone browsers read is left off JSON answers.
      for (const documentOnly of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control']) {
        expect(headers.get(documentOnly), `${path} ${documentOnly}`).toBeNull();
      }
      for (const legacy of ['x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']) {
        expect(headers.get(legacy), `${path} ${legacy}`).toBeNull();
      }
    }
  });

  it('sends the document headers too on the docs UI, an HTML page', async () => {
    const page = await fetch(`${gateway.url}/docs/static/index.html`);
    await page.arrayBuffer();
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('origin-agent-cluster')).toBe('?1');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  });
});

describe('CORS', () => {
  it('sends no CORS headers by default, so only same-origin pages can call the API', async () => {
    const gateway = await startGateway(upstreams());
    try {
      const answer = await call(gateway.url, 'GET', '/api/movies', undefined, { origin: 'https://evil.example' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${gateway.url}/api/movies`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gateway.close();
    }
  });

  it('allows the configured origins, and only them', async () => {
    const gateway = await startGateway({
      ...upstreams(),
      CORS_ORIGINS: 'https://app.example, http://localhost:8080',
    });
    try {
      const allowed = await call(gateway.url, 'GET', '/api/movies', undefined, { origin: 'https://app.example' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(allowed.headers.get('access-control-expose-headers')).toMatch(/x-total-count/);

      const preflight = await fetch(`${gateway.url}/api/movies`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:8080',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);

      const other = await call(gateway.url, 'GET', '/api/movies', undefined, { origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After and the error shape past the limit, per client, sparing health checks', async () => {
    const gateway = await startGateway({ ...upstreams(), RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call(gateway.url, 'GET', '/api/movies')).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await call(gateway.url, 'GET', '/api/movies/1');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body).toEqual({ error: expect.stringMatching(/rate limit/i), details: [] });
      expect(
        (await call(gateway.url, 'POST', '/api/billing', { user_id: 1, number_of_items: 1, total_amount: 1 })).status,
      ).toBe(429);
      // Probes are never throttled (metrics are on a port of their own).
      for (const path of ['/health', '/ready']) {
        expect((await call(gateway.url, 'GET', path)).status, path).toBe(200);
      }
    } finally {
      await gateway.close();
    }
  });

  it.each([
    ['the proxy it is told to trust (TRUST_PROXY=127.0.0.1)', '127.0.0.1', true],
    ['a proxy in a private range (TRUST_PROXY=uniquelocal), not loopback', 'uniquelocal', false],
    ['no proxy (TRUST_PROXY=false)', 'false', false],
  ])('counts clients by X-Forwarded-For only behind %s', async (_name, trustProxy, separate) => {
    const gateway = await startGateway({ ...upstreams(), RATE_LIMIT_MAX: '2', TRUST_PROXY: trustProxy });
    try {
      const from = (client: string) =>
        call(gateway.url, 'GET', '/api/movies', undefined, { 'x-forwarded-for': client });
      expect((await from('203.0.113.1')).status).toBe(200);
      expect((await from('203.0.113.1')).status).toBe(200);
      // A third request from the first client is over its limit; from a second one, over it only when
      // the header is ignored and both are the proxy's one address.
      expect((await from('203.0.113.1')).status).toBe(429);
      expect((await from('203.0.113.2')).status).toBe(separate ? 200 : 429);
    } finally {
      await gateway.close();
    }
  });

  it('is off with RATE_LIMIT_MAX=0', async () => {
    const gateway = await startGateway({ ...upstreams(), RATE_LIMIT_MAX: '0' });
    try {
      for (let i = 0; i < 20; i++) {
        const answer = await call(gateway.url, 'GET', '/api/movies');
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-ratelimit-limit')).toBeNull();
      }
    } finally {
      await gateway.close();
    }
  });
});
