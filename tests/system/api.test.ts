/**
 * The whole system through the gateway, as a client sees it: once in the embedded mode (one process,
 * PGlite, embedded queue) and once against the real PostgreSQL and RabbitMQ (a process per service).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@shipshape/testkit';
import { request, stackModes, storedOrderCount, type Stack } from './stack.js';

const modes = await stackModes();

describe.each(modes)('whole system through the gateway (%s)', (_mode, start, enabled) => {
  let stack: Stack;
  let base: string;
  const call = <T = any>(method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(base, method, url, body, headers);
  const movieCount = async () => Number((await call('GET', '/api/movies?limit=1')).headers.get('x-total-count'));

  beforeAll(async () => {
    if (!enabled) return;
    stack = await start();
    base = stack.gatewayUrl;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  describe.skipIf(!enabled)('movies', () => {
    it('creates, reads, lists, updates and deletes a movie with the crud-master shapes', async () => {
      const created = await call('POST', '/api/movies', {
        title: 'Alien',
        description: 'In space no one can hear you scream',
      });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual(['description', 'id', 'title']);
      expect(created.body).toMatchObject({ title: 'Alien', description: 'In space no one can hear you scream' });
      const id = created.body.id;
      expect(typeof id).toBe('number');

      const withoutDescription = await call('POST', '/api/movies', { title: 'Heat' });
      expect(withoutDescription.status).toBe(201);
      expect(withoutDescription.body.description).toBe('');

      expect((await call('GET', `/api/movies/${id}`)).body).toEqual(created.body);

      const list = await call('GET', '/api/movies');
      expect(list.status).toBe(200);
      expect(Array.isArray(list.body)).toBe(true);
      expect(list.body).toContainEqual(created.body);
      expect(Number(list.headers.get('x-total-count'))).toBe(list.body.length);

      const updated = await call('PUT', `/api/movies/${id}`, { description: 'Director’s cut' });
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ id, title: 'Alien', description: 'Director’s cut' });

      const deleted = await call('DELETE', `/api/movies/${id}`);
      expect(deleted.status).toBe(204);
      expect((await call('GET', `/api/movies/${id}`)).status).toBe(404);
      expect((await call('DELETE', `/api/movies/${id}`)).status).toBe(404);
      expect((await call('PUT', `/api/movies/${id}`, { title: 'Gone' })).status).toBe(404);
    });

    it('pages with limit and offset, and reports the total', async () => {
      await call('DELETE', '/api/movies');
      for (let i = 1; i <= 5; i++) await call('POST', '/api/movies', { title: `Page movie ${i}` });
      const page = await call('GET', '/api/movies?limit=2&offset=1');
      expect(page.body.map((m: { title: string }) => m.title)).toEqual(['Page movie 2', 'Page movie 3']);
      expect(page.headers.get('x-total-count')).toBe('5');
    });

    it('stores quotes, %, _ and backslashes verbatim and matches them literally with ?title=', async () => {
      await call('DELETE', '/api/movies');
      const titles = ['100% Pure', '100 Pure', 'a_b', 'axb', 'back\\slash', 'backslash', `O'Brien "quoted"`];
      for (const title of titles) expect((await call('POST', '/api/movies', { title })).status).toBe(201);
      const search = async (term: string) =>
        (await call('GET', `/api/movies?title=${encodeURIComponent(term)}`)).body.map(
          (m: { title: string }) => m.title,
        );
      expect(await search('100%')).toEqual(['100% Pure']);
      expect(await search('a_b')).toEqual(['a_b']);
      expect(await search('k\\s')).toEqual(['back\\slash']);
      expect(await search(`'brien "QUOTED`)).toEqual([`O'Brien "quoted"`]);
      expect(await search('PURE')).toEqual(['100% Pure', '100 Pure']);
      const all = await call('GET', '/api/movies');
      expect(all.body.map((m: { title: string }) => m.title)).toEqual(titles);
    });

    it('deletes all movies', async () => {
      await call('POST', '/api/movies', { title: 'Doomed' });
      expect((await call('DELETE', '/api/movies')).status).toBe(204);
      const list = await call('GET', '/api/movies');
      expect(list.body).toEqual([]);
      expect(list.headers.get('x-total-count')).toBe('0');
    });

    it('answers bad input with a 4xx naming the problem and stores nothing', async () => {
      const before = await movieCount();
      const cases: Array<[string, string, unknown, number, RegExp]> = [
        ['POST', '/api/movies', '{"title": "unterminated', 400, /JSON/i],
        ['POST', '/api/movies', { title: 42 }, 400, /title/],
        ['POST', '/api/movies', { description: 'no title' }, 400, /title/],
        ['POST', '/api/movies', { title: '' }, 400, /title/],
        ['POST', '/api/movies', { title: 'x'.repeat(201) }, 400, /title/],
        ['POST', '/api/movies', { title: 'Ok', year: 1999 }, 400, /year/],
        ['POST', '/api/movies', { title: 'Ok', description: 'x'.repeat(70_000) }, 413, /large|limit/i],
        ['POST', '/api/movies', '[1,2]', 400, /body|expected/i],
        ['PUT', '/api/movies/1', {}, 400, /title|description/],
        ['PUT', '/api/movies/1', { title: ['array'] }, 400, /title/],
        ['GET', '/api/movies/abc', undefined, 400, /id/],
        ['GET', '/api/movies/1.5', undefined, 400, /id/],
        ['GET', '/api/movies/-1', undefined, 400, /id/],
        ['GET', '/api/movies/99999999999', undefined, 400, /id/],
        ['DELETE', '/api/movies/abc', undefined, 400, /id/],
        ['GET', '/api/movies?limit=0', undefined, 400, /limit/],
        ['GET', '/api/movies?limit=1001', undefined, 400, /limit/],
        ['GET', '/api/movies?offset=-1', undefined, 400, /offset/],
      ];
      for (const [method, url, body, status, message] of cases) {
        const response = await call(method, url, body);
        expect({ method, url, status: response.status }).toEqual({ method, url, status });
        expect(response.body.error, `${method} ${url}`).toMatch(message);
        expect(Array.isArray(response.body.details)).toBe(true);
      }
      expect((await call('GET', '/api/movies/2147483647')).status).toBe(404);
      expect(await movieCount()).toBe(before);
    });
  });

  describe.skipIf(!enabled)('billing', () => {
    it('accepts an order with 202 and stores it once, visible in /api/orders', async () => {
      const accepted = await call('POST', '/api/billing', { user_id: '3', number_of_items: '5', total_amount: '180' });
      expect(accepted.status).toBe(202);
      expect(accepted.body).toEqual({ message: expect.any(String), id: expect.any(String) });
      const stored = await waitFor('the order to be stored', async () => {
        const orders = await call('GET', '/api/orders');
        return orders.body.find((order: { message_id: string }) => order.message_id === accepted.body.id);
      });
      expect(stored).toMatchObject({ user_id: 3, number_of_items: 5, total_amount: 180 });
      expect(Object.keys(stored).sort()).toEqual(
        ['created_at', 'id', 'message_id', 'number_of_items', 'total_amount', 'user_id'].sort(),
      );
    });

    it('lists orders newest first with limit, offset and the total', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await call('POST', '/api/billing', { user_id: 7, number_of_items: 1, total_amount: 9.99 })).body.id);
        // Distinct arrival order, so "newest first" is observable.
        await waitFor(
          'order stored',
          async () => (await call('GET', '/api/orders?limit=1')).body[0]?.message_id === ids.at(-1),
        );
      }
      const page = await call('GET', '/api/orders?limit=2&offset=1');
      expect(page.status).toBe(200);
      expect(page.body.map((o: { message_id: string }) => o.message_id)).toEqual([ids[1], ids[0]]);
      expect(Number(page.headers.get('x-total-count'))).toBeGreaterThanOrEqual(3);
    });

    it('rejects invalid orders with a 400 naming the field, and publishes nothing', async () => {
      const before = await storedOrderCount(base);
      const valid = { user_id: 1, number_of_items: 1, total_amount: 1 };
      const cases: Array<[unknown, RegExp]> = [
        ['{"user_id": 1,', /JSON/i],
        [{ ...valid, user_id: undefined }, /user_id/],
        [{ ...valid, user_id: 'three' }, /user_id/],
        [{ ...valid, number_of_items: -2 }, /number_of_items/],
        [{ ...valid, number_of_items: 0 }, /number_of_items/],
        [{ ...valid, number_of_items: 2.5 }, /number_of_items/],
        [{ ...valid, total_amount: '1e400' }, /total_amount/],
        [{ ...valid, total_amount: 10_000_000_000 }, /total_amount/],
        [{ ...valid, coupon: 'FREE' }, /coupon/],
        [[valid], /body|expected/i],
      ];
      for (const [body, message] of cases) {
        const response = await call('POST', '/api/billing', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.error, JSON.stringify(body)).toMatch(message);
      }
      // A valid order posted after the invalid ones is stored; nothing before it was.
      const last = await call('POST', '/api/billing', valid);
      await waitFor('the valid order to be stored', async () => (await storedOrderCount(base)) === before + 1);
      const newest = await call('GET', '/api/orders?limit=5');
      expect(newest.body[0].message_id).toBe(last.body.id);
    });

    it('rejects malformed paging of /api/orders', async () => {
      const response = await call('GET', '/api/orders?limit=abc');
      expect(response.status).toBe(400);
      expect(response.body.error).toMatch(/limit/);
    });
  });

  describe.skipIf(!enabled)('operations', () => {
    it('answers health, readiness and a request id, and keeps metrics off the public port', async () => {
      expect((await call('GET', '/health')).status).toBe(200);
      expect((await call('GET', '/ready')).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      const traced = await call('GET', '/api/movies', undefined, { 'x-request-id': 'trace-me-123' });
      expect(traced.headers.get('x-request-id')).toBe('trace-me-123');
    });

    it('documents every public route in OpenAPI 3 and serves the docs UI', async () => {
      const document = (await call('GET', '/openapi.json')).body;
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/api/movies', '/api/movies/{id}', '/api/billing', '/api/orders']),
      );
      const docs = await fetch(`${base}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toMatch(/<html/i);
    });

    it('answers unknown routes with 404 and the error shape', async () => {
      const response = await call('GET', '/api/nothing-here');
      expect(response.status).toBe(404);
      expect(response.body.error).toMatch(/nothing-here/);
    });
  });
});
