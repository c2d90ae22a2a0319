/**
 * Input is what it claims to be: a body in another charset or encoding, bytes that are not UTF-8,
 * query parameters that only look like numbers, unknown parameters, and titles of invisible
 * characters are refused at the edge with a 4xx naming the problem; nothing reaches inventory.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, startGateway, startUpstream, type TestUpstream } from './helpers.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

describe('strict input at the edge', () => {
  let inventory: TestUpstream;
  let billing: TestUpstream;
  let gateway: Gateway;

  beforeAll(async () => {
    [inventory, billing] = await Promise.all([startUpstream(), startUpstream()]);
    gateway = await startGateway({ INVENTORY_URL: inventory.url, BILLING_URL: billing.url, RATE_LIMIT_MAX: '0' });
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await billing?.close();
  });
  afterEach(() => {
    inventory.received.length = 0;
  });

  const post = (body: Buffer | string, headers: Record<string, string>) =>
    fetch(`${gateway.url}/api/movies`, { method: 'POST', headers, body });

  it('refuses a JSON body that is not valid UTF-8 (400), instead of storing U+FFFD', async () => {
    const invalid = Buffer.concat([Buffer.from('{"title":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const response = await post(invalid, { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/UTF-8/);
    expect(inventory.received).toHaveLength(0);
  });

  it.each(['iso-8859-1', 'utf-16le'])('refuses a body declared as charset=%s (415 naming it)', async (charset) => {
    const response = await post('{"title":"x"}', { 'content-type': `application/json; charset=${charset}` });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: string }).error).toContain(charset);
    expect(inventory.received).toHaveLength(0);
  });

  it('takes charset=utf-8 in any case', async () => {
    const response = await post('{"title":"x"}', { 'content-type': 'application/json; charset=UTF-8' });
    expect(response.status).toBe(200);
  });

  it('refuses a compressed body (415 naming Content-Encoding)', async () => {
    const response = await post('{"title":"x"}', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: string }).error).toMatch(/content-encoding/i);
    expect(inventory.received).toHaveLength(0);
  });

  it.each([
    ['limit=0x10', 'querystring.limit'],
    ['limit=1e3', 'querystring.limit'],
    ['limit=', 'querystring.limit'],
    ['offset=', 'querystring.offset'],
    ['offset=1.5', 'querystring.offset'],
    ['limit=%2010', 'querystring.limit'],
    ['colour=red', 'querystring.colour'],
  ])('refuses ?%s naming %s', async (query, field) => {
    const answer = await call(gateway.url, 'GET', `/api/movies?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
    expect(inventory.received).toHaveLength(0);
  });

  it('refuses ?limit=5 with an unknown parameter on /api/orders too', async () => {
    const answer = await call(gateway.url, 'GET', '/api/orders?limit=5&sort=id');
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((detail: { path: string }) => detail.path)).toContain('querystring.sort');
  });

  it('still takes plain decimal limits and offsets', async () => {
    expect((await call(gateway.url, 'GET', '/api/movies?limit=10&offset=0&title=x')).status).toBe(200);
    expect(inventory.received).toHaveLength(1);
  });

  it.each(['\u200b', '\u200b\u200d\ufeff', ' \u2060 '])(
    'refuses a title of only invisible characters (%j)',
    async (title) => {
      const answer = await call(gateway.url, 'POST', '/api/movies', { title });
      expect(answer.status).toBe(400);
      expect(answer.body.details.map((detail: { path: string }) => detail.path)).toContain('body.title');
      expect(inventory.received).toHaveLength(0);
    },
  );
});
