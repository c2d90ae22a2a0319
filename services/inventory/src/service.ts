import { runMigrations, type Db } from '@shipshape/db';
import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { InventoryConfig } from './config.js';
import { inventoryMigrations } from './migrations.js';
import { createSqlMoviesRepository } from './moviesRepository.js';
import { registerMovieRoutes } from './routes.js';

export { inventoryConfigSchema, inventoryProcessConfigSchema, type InventoryConfig } from './config.js';

/** PostgreSQL (`createPgDb`) or PGlite (`createPgliteDb`); whoever created it closes it. */
export type InventoryDeps = ServiceDeps<InventoryConfig, { db: Db }>;

/**
 * The inventory service: brings the schema up to date (replicas starting together take turns),
 * then serves the movies API. `/ready` answers 503 while the database does not answer.
 */
export async function createInventoryService({ config, logger, db }: InventoryDeps): Promise<Service> {
  await runMigrations(db, inventoryMigrations, logger);

  const app = createServer({ service: 'inventory', logger, config, readinessChecks: { database: () => db.ping() } });
  registerMovieRoutes(app, createSqlMoviesRepository(db));

  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    // Stops accepting and finishes in-flight requests; the database is closed by whoever opened it.
    close: () => app.close(),
  };
}
