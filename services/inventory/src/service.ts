import { runMigrations, type Db } from '@shipshape/db';
import { closeInOrder, createServer, type Logger, type Service } from '@shipshape/platform';
import { migrations, MIGRATIONS_TABLE } from './migrations.js';
import { createSqlMoviesRepository } from './moviesRepository.js';
import { registerMovieRoutes } from './routes.js';

export { inventoryConfigSchema, type InventoryConfig } from './config.js';

export interface InventoryServiceDeps {
  /** PostgreSQL (`createPgDb`) or PGlite (`createPgliteDb`); the service closes it on `close()`. */
  db: Db;
  logger: Logger;
}

/**
 * The inventory service: brings the schema up to date (replicas starting together take turns),
 * then serves the movies API. `/ready` answers 503 while the database does not answer.
 */
export async function createInventoryService({ db, logger }: InventoryServiceDeps): Promise<Service> {
  const applied = await runMigrations(db, MIGRATIONS_TABLE, migrations);
  if (applied.length > 0) logger.info({ versions: applied }, 'applied database migrations');

  const app = createServer({ service: 'inventory', logger, readinessChecks: { database: () => db.ping() } });
  registerMovieRoutes(app, createSqlMoviesRepository(db));

  let closing: Promise<void> | undefined;
  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    // In-flight requests finish before the pool they use is closed; a second call waits for the first.
    close: () => (closing ??= closeInOrder([() => app.close(), () => db.close()], logger)),
  };
}
