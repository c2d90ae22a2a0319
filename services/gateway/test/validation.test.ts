/**
 * Every route validates its input at the edge with the shared contracts: bad input gets a 4xx that
 * names the problem, and nothing reaches the upstream service or the queue.
 */
import { BILLING_QUEUE } from '@shipshape/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, startGateway, startUpstream, type TestUpstream } from './helpers.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;
type Case = [method: string, path: string, body: unknown, status: number, error: RegExp, field?: string];

describe('input validation at the edge', () => {
  let inventory: TestUpstream;
  let billing: TestUpstream;
  let gateway: Gateway;

  beforeAll(async () => {
    [inventory, billing] = await Promise.all([startUpstream(), startUpstream()]);
    gateway = await startGateway({ INVENTORY_URL: inventory.url, BILLING_URL: billing.url, BODY_LIMIT_BYTES: '1024' });
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await billing?.close();
  });
  afterEach(() => {
    inventory.received.length = 0;
    billing.received.length = 0;
  });

  const expectRejected = async (cases: Case[]) => {
    for (const [method, path, body, status, error, field] of cases) {
      const answer = await call(gateway.url, method, path, body);
      const label = `${method} ${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
      expect({ label, status: answer.status }).toEqual({ label, status });
      expect(answer.body?.error, label).toMatch(error);
      expect(Array.isArray(answer.body?.details), label).toBe(true);
      if (field)
        expect(
          answer.body.details.map((d: { path: string }) => d.path),
          label,
        ).toContain(field);
    }
  };

  it('rejects malformed movie requests, naming the field, and forwards none of them', async () => {
    await expectRejected([
      ['POST', '/api/movies', '{"title": "unterminated', 400, /JSON/],
      ['POST', '/api/movies', '', 400, /empty/],
      ['POST', '/api/movies', '[1,2]', 400, /body.*expected object/, 'body'],
      ['POST', '/api/movies', { title: 42 }, 400, /title must be a string/, 'body.title'],
      ['POST', '/api/movies', { description: 'no title' }, 400, /title/, 'body.title'],
      ['POST', '/api/movies', { title: '   ' }, 400, /title must not be empty/, 'body.title'],
      ['POST', '/api/movies', { title: 'x'.repeat(201) }, 400, /title must be at most 200/, 'body.title'],
      ['POST', '/api/movies', { title: 'Ok', description: 7 }, 400, /description must be a string/, 'body.description'],
      ['POST', '/api/movies', { title: 'Ok', year: 1999 }, 400, /year/, 'body.year'],
      ['POST', '/api/movies', '{"title":"Ok","__proto__":{"admin":true}}', 400, /JSON/],
      ['PUT', '/api/movies/1', {}, 400, /at least one of title, description/],
      ['PUT', '/api/movies/1', { title: ['array'] }, 400, /title/, 'body.title'],
      ['PUT', '/api/movies/1', { title: 'Ok', id: 5 }, 400, /id/, 'body.id'],
      ['PUT', '/api/movies/abc', { title: 'Ok' }, 400, /id must be a positive integer/, 'params.id'],
      ['GET', '/api/movies/abc', undefined, 400, /id must be a positive integer/, 'params.id'],
      ['GET', '/api/movies/0', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies/1.5', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies/-1', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies/%20', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies/99999999999', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies/2147483648', undefined, 400, /id must be at most 2147483647/, 'params.id'],
      ['DELETE', '/api/movies/abc', undefined, 400, /id/, 'params.id'],
      ['GET', '/api/movies?limit=0', undefined, 400, /limit must be at least 1/, 'querystring.limit'],
      ['GET', '/api/movies?limit=1001', undefined, 400, /limit must be at most 1000/, 'querystring.limit'],
      ['GET', '/api/movies?limit=abc', undefined, 400, /limit/, 'querystring.limit'],
      ['GET', '/api/movies?offset=-1', undefined, 400, /offset/, 'querystring.offset'],
      ['GET', `/api/movies?title=${'x'.repeat(201)}`, undefined, 400, /title/, 'querystring.title'],
    ]);
    expect(inventory.received).toEqual([]);
  });

  it('rejects a body over the limit with 413, and a body that is not JSON with 415', async () => {
    await expectRejected([
      ['POST', '/api/movies', { title: 'Ok', description: 'x'.repeat(2_000) }, 413, /larger than the limit/],
      [
        'POST',
        '/api/billing',
        { user_id: 1, number_of_items: 1, total_amount: 1, pad: 'x'.repeat(2_000) },
        413,
        /limit/,
      ],
    ]);
    const form = await call(gateway.url, 'POST', '/api/movies', 'title=Alien', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatch(/content-type/i);
    expect(inventory.received).toEqual([]);
  });

  it('forwards valid movie requests (the check is not just rejecting everything)', async () => {
    expect((await call(gateway.url, 'POST', '/api/movies', { title: 'Alien' })).status).toBe(200);
    expect((await call(gateway.url, 'PUT', '/api/movies/2147483647', { description: '' })).status).toBe(200);
    expect((await call(gateway.url, 'GET', '/api/movies?limit=1000&offset=0&title=%25_')).status).toBe(200);
    expect(inventory.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/movies',
      'PUT /api/movies/2147483647',
      'GET /api/movies?limit=1000&offset=0&title=%25_',
    ]);
  });

  it('rejects invalid orders naming the field, and publishes none of them', async () => {
    const valid = { user_id: 1, number_of_items: 1, total_amount: 1 };
    const before = await gateway.queue.depth(BILLING_QUEUE);
    await expectRejected([
      ['POST', '/api/billing', '{"user_id": 1,', 400, /JSON/],
      ['POST', '/api/billing', [valid], 400, /expected object/, 'body'],
      ['POST', '/api/billing', { ...valid, user_id: undefined }, 400, /user_id/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, user_id: 'three' }, 400, /user_id must be a number/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, user_id: true }, 400, /user_id/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, user_id: '-3' }, 400, /user_id/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, user_id: 0 }, 400, /user_id must be positive/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, user_id: 2_147_483_648 }, 400, /user_id must be at most/, 'body.user_id'],
      ['POST', '/api/billing', { ...valid, number_of_items: -2 }, 400, /number_of_items must be positive/],
      ['POST', '/api/billing', { ...valid, number_of_items: 0 }, 400, /number_of_items/, 'body.number_of_items'],
      ['POST', '/api/billing', { ...valid, number_of_items: 2.5 }, 400, /number_of_items must be an integer/],
      ['POST', '/api/billing', { ...valid, number_of_items: '10001' }, 400, /number_of_items must be at most/],
      ['POST', '/api/billing', { ...valid, total_amount: '1e400' }, 400, /total_amount/, 'body.total_amount'],
      ['POST', '/api/billing', { ...valid, total_amount: 10_000_000_000 }, 400, /total_amount must be at most/],
      ['POST', '/api/billing', { ...valid, total_amount: 0 }, 400, /total_amount must be at least 0.01/],
      ['POST', '/api/billing', { ...valid, total_amount: '1.999' }, 400, /at most 2 decimals/],
      ['POST', '/api/billing', { ...valid, coupon: 'FREE' }, 400, /coupon/, 'body.coupon'],
    ]);
    expect(await gateway.queue.depth(BILLING_QUEUE)).toBe(before);
  });

  it('accepts orders with numbers given as numeric strings, and publishes them normalised', async () => {
    const before = await gateway.queue.depth(BILLING_QUEUE);
    const answer = await call(gateway.url, 'POST', '/api/billing', {
      user_id: '3',
      number_of_items: ' 5 ',
      total_amount: '180.50',
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ message: 'Order accepted', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await gateway.queue.depth(BILLING_QUEUE)).toBe(before + 1);
  });

  it('rejects malformed paging of /api/orders and forwards nothing', async () => {
    await expectRejected([
      ['GET', '/api/orders?limit=abc', undefined, 400, /limit/, 'querystring.limit'],
      ['GET', '/api/orders?limit=5000', undefined, 400, /limit must be at most 1000/, 'querystring.limit'],
      ['GET', '/api/orders?offset=-5', undefined, 400, /offset/, 'querystring.offset'],
    ]);
    expect(billing.received).toEqual([]);
  });

  it('answers unknown routes and methods with 404 and the error shape', async () => {
    await expectRejected([
      ['GET', '/api/nothing-here', undefined, 404, /GET \/api\/nothing-here not found/],
      ['PATCH', '/api/movies/1', { title: 'x' }, 404, /PATCH/],
      ['GET', '/api/billing', undefined, 404, /not found/],
    ]);
  });
});
