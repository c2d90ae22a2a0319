import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../src/logger.js';
import { NotFoundError, ServiceUnavailableError } from '../src/errors.js';
import { createServer } from '../src/server.js';

let databaseUp = true;
const app = createServer({
  service: 'test',
  logger: createLogger('test', 'silent'),
  readinessChecks: {
    database: async () => {
      if (!databaseUp) throw new Error('connection refused');
    },
  },
  bodyLimit: 1024,
});
app.post('/things', { schema: { body: z.strictObject({ name: z.string().min(1) }) } }, async (request) => ({
  name: request.body.name,
}));
app.get('/missing', async () => {
  throw new NotFoundError('Thing 7 not found');
});
app.get('/down', async () => {
  throw new ServiceUnavailableError('Broker unavailable', 7);
});
app.get('/boom', async () => {
  throw new Error('secret internals');
});

afterAll(() => app.close());

describe('createServer', () => {
  it('answers health, and readiness that follows its checks', async () => {
    expect((await app.inject('/health')).json()).toMatchObject({ status: 'ok' });
    const ready = await app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    databaseUp = false;
    const notReady = await app.inject('/ready');
    databaseUp = true;
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ status: 'not ready', checks: { database: 'connection refused' } });
  });

  it('keeps a valid x-request-id and generates one otherwise', async () => {
    const kept = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('maps validation errors to 400 naming the field', async () => {
    const response = await app.inject({ method: 'POST', url: '/things', payload: { name: '', extra: 1 } });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'body.name' }),
        expect.objectContaining({ path: 'body.extra' }),
      ]),
    );
    expect(body.error).toContain('body.name');
  });

  it('maps malformed JSON, oversized bodies and unknown routes to 4xx', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatch(/Malformed JSON/);
    const large = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(2000) } });
    expect(large.statusCode).toBe(413);
    const unknown = await app.inject('/nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'Route GET /nope not found', details: [] });
  });

  it('maps typed errors, with Retry-After for 503, and hides internals of a 500', async () => {
    expect((await app.inject('/missing')).json()).toEqual({ error: 'Thing 7 not found', details: [] });
    const down = await app.inject('/down');
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('7');
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('secret');
  });

  it('counts request durations by route and status for /metrics', async () => {
    await app.inject('/missing');
    const metrics = { body: await app.metrics.registry.metrics() };
    expect(metrics.body).toMatch(/http_request_duration_seconds_count\{.*route="\/missing".*status_code="404"/);
    expect(metrics.body).toContain('process_cpu_seconds_total');
  });
});

describe('createServer behind a proxy', () => {
  it('sees the client address from X-Forwarded-For only when told to trust the proxy', async () => {
    for (const trustProxy of [true, false]) {
      const proxied = createServer({ service: 'test', logger: createLogger('test', 'silent'), trustProxy });
      proxied.get('/ip', async (request) => ({ ip: request.ip }));
      const response = await proxied.inject({
        url: '/ip',
        remoteAddress: '10.0.0.2',
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(response.json().ip).toBe(trustProxy ? '203.0.113.9' : '10.0.0.2');
      await proxied.close();
    }
  });
});

describe('access logs', () => {
  it('logs requests at info, and successful probes only at debug', async () => {
    const lines: Array<{ level: string; url: string }> = [];
    const { pino } = await import('pino');
    const logger = pino(
      { level: 'info', formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    const logged = createServer({ service: 'test', logger });
    logged.get('/thing', async () => ({ ok: true }));
    await logged.inject('/health');
    await logged.inject('/thing');
    await logged.close();
    expect(lines.filter((line) => line.url).map((line) => line.url)).toEqual(['/thing']);
  });
});
