import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createTestDatabase, postgresAvailable } from './realServers.js';

/** An empty database of one kind, and the way to close it (and drop it) when the suite is done. */
export interface OpenedDb {
  db: Db;
  close(): Promise<void>;
}

export interface DbBackend {
  name: string;
  /** False when the server cannot be reached outside CI (the suite is skipped with a warning). */
  enabled: boolean;
  open(): Promise<OpenedDb>;
}

/**
 * The two backends every repository and service suite runs on: a throwaway database on the PostgreSQL
 * server (named after `prefix`) and an in-memory PGlite. The suite opened them, so it closes them.
 */
export async function dbBackends(prefix: string): Promise<DbBackend[]> {
  const postgresUp = await postgresAvailable();
  return [
    {
      name: 'PostgreSQL server',
      enabled: postgresUp,
      async open() {
        const database = await createTestDatabase(prefix);
        const db = createPgDb({ connectionString: database.url, maxConnections: 4 });
        return {
          db,
          async close() {
            await db.close();
            await database.drop();
          },
        };
      },
    },
    {
      name: 'PGlite',
      enabled: true,
      async open() {
        const db = await createPgliteDb();
        return { db, close: () => db.close() };
      },
    },
  ];
}
