import { runMigrations, type Db } from '@shipshape/db';
import { closeInOrder, createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import { createVotesStore, votesMigrations } from '@shipshape/votestore';
import { Gauge } from 'prom-client';
import type { ResultConfig } from './config.js';
import { startResultsFeed } from './resultsFeed.js';
import { registerResultRoutes } from './routes.js';

export { resultConfigSchema, resultProcessConfigSchema, type ResultConfig } from './config.js';

/** The votes database is given; whoever created it closes it, after `close()`. */
export type ResultDeps = ServiceDeps<ResultConfig, { db: Db }>;

/**
 * Result: serves the counts the worker keeps and pushes them to every connected client when they
 * change (`LISTEN` on the worker's `NOTIFY`). Migrations run here too, so it may start before the worker.
 */
export async function createResultService({ config, logger, db }: ResultDeps): Promise<Service> {
  await runMigrations(db, votesMigrations, logger);
  const poll = { question: config.VOTE_QUESTION, options: config.VOTE_OPTIONS };
  const votes = createVotesStore(db);
  const feed = await startResultsFeed({ db, votes, poll, logger });

  const app = createServer({ service: 'result', logger, config, readinessChecks: { database: () => db.ping() } });
  new Gauge({
    name: 'result_stream_clients',
    help: 'Clients connected to the results stream',
    registers: [app.metrics.registry],
    collect() {
      this.set(feed.subscribers);
    },
  });
  try {
    await registerResultRoutes(app, {
      poll,
      votes,
      feed,
      minIntervalMs: config.RESULTS_MIN_INTERVAL_MS,
      heartbeatMs: config.RESULTS_HEARTBEAT_MS,
    });
    await app.ready();
  } catch (error) {
    await feed.close();
    throw error;
  }

  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    // Ends the streams and stops listening; the database stays open for whoever opened it.
    close: () => closeInOrder([() => app.close(), () => feed.close()], logger),
  };
}
