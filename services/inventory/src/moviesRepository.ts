import type { ListMoviesQuery, Movie, MovieUpdate, NewMovie } from '@shipshape/contracts';
import type { Db } from '@shipshape/db';
import { createBatcher } from '@shipshape/platform';

/** One page of a movie list and how many movies match in all (for `X-Total-Count`). */
export interface MoviePage {
  movies: Movie[];
  total: number;
}

/** The movie catalogue. Unknown ids are answered with `undefined`/`false`, not errors. */
export interface MoviesRepository {
  create(movie: NewMovie): Promise<Movie>;
  get(id: number): Promise<Movie | undefined>;
  /** Ordered by id; `title` keeps the movies whose title contains it, ignoring case. */
  list(query: ListMoviesQuery): Promise<MoviePage>;
  /** Changes the fields given and keeps the others. */
  update(id: number, changes: MovieUpdate): Promise<Movie | undefined>;
  delete(id: number): Promise<boolean>;
  /** Answers how many movies were deleted. */
  deleteAll(): Promise<number>;
}

const MOVIE_COLUMNS = 'id, title, description';

/**
 * A page and the total come from one statement, so they agree with each other, and a page past the
 * end still carries the total (the left join yields one row of nulls when the page is empty).
 */
function pageSql(where: string): string {
  return `SELECT matching.total, page.id, page.title, page.description
FROM (SELECT count(*) AS total FROM movies ${where}) AS matching
LEFT JOIN (SELECT ${MOVIE_COLUMNS} FROM movies ${where} ORDER BY id LIMIT $1 OFFSET $2) AS page ON true
ORDER BY page.id`;
}

/** The statements, exported so that tests can ask the planner how it runs them. */
export const moviesSql = {
  insert: `INSERT INTO movies (title, description) VALUES ($1, $2) RETURNING ${MOVIE_COLUMNS}`,
  selectById: `SELECT ${MOVIE_COLUMNS} FROM movies WHERE id = $1`,
  selectByIds: `SELECT ${MOVIE_COLUMNS} FROM movies WHERE id = ANY($1::integer[])`,
  page: pageSql(''),
  // ILIKE in a UTF-8 database is lower(title) LIKE lower(pattern); title_lower is lower(title) stored
  // (migration 3), so no row is lower-cased while searching, and the pattern once per statement (a
  // sub-select, not an expression evaluated per row). The trigram index on title_lower serves it.
  // A title search scans the table (or the trigram index) once, for the count and the page together.
  pageByTitle: `WITH matching AS MATERIALIZED (
  SELECT ${MOVIE_COLUMNS} FROM movies WHERE title_lower LIKE (SELECT lower($3::text))
)
SELECT (SELECT count(*) FROM matching) AS total, page.id, page.title, page.description
FROM (SELECT 1) AS one
LEFT JOIN (SELECT ${MOVIE_COLUMNS} FROM matching ORDER BY id LIMIT $1 OFFSET $2) AS page ON true
ORDER BY page.id`,
  // Several title searches in one statement: each term gets what pageByTitle would answer it, its
  // rows tagged with its place in the arrays. The terms are lowered first (a materialized CTE, so
  // that lower() is not pulled into the per-row filter); for each one the planner picks the scan or
  // the trigram index, as for pageByTitle.
  pagesByTitles: `WITH terms AS MATERIALIZED (
  SELECT n::integer AS n, lower(pattern) AS pattern, page_limit, page_offset
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS t(pattern, page_limit, page_offset, n)
)
SELECT terms.n, found.total, found.id, found.title, found.description
FROM terms CROSS JOIN LATERAL (
  WITH matching AS MATERIALIZED (SELECT ${MOVIE_COLUMNS} FROM movies WHERE title_lower LIKE terms.pattern)
  SELECT (SELECT count(*) FROM matching) AS total, page.id, page.title, page.description
  FROM (SELECT 1) AS one
  LEFT JOIN (
    SELECT ${MOVIE_COLUMNS} FROM matching ORDER BY id LIMIT terms.page_limit OFFSET terms.page_offset
  ) AS page ON true
) AS found
ORDER BY terms.n, found.id`,
  // coalesce keeps a column whose new value is not given (null).
  update: `UPDATE movies SET title = coalesce($2, title), description = coalesce($3, description)
WHERE id = $1 RETURNING ${MOVIE_COLUMNS}`,
  deleteById: 'DELETE FROM movies WHERE id = $1',
  deleteAll: 'DELETE FROM movies',
} as const;

/**
 * The LIKE pattern that matches `term` anywhere, with LIKE's wildcards (`%`, `_`) and its escape
 * character (backslash, PostgreSQL's default) escaped so that they match themselves.
 */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** Most title searches sent in one statement; more wait for the next. */
const MAX_SEARCHES_PER_STATEMENT = 50;

type Lookup = { id: number; resolve: (movie: Movie | undefined) => void; reject: (error: unknown) => void };

type PageRow = { total: number; id: number | null; title: string | null; description: string | null };

type Search = {
  limit: number;
  offset: number;
  pattern: string;
  resolve: (page: MoviePage) => void;
  reject: (error: unknown) => void;
};

/** The page that rows of one search make: a row without an id only carries the total. */
function toPage(rows: PageRow[], from = 0, to = rows.length): MoviePage {
  const movies: Movie[] = [];
  for (let index = from; index < to; index++) {
    const row = rows[index]!;
    if (row.id !== null) movies.push({ id: row.id, title: row.title!, description: row.description! });
  }
  return { movies, total: from < to ? rows[from]!.total : 0 };
}

export function createSqlMoviesRepository(db: Db): MoviesRepository {
  // Lookups by id share statements: one is in flight at a time, and the ids asked for meanwhile go
  // together when it is back, so under load one round trip serves several requests while a lone one
  // still goes after one turn (docs/decisions/0003-request-collapser.md).
  const lookups = createBatcher<Lookup>({
    async send(batch) {
      try {
        const ids = [...new Set(batch.map((lookup) => lookup.id))];
        const { rows } =
          ids.length === 1
            ? await db.query<Movie>(moviesSql.selectById, ids)
            : await db.query<Movie>(moviesSql.selectByIds, [ids]);
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const lookup of batch) lookup.resolve(byId.get(lookup.id));
      } catch (error) {
        for (const lookup of batch) lookup.reject(error);
      }
    },
  });

  // Title searches are gathered the same way: what arrives while a statement runs goes as the next
  // one, so that one round trip, one wake-up of PostgreSQL and one parse of the answer serve them
  // all. Nothing is answered from an earlier statement: each search is part of a statement that
  // starts after it arrived (docs/decisions/0006-title-search.md).
  const searches = createBatcher<Search>({
    maxBatchSize: MAX_SEARCHES_PER_STATEMENT,
    async send(batch) {
      try {
        if (batch.length === 1) {
          const [{ limit, offset, pattern, resolve }] = batch as [Search];
          const { rows } = await db.query<PageRow>(moviesSql.pageByTitle, [limit, offset, pattern]);
          resolve(toPage(rows));
          return;
        }
        const { rows } = await db.query<PageRow & { n: number }>(moviesSql.pagesByTitles, [
          batch.map((search) => search.pattern),
          batch.map((search) => search.limit),
          batch.map((search) => search.offset),
        ]);
        // Rows come ordered by n (1-based, the search's place in the batch); each search has at least one.
        let from = 0;
        for (let index = 0; index < batch.length; index++) {
          let to = from;
          while (to < rows.length && rows[to]!.n === index + 1) to++;
          batch[index]!.resolve(toPage(rows, from, to));
          from = to;
        }
      } catch (error) {
        for (const search of batch) search.reject(error);
      }
    },
  });

  return {
    async create({ title, description }) {
      const { rows } = await db.query<Movie>(moviesSql.insert, [title, description]);
      return rows[0]!;
    },

    get(id) {
      return new Promise<Movie | undefined>((resolve, reject) => lookups.add({ id, resolve, reject }));
    },

    async list({ limit, offset, title }) {
      if (title !== undefined) {
        const pattern = containsPattern(title);
        return new Promise<MoviePage>((resolve, reject) => searches.add({ limit, offset, pattern, resolve, reject }));
      }
      const { rows } = await db.query<PageRow>(moviesSql.page, [limit, offset]);
      return toPage(rows);
    },

    async update(id, { title, description }) {
      const { rows } = await db.query<Movie>(moviesSql.update, [id, title ?? null, description ?? null]);
      return rows[0];
    },

    async delete(id) {
      const { rowCount } = await db.query(moviesSql.deleteById, [id]);
      return rowCount > 0;
    },

    async deleteAll() {
      const { rowCount } = await db.query(moviesSql.deleteAll, []);
      return rowCount;
    },
  };
}
