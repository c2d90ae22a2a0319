/**
 * The movies API through the gateway against the real inventory service (on PGlite): what a client
 * gets through the gateway is what inventory answers, byte for byte.
 */
import type { Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createInventoryService, inventoryConfigSchema } from '@shipshape/inventory';
import { Writable } from 'node:stream';
import { parseConfig, type Service } from '@shipshape/platform';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startGateway, startUpstream, type RunningGateway, type TestUpstream } from './helpers.js';

describe('movies through the gateway to the real inventory service', () => {
  let inventory: Service;
  let inventoryDb: Db;
  let inventoryUrl: string;
  let billing: TestUpstream;
  let gateway: RunningGateway;
  // Inventory's log lines, to follow a request from the gateway into inventory.
  const inventoryLog: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) inventoryLog.push(JSON.parse(line));
        done();
      },
    });
    inventoryDb = await createPgliteDb();
    inventory = await createInventoryService({
      config: parseConfig(inventoryConfigSchema, { METRICS_PORT: '0' }),
      logger: pino({ level: 'info' }, logStream),
      db: inventoryDb,
    });
    inventoryUrl = await inventory.start(0, '127.0.0.1');
    billing = await startUpstream();
    gateway = await startGateway({ INVENTORY_URL: inventoryUrl, BILLING_URL: billing.url });
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await inventoryDb?.close();
    await billing?.close();
  });

  it('creates, reads, lists, updates and deletes a movie', async () => {
    const created = await call(gateway.url, 'POST', '/api/movies', { title: 'Alien', description: 'In space' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(Number), title: 'Alien', description: 'In space' });
    const { id } = created.body;

    const read = await call(gateway.url, 'GET', `/api/movies/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const list = await call(gateway.url, 'GET', '/api/movies?limit=10');
    expect(list.body).toContainEqual(created.body);
    expect(Number(list.headers.get('x-total-count'))).toBe(list.body.length);

    const updated = await call(gateway.url, 'PUT', `/api/movies/${id}`, { description: 'Director’s cut' });
    expect(updated.body).toEqual({ id, title: 'Alien', description: 'Director’s cut' });

    const deleted = await call(gateway.url, 'DELETE', `/api/movies/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await call(gateway.url, 'GET', `/api/movies/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatch(new RegExp(`Movie ${id} not found`));
  });

  it('takes a trailing slash as the same path, as the crud-master Postman collection calls it', async () => {
    const created = await call(gateway.url, 'POST', '/api/movies/', { title: 'Slashed' });
    expect(created.status).toBe(201);
    const all = await call(gateway.url, 'GET', '/api/movies/');
    expect(all.status).toBe(200);
    expect(all.body).toContainEqual(created.body);
    const found = await call(gateway.url, 'GET', '/api/movies/?title=slash');
    expect(found.body).toEqual([created.body]);
    expect((await call(gateway.url, 'GET', `/api/movies/${created.body.id}/`)).body).toEqual(created.body);
    const order = await call(gateway.url, 'POST', '/api/billing/', { user_id: 1, number_of_items: 1, total_amount: 1 });
    expect(order.status).toBe(202);
  });

  it('answers exactly what inventory answers', async () => {
    await call(gateway.url, 'POST', '/api/movies', { title: `O'Brien "100%" a_b back\\slash` });
    for (const path of ['/api/movies?limit=5', '/api/movies?title=%25%22', '/api/movies/1', '/api/movies/999999']) {
      const [direct, proxied] = await Promise.all([fetch(inventoryUrl + path), fetch(gateway.url + path)]);
      expect(proxied.status, path).toBe(direct.status);
      expect(proxied.headers.get('content-type'), path).toBe(direct.headers.get('content-type'));
      expect(proxied.headers.get('x-total-count'), path).toBe(direct.headers.get('x-total-count'));
      expect(await proxied.text(), path).toBe(await direct.text());
    }
  });

  it('answers lookups that arrive together each as inventory answers it, and inventory logs their request ids', async () => {
    const ids: number[] = [];
    for (const title of ['One', 'Two', 'Three'])
      ids.push((await call(gateway.url, 'POST', '/api/movies', { title })).body.id);
    const paths = [...ids, ids[0]!, 999_999, ids[2]!].map((id) => `/api/movies/${id}`);
    const proxied = await Promise.all(
      paths.map((path, index) => call(gateway.url, 'GET', path, undefined, { 'x-request-id': `together-${index}` })),
    );
    for (const [index, path] of paths.entries()) {
      const direct = await call(inventoryUrl, 'GET', path);
      expect({ path, status: proxied[index]!.status, text: proxied[index]!.text }).toEqual({
        path,
        status: direct.status,
        text: direct.text,
      });
    }
    const logged = inventoryLog
      .filter((line) => String(line.url).startsWith('/internal/movies'))
      .flatMap((line) => line.requestIds as string[]);
    expect(logged).toEqual(expect.arrayContaining(paths.map((_, index) => `together-${index}`)));
  });

  it('stores a title verbatim and matches it literally', async () => {
    const title = `Quotes ' " and 100% _under_ back\\slash`;
    const created = await call(gateway.url, 'POST', '/api/movies', { title });
    expect(created.body.title).toBe(title);
    const found = await call(gateway.url, 'GET', `/api/movies?title=${encodeURIComponent('100% _under_ back\\')}`);
    expect(found.body.map((movie: { title: string }) => movie.title)).toEqual([title]);
  });

  it('rejects at the edge what inventory would reject, with the same status', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/movies', { title: '' }],
      ['POST', '/api/movies', { title: 'Ok', rating: 5 }],
      ['POST', '/api/movies', '{"title":'],
      ['PUT', '/api/movies/1', {}],
      ['GET', '/api/movies/abc', undefined],
      ['GET', '/api/movies?limit=0', undefined],
    ];
    for (const [method, path, body] of cases) {
      const [direct, proxied] = await Promise.all([
        call(inventoryUrl, method, path, body),
        call(gateway.url, method, path, body),
      ]);
      expect(proxied.status, `${method} ${path}`).toBe(direct.status);
      expect(proxied.status).toBe(400);
    }
  });
});
