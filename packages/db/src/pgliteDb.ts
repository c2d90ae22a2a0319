import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { assertChannelName, type Db, type QueryResult, type SqlExecutor } from './db.js';

interface PgliteLike {
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount?: number; affectedRows?: number }>;
}

async function run<Row>(target: PgliteLike, sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
  const result = await target.query<Row>(sql, params);
  // `rowCount` is the command tag's count, as pg reports it (rows a SELECT returned, rows an UPDATE
  // changed); `affectedRows` is 0 for a SELECT, so it is only the fallback.
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

/**
 * The embedded PostgreSQL: a real PostgreSQL compiled to WebAssembly, persisted in `dataDir`
 * (in memory when none is given), so the embedded mode runs the same SQL, migrations and contract
 * tests as the server (docs/decisions/0001-pglite-embedded-database.md). PGlite serialises queries
 * itself; one instance serves the process.
 *
 * The contrib extensions that migrations may `CREATE EXTENSION` (as they would on the server, where
 * contrib is installed) must be bundled here: PGlite only knows the extensions it was given.
 */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const extensions = { pg_trgm };
  const pglite = await PGlite.create(dataDir ? { dataDir, extensions } : { extensions });
  return {
    query: (sql, params) => run(pglite, sql, params),
    async exec(sql) {
      await pglite.exec(sql);
    },
    transaction: (work) =>
      pglite.transaction((tx) => {
        const executor: SqlExecutor = { query: (sql, params) => run(tx, sql, params) };
        return work(executor);
      }),
    async ping() {
      await pglite.query('SELECT 1');
    },
    // PGlite runs in this process: its connection is never lost, so there is no reconnect to report.
    async listen(channel, onChange) {
      assertChannelName(channel);
      let closed = false;
      const unlisten = await pglite.listen(channel, () => {
        if (!closed) onChange();
      });
      return {
        async close() {
          if (closed) return;
          closed = true;
          await unlisten();
        },
      };
    },
    close: () => pglite.close(),
  };
}
