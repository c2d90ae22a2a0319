import { env, redactUrl } from '@shipshape/platform';
import pg from 'pg';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  type Db,
  type Listener,
  type QueryResult,
  type SqlExecutor,
} from './db.js';
import { listenWithPg } from './pgListener.js';

export interface PgDbOptions {
  connectionString: string;
  maxConnections?: number;
  /** How long a query may wait for a free connection before failing (the database is likely down). */
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  /** What the database holds, as a 503 names it ("The movies database is unavailable"); default "service". */
  label?: string;
}

// PostgreSQL bigint and numeric arrive as strings by default; counts and ids here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * Statements that take parameters are sent as named prepared statements, so each connection of the
 * pool parses and plans a hot query once instead of on every call.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

async function run<Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
  const result =
    params === undefined
      ? await client.query(sql)
      : await client.query({ name: statementName(sql), text: sql, values: params });
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

export function createPgDb(options: PgDbOptions): Db {
  const label = options.label ?? 'service';
  const target = redactUrl(options.connectionString);
  /** A database that cannot be reached is the caller's 503, decided here once for every repository. */
  const unavailable = (error: unknown): never => {
    throw isDatabaseUnavailable(error) ? new DatabaseUnavailableError(label, error, target) : error;
  };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would
  // crash the process, whereas the next query simply gets a fresh connection.
  pool.on('error', () => {});
  const listeners = new Set<Listener>();

  return {
    query: <Row>(sql: string, params?: unknown[]) => run<Row>(pool, sql, params).catch(unavailable),
    async exec(sql) {
      await pool.query(sql).catch(unavailable);
    },
    async transaction(work) {
      const client = await pool.connect().catch(unavailable);
      try {
        await client.query('BEGIN');
        const tx: SqlExecutor = { query: (sql, params) => run(client, sql, params) };
        const result = await work(tx);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        // A connection whose transaction failed may be broken; do not hand it out again.
        client.release(error instanceof Error ? error : true);
        return unavailable(error);
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async listen(channel, onChange) {
      const listener = await listenWithPg(
        {
          connectionString: options.connectionString,
          applicationName: options.applicationName,
          label,
          target,
          connectionTimeoutMs: options.connectionTimeoutMs ?? 5_000,
        },
        channel,
        onChange,
      );
      const tracked: Listener = {
        async close() {
          listeners.delete(tracked);
          await listener.close();
        },
      };
      listeners.add(tracked);
      return tracked;
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.close()));
      await pool.end();
    },
  };
}

/** The variables of a service that keeps its data in PostgreSQL (read by its config schema). */
export const postgresEnv = {
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  /** Connections the service keeps to PostgreSQL; each replica holds up to this many. */
  DATABASE_POOL_SIZE: env.positiveInt(10),
};

/** The pool a service's `main.ts` opens from its config; `label` names the data in a 503. */
export function connectPostgres(
  config: { DATABASE_URL: string; DATABASE_POOL_SIZE: number },
  applicationName: string,
  label: string,
): Db {
  return createPgDb({
    connectionString: config.DATABASE_URL,
    maxConnections: config.DATABASE_POOL_SIZE,
    applicationName,
    label,
  });
}
