import type { ListMoviesQuery, Movie, MovieUpdate, NewMovie } from '@shipshape/contracts';
import { isDatabaseUnavailable, type Db, type QueryResult } from '@shipshape/db';
import { ServiceUnavailableError } from '@shipshape/platform';

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
  // ILIKE with a pattern that starts with % is what the trigram index (migration 2) serves.
  // A title search scans the table (or the trigram index) once, for the count and the page together.
  pageByTitle: `WITH matching AS MATERIALIZED (SELECT ${MOVIE_COLUMNS} FROM movies WHERE title ILIKE $3)
SELECT (SELECT count(*) FROM matching) AS total, page.id, page.title, page.description
FROM (SELECT 1) AS one
LEFT JOIN (SELECT ${MOVIE_COLUMNS} FROM matching ORDER BY id LIMIT $1 OFFSET $2) AS page ON true
ORDER BY page.id`,
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

type PageRow = { total: number; id: number | null; title: string | null; description: string | null };

export function createSqlMoviesRepository(db: Db): MoviesRepository {
  /** A database that cannot be reached is a 503 for the caller ("try again"), not a 500. */
  async function query<Row>(sql: string, params: unknown[]): Promise<QueryResult<Row>> {
    try {
      return await db.query<Row>(sql, params);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        throw new ServiceUnavailableError('The movies database is unavailable, try again later', 5, { cause: error });
      }
      throw error;
    }
  }

  // Lookups by id share statements. One statement is in flight at a time: the ids asked for meanwhile
  // wait for it and then go together, so under load one round trip to PostgreSQL (one wake-up of its
  // backend) serves several requests (about nine in movies.get), while a lone request still goes out
  // after one event-loop turn. Measured (docs/performance.md): batching only the ids of the same turn
  // left most statements with one id; allowing 2 or 4 statements at once measured lower than 1.
  // `pending` exists without a lookup in flight only between its first id and the flush that turn.
  type Waiter = { resolve: (movie: Movie | undefined) => void; reject: (error: unknown) => void };
  let pending: Map<number, Waiter[]> | undefined;
  let lookupInFlight = false;
  async function lookUp(batch: Map<number, Waiter[]>): Promise<void> {
    try {
      const ids = [...batch.keys()];
      const { rows } =
        ids.length === 1
          ? await query<Movie>(moviesSql.selectById, ids)
          : await query<Movie>(moviesSql.selectByIds, [ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, waiters] of batch) for (const waiter of waiters) waiter.resolve(byId.get(id));
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
  function flush(): void {
    if (!pending || lookupInFlight) return;
    const batch = pending;
    pending = undefined;
    lookupInFlight = true;
    void lookUp(batch).finally(() => {
      lookupInFlight = false;
      flush();
    });
  }

  return {
    async create({ title, description }) {
      const { rows } = await query<Movie>(moviesSql.insert, [title, description]);
      return rows[0]!;
    },

    get(id) {
      return new Promise<Movie | undefined>((resolve, reject) => {
        if (!pending) {
          pending = new Map();
          // With a lookup in flight, its end sends what gathered meanwhile.
          if (!lookupInFlight) setImmediate(flush);
        }
        const waiters = pending.get(id);
        if (waiters) waiters.push({ resolve, reject });
        else pending.set(id, [{ resolve, reject }]);
      });
    },

    async list({ limit, offset, title }) {
      const { rows } =
        title === undefined
          ? await query<PageRow>(moviesSql.page, [limit, offset])
          : await query<PageRow>(moviesSql.pageByTitle, [limit, offset, containsPattern(title)]);
      const movies: Movie[] = [];
      for (const row of rows) {
        if (row.id !== null) movies.push({ id: row.id, title: row.title!, description: row.description! });
      }
      return { movies, total: rows[0]?.total ?? 0 };
    },

    async update(id, { title, description }) {
      const { rows } = await query<Movie>(moviesSql.update, [id, title ?? null, description ?? null]);
      return rows[0];
    },

    async delete(id) {
      const { rowCount } = await query(moviesSql.deleteById, [id]);
      return rowCount > 0;
    },

    async deleteAll() {
      const { rowCount } = await query(moviesSql.deleteAll, []);
      return rowCount;
    },
  };
}
