/**
 * The contract of `MoviesRepository`, run unchanged on the PostgreSQL server and on PGlite: the same
 * SQL implementation serves both modes and must behave the same on each.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runMigrations, type Db } from '@shipshape/db';
import { dbBackends } from '@shipshape/testkit';
import { inventoryMigrations } from '../src/migrations.js';
import {
  containsPattern,
  createSqlMoviesRepository,
  moviesSql,
  type MoviesRepository,
} from '../src/moviesRepository.js';

const adapters = await dbBackends('inventory_repository');

const page = (query: { limit?: number; offset?: number; title?: string } = {}) => ({ limit: 100, offset: 0, ...query });

describe.each(adapters)('MoviesRepository contract: $name', ({ enabled, open }) => {
  let db: Db;
  let cleanup: (() => Promise<void>) | undefined;
  let movies: MoviesRepository;

  beforeAll(async () => {
    if (!enabled) return;
    ({ db, close: cleanup } = await open());
    await runMigrations(db, inventoryMigrations);
    movies = createSqlMoviesRepository(db);
  });
  afterAll(async () => {
    await cleanup?.();
  });
  beforeEach(async () => {
    if (enabled) await movies.deleteAll();
  });

  const titlesOf = async (query: Parameters<typeof page>[0]) =>
    (await movies.list(page(query))).movies.map((movie) => movie.title);

  describe.skipIf(!enabled)('operations', () => {
    it('creates a movie and answers exactly id, title and description', async () => {
      const created = await movies.create({ title: 'Alien', description: 'In space no one can hear you scream' });
      expect(Object.keys(created).sort()).toEqual(['description', 'id', 'title']);
      expect(created).toEqual({
        id: expect.any(Number),
        title: 'Alien',
        description: 'In space no one can hear you scream',
      });
      expect(Number.isInteger(created.id) && created.id > 0).toBe(true);
      expect(await movies.get(created.id)).toEqual(created);
    });

    it('gives each new movie a new, increasing id', async () => {
      const first = await movies.create({ title: 'One', description: '' });
      const second = await movies.create({ title: 'Two', description: '' });
      expect(second.id).toBeGreaterThan(first.id);
    });

    it('answers undefined for an unknown id', async () => {
      expect(await movies.get(2_147_483_647)).toBeUndefined();
    });

    it('answers each of many lookups asked at once with its own movie (they share one query)', async () => {
      const created = await Promise.all(['A', 'B', 'C'].map((title) => movies.create({ title, description: title })));
      const ids = [created[2]!.id, created[0]!.id, 2_147_483_647, created[0]!.id, created[1]!.id];
      const found = await Promise.all(ids.map((id) => movies.get(id)));
      expect(found).toEqual([created[2], created[0], undefined, created[0], created[1]]);
    });

    it('holds the lookups asked while one is being fetched and sends them together once it is back', async () => {
      const created = await Promise.all(['A', 'B', 'C'].map((title) => movies.create({ title, description: title })));
      const statements: unknown[] = [];
      let answerFirst!: () => void;
      const firstAnswered = new Promise<void>((resolve) => (answerFirst = resolve));
      // The database as it is, except that the first statement's answer waits until the test lets it through.
      const counted = createSqlMoviesRepository({
        ...db,
        async query<Row>(sql: string, params?: unknown[]) {
          statements.push(params?.[0]);
          const result = await db.query<Row>(sql, params);
          if (statements.length === 1) await firstAnswered;
          return result;
        },
      });
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      const first = counted.get(created[0]!.id);
      await nextTurn();
      const second = counted.get(created[1]!.id);
      await nextTurn();
      const third = counted.get(created[2]!.id);
      await nextTurn();
      expect(statements).toEqual([created[0]!.id]);
      answerFirst();
      expect(await Promise.all([first, second, third])).toEqual(created);
      expect(statements).toEqual([created[0]!.id, [created[1]!.id, created[2]!.id]]);
    });

    it('answers the lookups after a failed one', async () => {
      const movie = await movies.create({ title: 'Alien', description: '' });
      // Past PostgreSQL's integer range: the statement itself fails (the routes refuse such ids first).
      await expect(movies.get(2 ** 40)).rejects.toThrow(/out of range/);
      expect(await movies.get(movie.id)).toEqual(movie);
    });

    it('stores quotes, wildcards, backslashes and any Unicode verbatim', async () => {
      const title = `O'Brien "quoted" 100% a_b back\\slash \\% été 🎬 ; DROP TABLE movies; --`;
      const description = 'line one\nline two\t\u00a0tab';
      const created = await movies.create({ title, description });
      expect(await movies.get(created.id)).toEqual({ id: created.id, title, description });
    });

    it('lists movies by id with limit and offset, and the total of all of them', async () => {
      const created = [];
      for (let i = 1; i <= 5; i++) created.push(await movies.create({ title: `Movie ${i}`, description: `#${i}` }));
      expect(await movies.list(page())).toEqual({ movies: created, total: 5 });
      expect(await movies.list(page({ limit: 2, offset: 1 }))).toEqual({ movies: created.slice(1, 3), total: 5 });
      expect(await movies.list(page({ limit: 2, offset: 4 }))).toEqual({ movies: created.slice(4), total: 5 });
    });

    it('answers an empty page past the end, still with the total', async () => {
      await movies.create({ title: 'Only one', description: '' });
      expect(await movies.list(page({ offset: 1 }))).toEqual({ movies: [], total: 1 });
      expect(await movies.list(page({ offset: 2_147_483_647 }))).toEqual({ movies: [], total: 1 });
    });

    it('answers an empty list and a total of 0 when there are no movies', async () => {
      expect(await movies.list(page())).toEqual({ movies: [], total: 0 });
      expect(await movies.list(page({ title: 'anything' }))).toEqual({ movies: [], total: 0 });
    });

    it('finds titles containing the search term, ignoring case, with the total of the matches', async () => {
      for (const title of ['The Matrix', 'Matrix Reloaded', 'Heat', 'THE MATRIX REVOLUTIONS', 'École', 'Amélie'])
        await movies.create({ title, description: '' });
      expect(await titlesOf({ title: 'matrix' })).toEqual(['The Matrix', 'Matrix Reloaded', 'THE MATRIX REVOLUTIONS']);
      expect(await movies.list(page({ title: 'MaTrIx', limit: 1, offset: 1 }))).toEqual({
        movies: [expect.objectContaining({ title: 'Matrix Reloaded' })],
        total: 3,
      });
      expect(await titlesOf({ title: 'at' })).toEqual([
        'The Matrix',
        'Matrix Reloaded',
        'Heat',
        'THE MATRIX REVOLUTIONS',
      ]);
      expect(await titlesOf({ title: 'éCOLE' })).toEqual(['École']);
      expect(await titlesOf({ title: 'ÉLIE' })).toEqual(['Amélie']);
      expect(await titlesOf({ title: 'nothing like it' })).toEqual([]);
      expect((await movies.list(page({ title: '' }))).total).toBe(6);
    });

    it('finds a movie by the title it has now, after an update, and not by the one it had', async () => {
      const { id } = await movies.create({ title: 'Alien', description: '' });
      await movies.update(id, { title: 'ALIENS' });
      expect(await titlesOf({ title: 'aliens' })).toEqual(['ALIENS']);
      await movies.update(id, { title: 'Prometheus' });
      expect(await titlesOf({ title: 'alien' })).toEqual([]);
      expect(await titlesOf({ title: 'METHE' })).toEqual(['Prometheus']);
    });

    it('matches %, _, backslashes and quotes in the search term literally', async () => {
      const titles = ['100% Pure', '100 Pure', 'a_b', 'axb', 'back\\slash', 'backslash', 'x\\%y', `O'Brien "quoted"`];
      for (const title of titles) await movies.create({ title, description: '' });
      expect(await titlesOf({ title: '100%' })).toEqual(['100% Pure']);
      expect(await titlesOf({ title: '%' })).toEqual(['100% Pure', 'x\\%y']);
      expect(await titlesOf({ title: 'a_b' })).toEqual(['a_b']);
      expect(await titlesOf({ title: '_' })).toEqual(['a_b']);
      expect(await titlesOf({ title: 'k\\s' })).toEqual(['back\\slash']);
      expect(await titlesOf({ title: '\\' })).toEqual(['back\\slash', 'x\\%y']);
      expect(await titlesOf({ title: '\\%' })).toEqual(['x\\%y']);
      expect(await titlesOf({ title: `'brien "QUOTED` })).toEqual([`O'Brien "quoted"`]);
      expect(await titlesOf({ title: "'" })).toEqual([`O'Brien "quoted"`]);
    });

    it('answers each of many searches asked at once with its own page and total (they share one statement)', async () => {
      const titles = ['The Matrix', 'Matrix Reloaded', 'Heat', '100% Pure', 'a_b', 'axb', 'Amélie', 'back\\slash'];
      for (const title of titles) await movies.create({ title, description: title.length.toString() });
      const queries = [
        { title: 'matrix' },
        { title: 'MATRIX', limit: 1, offset: 1 },
        { title: 'matrix', offset: 5 },
        { title: 'nothing like it' },
        { title: '%' },
        { title: '_' },
        { title: 'ÉLIE' },
        { title: '\\' },
        { title: '' },
        { title: 'a', limit: 2, offset: 2_147_483_647 },
        { title: 'matrix' },
      ];
      const alone = [];
      for (const query of queries) alone.push(await movies.list(page(query)));
      const together = await Promise.all(queries.map((query) => movies.list(page(query))));
      expect(together).toEqual(alone);
      expect(together[1]).toEqual({ movies: [expect.objectContaining({ title: 'Matrix Reloaded' })], total: 2 });
      expect(together[2]).toEqual({ movies: [], total: 2 });
      expect(together[3]).toEqual({ movies: [], total: 0 });
      expect(together[5]!.movies.map((movie) => movie.title)).toEqual(['a_b']);
      expect(together[8]!.total).toBe(titles.length);
      expect(together[9]).toEqual({ movies: [], total: 7 });
    });

    it('holds the searches asked while one runs and sends them together once it is back', async () => {
      await movies.create({ title: 'The Matrix', description: '' });
      await movies.create({ title: 'Heat', description: '' });
      const statements: string[] = [];
      let answerFirst!: () => void;
      const firstAnswered = new Promise<void>((resolve) => (answerFirst = resolve));
      const counted = createSqlMoviesRepository({
        ...db,
        async query<Row>(sql: string, params?: unknown[]) {
          statements.push(sql);
          const result = await db.query<Row>(sql, params);
          if (statements.length === 1) await firstAnswered;
          return result;
        },
      });
      const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
      const first = counted.list(page({ title: 'matrix' }));
      await nextTurn();
      const second = counted.list(page({ title: 'heat' }));
      const third = counted.list(page({ title: 'e' }));
      await nextTurn();
      expect(statements).toEqual([moviesSql.pageByTitle]);
      answerFirst();
      const titles = (await Promise.all([first, second, third])).map((found) =>
        found.movies.map((movie) => movie.title),
      );
      expect(titles).toEqual([['The Matrix'], ['Heat'], ['The Matrix', 'Heat']]);
      expect(statements).toEqual([moviesSql.pageByTitle, moviesSql.pagesByTitles]);
    });

    it('rejects every search of a statement that failed, and answers the next ones', async () => {
      await movies.create({ title: 'The Matrix', description: '' });
      let fail = true;
      const failing = createSqlMoviesRepository({
        ...db,
        async query<Row>(sql: string, params?: unknown[]) {
          if (fail) throw new Error('the database went away');
          return db.query<Row>(sql, params);
        },
      });
      const asked = [failing.list(page({ title: 'matrix' })), failing.list(page({ title: 'heat' }))];
      await expect(Promise.all(asked)).rejects.toThrow(/went away/);
      await expect(asked[1]).rejects.toThrow(/went away/);
      fail = false;
      expect((await failing.list(page({ title: 'matrix' }))).total).toBe(1);
    });

    it('updates only the fields it is given and answers the movie', async () => {
      const { id } = await movies.create({ title: 'Alien', description: 'Original' });
      expect(await movies.update(id, { description: 'Director’s cut' })).toEqual({
        id,
        title: 'Alien',
        description: 'Director’s cut',
      });
      expect(await movies.update(id, { title: 'Aliens' })).toEqual({
        id,
        title: 'Aliens',
        description: 'Director’s cut',
      });
      expect(await movies.update(id, { title: 'Alien³', description: '' })).toEqual({
        id,
        title: 'Alien³',
        description: '',
      });
      expect(await movies.get(id)).toEqual({ id, title: 'Alien³', description: '' });
    });

    it('answers undefined when updating an unknown id, and changes nothing', async () => {
      const existing = await movies.create({ title: 'Kept', description: '' });
      expect(await movies.update(existing.id + 1000, { title: 'Nope' })).toBeUndefined();
      expect(await movies.list(page())).toEqual({ movies: [existing], total: 1 });
    });

    it('deletes one movie and tells whether there was one', async () => {
      const kept = await movies.create({ title: 'Kept', description: '' });
      const doomed = await movies.create({ title: 'Doomed', description: '' });
      expect(await movies.delete(doomed.id)).toBe(true);
      expect(await movies.get(doomed.id)).toBeUndefined();
      expect(await movies.delete(doomed.id)).toBe(false);
      expect(await movies.list(page())).toEqual({ movies: [kept], total: 1 });
    });

    it('deletes all movies and answers how many there were; ids are not reused', async () => {
      const before = await movies.create({ title: 'One', description: '' });
      await movies.create({ title: 'Two', description: '' });
      expect(await movies.deleteAll()).toBe(2);
      expect(await movies.list(page())).toEqual({ movies: [], total: 0 });
      expect(await movies.deleteAll()).toBe(0);
      expect((await movies.create({ title: 'Three', description: '' })).id).toBeGreaterThan(before.id + 1);
    });

    /**
     * A test table is far too small for the planner to prefer an index to reading a few pages, so
     * sequential scans are priced out: if the statement were one the index cannot serve (a wrong
     * operator, an expression around the column), the plan would still be a sequential scan.
     */
    const planOf = (sql: string, params: unknown[]) =>
      db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off', []);
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });

    it('searches titles through the trigram index', async () => {
      await movies.create({ title: 'The Matrix', description: '' });
      const plan = await planOf(moviesSql.pageByTitle, [100, 0, containsPattern('matrix')]);
      expect(plan).toMatch(/Bitmap Index Scan on movies_title_lower_trgm_idx/);
      expect(plan).not.toMatch(/Seq Scan/);
    });

    it('searches several titles through the trigram index', async () => {
      await movies.create({ title: 'The Matrix', description: '' });
      const plan = await planOf(moviesSql.pagesByTitles, [
        [containsPattern('matrix'), containsPattern('heat')],
        [100, 100],
        [0, 0],
      ]);
      expect(plan).toMatch(/Bitmap Index Scan on movies_title_lower_trgm_idx/);
      expect(plan).not.toMatch(/Seq Scan/);
    });

    it('reads a movie by id through the primary key', async () => {
      const plan = await planOf(moviesSql.selectById, [1]);
      expect(plan).toMatch(/Index Scan using movies_pkey/);
    });

    it('refuses a title or description the contracts would refuse (the table checks too)', async () => {
      await expect(movies.create({ title: '', description: '' })).rejects.toThrow();
      await expect(movies.create({ title: 'x'.repeat(201), description: '' })).rejects.toThrow();
      await expect(movies.create({ title: 'ok', description: 'x'.repeat(5_001) })).rejects.toThrow();
      expect((await movies.list(page())).total).toBe(0);
    });
  });
});

describe('containsPattern', () => {
  it('wraps the term in % and escapes LIKE wildcards and the escape character', () => {
    expect(containsPattern('matrix')).toBe('%matrix%');
    expect(containsPattern('100%')).toBe('%100\\%%');
    expect(containsPattern('a_b')).toBe('%a\\_b%');
    expect(containsPattern('back\\slash')).toBe('%back\\\\slash%');
    expect(containsPattern(`'"`)).toBe(`%'"%`);
    expect(containsPattern('')).toBe('%%');
  });
});
