/**
 * `GET /api/status`, the dashboard's overview, against stand-in services in each state: ready, not
 * ready (a dependency of its own down), hanging and not listening at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusSchema } from '@shipshape/contracts';
import type { MessageQueue } from '@shipshape/queue';
import { call, startGateway, startUpstream, type RunningGateway, type TestUpstream } from './helpers.js';

describe('GET /api/status', () => {
  let ready: TestUpstream;
  let notReady: TestUpstream;
  let hanging: TestUpstream;
  let gateway: RunningGateway & { queue: MessageQueue };

  beforeAll(async () => {
    ready = await startUpstream((request, response) => {
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end('{"status":"ready","service":"x","version":"0.1.0","checks":{"database":"ok"}}');
    });
    notReady = await startUpstream((request, response) => {
      response.statusCode = request.url === '/ready' ? 503 : 200;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.end('{"status":"not ready","version":"0.1.0","checks":{"database":"connect ECONNREFUSED"}}');
    });
    // Takes the request and never answers.
    hanging = await startUpstream(() => {});
    gateway = await startGateway({
      INVENTORY_URL: ready.url,
      BILLING_URL: notReady.url,
      VOTE_URL: ready.url,
      WORKER_URL: hanging.url,
      RESULT_URL: ready.url,
      // Nothing listens on port 9 here: connecting is refused at once.
      SYSTEM_URL: 'http://127.0.0.1:9',
      PREDICT_URL: ready.url,
      STATUS_TIMEOUT_MS: '400',
      UPSTREAM_TIMEOUT_MS: '20000',
    });
  });
  afterAll(async () => {
    await gateway?.close();
    for (const upstream of [ready, notReady, hanging]) await upstream?.close();
  });

  it('gives every service its state, version and reason, the gateway first', async () => {
    const answer = await call(gateway.url, 'GET', '/api/status');
    expect(answer.status).toBe(200);
    const status = statusSchema.parse(answer.body);
    const byName = Object.fromEntries(status.services.map((service) => [service.name, service]));
    expect(status.services.map((service) => service.name)).toEqual([
      'gateway',
      'inventory',
      'billing',
      'vote',
      'worker',
      'result',
      'system',
      'predict',
    ]);
    expect(byName.gateway).toMatchObject({ state: 'up', version: '0.1.0', checks: { queue: 'ok' }, error: null });
    expect(byName.inventory).toMatchObject({ state: 'up', version: '0.1.0', checks: { database: 'ok' }, error: null });
    expect(byName.inventory!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(byName.billing).toMatchObject({
      state: 'not ready',
      version: '0.1.0',
      error: 'database: connect ECONNREFUSED',
    });
    expect(byName.worker).toMatchObject({ state: 'down', version: null, latencyMs: null });
    expect(byName.worker!.error).toMatch(/400 ms/);
    expect(byName.system).toMatchObject({ state: 'down', version: null });
    expect(byName.system!.error).toMatch(/system/);
  });

  it('answers within its bound while a service hangs, not after the upstream timeout', async () => {
    const started = Date.now();
    const answer = await call(gateway.url, 'GET', '/api/status');
    expect(answer.status).toBe(200);
    // The hanging worker would hold a request for UPSTREAM_TIMEOUT_MS (20 s); the bound is 400 ms.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answer.body.services.find((s: { name: string }) => s.name === 'worker').state).toBe('down');
  });

  it('is listed in the API documentation', async () => {
    const document = (await call(gateway.url, 'GET', '/openapi.json')).body;
    expect(Object.keys(document.paths)).toContain('/api/status');
  });
});
