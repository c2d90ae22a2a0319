/**
 * The movies API over HTTP (Fastify's `inject`, no socket), on a service built exactly as the entry
 * points build it, once on PGlite and once on the PostgreSQL server.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { createTestDatabase, dbBackends, postgresAvailable, startTcpProxy } from '@shipshape/testkit';
import { inventoryMigrations } from '../src/migrations.js';
import { createInventoryService, inventoryConfigSchema } from '../src/service.js';

const logger = createLogger('inventory-test', 'silent');
const config = parseConfig(inventoryConfigSchema, { METRICS_PORT: '0' });
const postgresUp = await postgresAvailable();

const backends = await dbBackends('inventory_routes');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** Whatever JSON the API answered. */
  body: any;
  raw: string;
}

/** A string body is sent as is (for malformed JSON); anything else as JSON. */
async function call(
  service: Service,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await service.app.inject({
    method: method as 'GET',
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const answer: Answer = {
    status: response.statusCode,
    headers: response.headers,
    body: undefined,
    raw: response.body,
  };
  if (response.body.length > 0 && String(response.headers['content-type']).startsWith('application/json')) {
    answer.body = JSON.parse(response.body);
  }
  return answer;
}

const MOVIE_KEYS = ['description', 'id', 'title'];

describe.each(backends)('movies API on $name', ({ enabled, open }) => {
  let service: Service;
  let db: Db;
  let cleanup: (() => Promise<void>) | undefined;
  const api = (method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    call(service, method, url, body, headers);
  const create = async (title: string, description?: string) => {
    const answer = await api('POST', '/api/movies', description === undefined ? { title } : { title, description });
    expect(answer.status).toBe(201);
    return answer.body as { id: number; title: string; description: string };
  };
  const all = async () => (await api('GET', '/api/movies?limit=1000')).body as Array<{ id: number; title: string }>;

  beforeAll(async () => {
    if (!enabled) return;
    ({ db, close: cleanup } = await open());
    service = await createInventoryService({ config, logger, db });
  });
  afterAll(async () => {
    await service?.close();
    await cleanup?.();
  });
  beforeEach(async () => {
    if (enabled) expect((await api('DELETE', '/api/movies')).status).toBe(204);
  });

  describe.skipIf(!enabled)('endpoints', () => {
    it('POST /api/movies creates a movie: 201 with exactly id, title and description', async () => {
      const answer = await api('POST', '/api/movies', { title: 'Alien', description: 'In space' });
      expect(answer.status).toBe(201);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(answer.body).sort()).toEqual(MOVIE_KEYS);
      expect(answer.body).toEqual({ id: expect.any(Number), title: 'Alien', description: 'In space' });
      expect(await all()).toEqual([answer.body]);
    });

    it('POST /api/movies defaults the description to "" and trims the title', async () => {
      const answer = await api('POST', '/api/movies', { title: '  Heat  ' });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ id: expect.any(Number), title: 'Heat', description: '' });
    });

    it('POST /api/movies accepts a title of 200 characters and a description of 5000', async () => {
      const answer = await api('POST', '/api/movies', { title: 'é'.repeat(200), description: '🎬'.repeat(2500) });
      expect(answer.status).toBe(201);
      expect(answer.body.title).toBe('é'.repeat(200));
    });

    it('GET /api/movies/:id answers the movie', async () => {
      const movie = await create('Alien', 'In space');
      const answer = await api('GET', `/api/movies/${movie.id}`);
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(MOVIE_KEYS);
      expect(answer.body).toEqual(movie);
    });

    it('GET /api/movies answers an array ordered by id, with X-Total-Count', async () => {
      const movies = [await create('C'), await create('A'), await create('B')];
      const answer = await api('GET', '/api/movies');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(movies);
      expect(answer.headers['x-total-count']).toBe('3');
      for (const movie of answer.body) expect(Object.keys(movie).sort()).toEqual(MOVIE_KEYS);
    });

    it('GET /api/movies answers [] and X-Total-Count 0 when there are none', async () => {
      const answer = await api('GET', '/api/movies');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([]);
      expect(answer.headers['x-total-count']).toBe('0');
    });

    it('GET /api/movies pages with limit and offset; the total counts every movie', async () => {
      const movies = [];
      for (let i = 1; i <= 5; i++) movies.push(await create(`Movie ${i}`));
      const answer = await api('GET', '/api/movies?limit=2&offset=1');
      expect(answer.body).toEqual(movies.slice(1, 3));
      expect(answer.headers['x-total-count']).toBe('5');
      const pastTheEnd = await api('GET', '/api/movies?offset=5');
      expect(pastTheEnd.body).toEqual([]);
      expect(pastTheEnd.headers['x-total-count']).toBe('5');
    });

    it('GET /api/movies answers 100 movies unless told otherwise, and up to 1000', async () => {
      await db.exec(`INSERT INTO movies (title) SELECT 'Movie ' || i FROM generate_series(1, 1001) AS i`);
      const byDefault = await api('GET', '/api/movies');
      expect(byDefault.body).toHaveLength(100);
      expect(byDefault.headers['x-total-count']).toBe('1001');
      expect((await api('GET', '/api/movies?limit=1000')).body).toHaveLength(1000);
      expect((await api('GET', '/api/movies?limit=1000&offset=1000')).body).toHaveLength(1);
    });

    it('GET /api/movies?title= finds a case-insensitive substring, %, _, backslashes and quotes literally', async () => {
      const titles = ['100% Pure', '100 Pure', 'a_b', 'axb', 'back\\slash', 'backslash', `O'Brien "quoted"`];
      for (const title of titles) await create(title);
      const search = async (term: string) => {
        const answer = await api('GET', `/api/movies?title=${encodeURIComponent(term)}`);
        expect(answer.status).toBe(200);
        expect(Number(answer.headers['x-total-count'])).toBe(answer.body.length);
        return answer.body.map((movie: { title: string }) => movie.title);
      };
      expect(await search('100%')).toEqual(['100% Pure']);
      expect(await search('a_b')).toEqual(['a_b']);
      expect(await search('k\\s')).toEqual(['back\\slash']);
      expect(await search(`'brien "QUOTED`)).toEqual([`O'Brien "quoted"`]);
      expect(await search('PURE')).toEqual(['100% Pure', '100 Pure']);
      expect(await search('')).toEqual(titles);
      const paged = await api('GET', `/api/movies?title=pure&limit=1&offset=1`);
      expect(paged.body.map((movie: { title: string }) => movie.title)).toEqual(['100 Pure']);
      expect(paged.headers['x-total-count']).toBe('2');
    });

    it('PUT /api/movies/:id changes the fields given, keeps the others and answers the movie', async () => {
      const { id } = await create('Alien', 'Original');
      const description = await api('PUT', `/api/movies/${id}`, { description: 'Director’s cut' });
      expect(description.status).toBe(200);
      expect(description.body).toEqual({ id, title: 'Alien', description: 'Director’s cut' });
      const title = await api('PUT', `/api/movies/${id}`, { title: 'Aliens' });
      expect(title.body).toEqual({ id, title: 'Aliens', description: 'Director’s cut' });
      const both = await api('PUT', `/api/movies/${id}`, { title: 'Alien³', description: '' });
      expect(both.body).toEqual({ id, title: 'Alien³', description: '' });
      expect(Object.keys(both.body).sort()).toEqual(MOVIE_KEYS);
      expect((await api('GET', `/api/movies/${id}`)).body).toEqual(both.body);
    });

    it('DELETE /api/movies/:id answers 204 with no body, then the movie is gone', async () => {
      const kept = await create('Kept');
      const doomed = await create('Doomed');
      const answer = await api('DELETE', `/api/movies/${doomed.id}`);
      expect(answer.status).toBe(204);
      expect(answer.raw).toBe('');
      expect((await api('GET', `/api/movies/${doomed.id}`)).status).toBe(404);
      expect(await all()).toEqual([kept]);
    });

    it('DELETE /api/movies deletes every movie and answers 204 with no body', async () => {
      await create('One');
      await create('Two');
      const answer = await api('DELETE', '/api/movies');
      expect(answer.status).toBe(204);
      expect(answer.raw).toBe('');
      const list = await api('GET', '/api/movies');
      expect(list.body).toEqual([]);
      expect(list.headers['x-total-count']).toBe('0');
    });

    it('answers 404 naming the id for an unknown movie, on GET, PUT and DELETE', async () => {
      const { id } = await create('Exists');
      const unknown = id + 1000;
      for (const [method, body] of [['GET'], ['PUT', { title: 'Nope' }], ['DELETE']] as const) {
        const answer = await api(method, `/api/movies/${unknown}`, body);
        expect({ method, status: answer.status }).toEqual({ method, status: 404 });
        expect(answer.body.error).toContain(String(unknown));
        expect(answer.body.details).toEqual([{ path: 'params.id', message: expect.stringContaining('id') }]);
      }
      expect((await api('GET', '/api/movies/2147483647')).status).toBe(404);
      expect(await all()).toEqual([{ id, title: 'Exists', description: '' }]);
    });
  });

  describe.skipIf(!enabled)("GET /internal/movies (the gateway's batched lookups)", () => {
    it('answers the movie of each id in the order asked, null where there is none, repeats included', async () => {
      const alien = await create('Alien', 'In space');
      const heat = await create('Heat');
      const missing = heat.id + 1000;
      const answer = await api('GET', `/internal/movies?ids=${heat.id},${missing},${alien.id},${heat.id}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual([heat, null, alien, heat]);
      // Each entry is what GET /api/movies/:id answers for that id.
      expect(answer.body[0]).toEqual((await api('GET', `/api/movies/${heat.id}`)).body);
    });

    it('answers 100 ids at once and refuses more, or anything but positive integers, naming ids', async () => {
      const { id } = await create('Alien');
      const hundred = Array.from({ length: 100 }, () => id).join(',');
      expect((await api('GET', `/internal/movies?ids=${hundred}`)).body).toHaveLength(100);
      for (const ids of [`${hundred},${id}`, '', 'a', '1,,2', '0', '1.5', '-1', '2147483648', '1,2,']) {
        const answer = await api('GET', `/internal/movies?ids=${ids}`);
        expect({ ids, status: answer.status }).toEqual({ ids, status: 400 });
        expect(answer.body.error).toContain('ids');
      }
      expect((await api('GET', '/internal/movies')).status).toBe(400);
    });
  });

  describe.skipIf(!enabled)('bad input: a 4xx naming the problem, and nothing stored', () => {
    const tooBig = { title: 'Ok', description: 'x'.repeat(70_000) };
    // [method, url, body, status, the field (or problem) the answer must name]
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/movies', '{"title": "unterminated', 400, 'JSON'],
      ['POST', '/api/movies', '', 400, 'body is empty'],
      ['POST', '/api/movies', '[1,2]', 400, 'body'],
      ['POST', '/api/movies', 'null', 400, 'body'],
      ['POST', '/api/movies', '"Alien"', 400, 'body'],
      ['POST', '/api/movies', {}, 400, 'title'],
      ['POST', '/api/movies', { description: 'no title' }, 400, 'title'],
      ['POST', '/api/movies', { title: 42 }, 400, 'title'],
      ['POST', '/api/movies', { title: null }, 400, 'title'],
      ['POST', '/api/movies', { title: ['Alien'] }, 400, 'title'],
      ['POST', '/api/movies', { title: '' }, 400, 'title'],
      ['POST', '/api/movies', { title: '   ' }, 400, 'title'],
      ['POST', '/api/movies', { title: 'x'.repeat(201) }, 400, 'title'],
      ['POST', '/api/movies', { title: 'nul\u0000byte' }, 400, 'title'],
      ['POST', '/api/movies', { title: 'lone \ud800 surrogate' }, 400, 'title'],
      ['POST', '/api/movies', { title: 'Ok', description: 7 }, 400, 'description'],
      ['POST', '/api/movies', { title: 'Ok', description: 'x'.repeat(5_001) }, 400, 'description'],
      ['POST', '/api/movies', { title: 'Ok', year: 1999 }, 400, 'year'],
      ['POST', '/api/movies', { title: 'Ok', id: 5 }, 400, 'id'],
      ['POST', '/api/movies', tooBig, 413, 'larger than the limit'],
      ['PUT', '/api/movies/1', {}, 400, 'title'],
      ['PUT', '/api/movies/1', { title: ['array'] }, 400, 'title'],
      ['PUT', '/api/movies/1', { title: '' }, 400, 'title'],
      ['PUT', '/api/movies/1', { description: null }, 400, 'description'],
      ['PUT', '/api/movies/1', { rating: 5 }, 400, 'rating'],
      ['PUT', '/api/movies/1', '{bad json', 400, 'JSON'],
      ['PUT', '/api/movies/1', tooBig, 413, 'larger than the limit'],
      ['GET', '/api/movies/abc', undefined, 400, 'id'],
      ['GET', '/api/movies/1.5', undefined, 400, 'id'],
      ['GET', '/api/movies/-1', undefined, 400, 'id'],
      ['GET', '/api/movies/0', undefined, 400, 'id'],
      ['GET', '/api/movies/01', undefined, 400, 'id'],
      ['GET', '/api/movies/1e3', undefined, 400, 'id'],
      ['GET', '/api/movies/99999999999', undefined, 400, 'id'],
      ['GET', '/api/movies/2147483648', undefined, 400, 'id'],
      ['PUT', '/api/movies/abc', { title: 'Ok' }, 400, 'id'],
      ['DELETE', '/api/movies/abc', undefined, 400, 'id'],
      ['DELETE', '/api/movies/0', undefined, 400, 'id'],
      ['GET', '/api/movies?limit=0', undefined, 400, 'limit'],
      ['GET', '/api/movies?limit=1001', undefined, 400, 'limit'],
      ['GET', '/api/movies?limit=abc', undefined, 400, 'limit'],
      ['GET', '/api/movies?limit=2.5', undefined, 400, 'limit'],
      ['GET', '/api/movies?offset=-1', undefined, 400, 'offset'],
      ['GET', '/api/movies?offset=x', undefined, 400, 'offset'],
      ['GET', `/api/movies?title=${'x'.repeat(201)}`, undefined, 400, 'title'],
      ['GET', '/api/movies?title=a&title=b', undefined, 400, 'title'],
      ['GET', '/api/movies?title=%00', undefined, 400, 'title'],
    ];

    it.each(cases)('%s %s %j → %i naming %s', async (method, url, body, status, names) => {
      const existing = await create('Existing', 'unchanged');
      // `/api/movies/1` stands for a movie that exists, so a refused PUT is seen to change nothing.
      const answer = await api(method, url.replace(/\/1$/, `/${existing.id}`), body);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.body.error).toContain(names);
      expect(Array.isArray(answer.body.details)).toBe(true);
      if (status === 400 && names !== 'JSON' && names !== 'body is empty') {
        // Each schema problem is also listed on its own, under the field it is about (or the body).
        expect(JSON.stringify(answer.body.details)).toContain(names);
      }
      expect(await all()).toEqual([existing]);
    });

    it('refuses a body that is not JSON, and stores nothing', async () => {
      const form = await api('POST', '/api/movies', 'title=Alien', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      expect(form.body.error).toMatch(/content-type/i);
      // Fastify reads text/plain as a string, which is not the object the schema asks for.
      const text = await api('POST', '/api/movies', 'title=Alien', { 'content-type': 'text/plain' });
      expect(text.status).toBe(400);
      expect(text.body.details).toEqual([{ path: 'body', message: expect.stringMatching(/expected object/) }]);
      expect(await all()).toEqual([]);
    });

    it('answers 404 for a route that does not exist', async () => {
      const answer = await api('PATCH', '/api/movies/1', { title: 'Ok' });
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatch(/PATCH \/api\/movies\/1/);
    });
  });

  describe.skipIf(!enabled)('operations', () => {
    it('answers /health, and /ready once the database answers', async () => {
      expect((await api('GET', '/health')).status).toBe(200);
      const ready = await api('GET', '/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    });

    it('counts requests by route in /metrics', async () => {
      await api('GET', '/api/movies/1');
      const metrics = { raw: await service.app.metrics.registry.metrics() };
      expect(metrics.raw).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/movies\/:id"/);
    });

    it('starts again on the same database (a restart, a replica) without redoing migrations or losing movies', async () => {
      const movie = await create('Survivor');
      // The second service shares the first one's Db here, as a replica shares the database.
      const again = await createInventoryService({ config, logger, db });
      expect((await call(again, 'GET', '/api/movies')).body).toEqual([movie]);
      await again.app.close();
      const { rows } = await db.query('SELECT version FROM inventory_migrations ORDER BY version', []);
      expect(rows).toEqual(inventoryMigrations.migrations.map(({ version }) => ({ version })));
    });
  });
});

describe.skipIf(!postgresUp)('movies API when the database is unreachable', () => {
  it('answers 503 with Retry-After and /ready 503, then serves again once the database is back', async () => {
    const database = await createTestDatabase('inventory_outage');
    const server = new URL(database.url);
    const proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const db = createPgDb({ connectionString: viaProxy.toString(), connectionTimeoutMs: 1_000, label: 'movies' });
    const service = await createInventoryService({ config, logger, db });
    try {
      expect((await call(service, 'POST', '/api/movies', { title: 'Before' })).status).toBe(201);
      await proxy.cut();
      for (const [method, url, body] of [
        ['GET', '/api/movies'],
        ['GET', '/api/movies/1'],
        ['POST', '/api/movies', { title: 'During' }],
      ] as const) {
        const answer = await call(service, method, url, body);
        expect({ method, url, status: answer.status }).toEqual({ method, url, status: 503 });
        expect(answer.headers['retry-after']).toBe('5');
        expect(answer.body.error).toBe('The movies database is unavailable, try again later');
      }
      expect((await call(service, 'GET', '/ready')).status).toBe(503);

      await proxy.restore();
      expect((await call(service, 'GET', '/ready')).status).toBe(200);
      const list = await call(service, 'GET', '/api/movies');
      expect(list.body.map((movie: { title: string }) => movie.title)).toEqual(['Before']);
    } finally {
      await service.close();
      await db.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describe('closing the service', () => {
  it('stops serving and leaves the database it was given open for whoever opened it; closing twice is harmless', async () => {
    const db = await createPgliteDb();
    const service = await createInventoryService({ config, logger, db });
    const url = await service.start(0, '127.0.0.1');
    expect((await fetch(`${url}/api/movies`)).status).toBe(200);
    await service.close();
    await service.close();
    await expect(fetch(`${url}/api/movies`)).rejects.toThrow();
    await expect(db.ping()).resolves.toBeUndefined();
    await db.close();
  });
});
