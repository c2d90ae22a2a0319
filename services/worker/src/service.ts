import { runMigrations, type Db } from '@shipshape/db';
import { closeInOrder, createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { VoteLog } from '@shipshape/votelog';
import { createVotesStore, votesMigrations } from '@shipshape/votestore';
import type { WorkerConfig } from './config.js';
import { createWorkerMetrics } from './metrics.js';
import { createVoteWorker } from './voteWorker.js';

export { workerConfigSchema, workerProcessConfigSchema, type WorkerConfig } from './config.js';

/** The database and the vote log are given; whoever created them closes them, after `close()`. */
export type WorkerDeps = ServiceDeps<WorkerConfig, { db: Db; voteLog: VoteLog }>;

/**
 * The worker: brings the votes schema up to date, then moves votes from the vote log to PostgreSQL
 * from `start()` on. Its HTTP port serves only `/health`, `/ready` and `/metrics`.
 */
export async function createWorkerService({ config, logger, db, voteLog }: WorkerDeps): Promise<Service> {
  await runMigrations(db, votesMigrations, logger);

  const app = createServer({
    service: 'worker',
    logger,
    config,
    readinessChecks: { database: () => db.ping(), voteLog: () => voteLog.check() },
  });
  const metrics = createWorkerMetrics(app.metrics.registry, voteLog, logger);
  // No client reaches the worker, so its metrics are served on its own port too (docs/design.md).
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(text);
  });
  await app.ready();

  const options = {
    consumer: config.WORKER_CONSUMER,
    batchSize: config.WORKER_BATCH_SIZE,
    batchWaitMs: config.WORKER_BATCH_WAIT_MS,
    blockMs: config.WORKER_BLOCK_MS,
    claimIdleMs: config.WORKER_CLAIM_IDLE_MS,
    claimIntervalMs: config.WORKER_CLAIM_INTERVAL_MS,
    optionIds: config.VOTE_OPTIONS.map((option) => option.id),
  };
  const worker = createVoteWorker({ voteLog, votes: createVotesStore(db), logger, metrics, options });

  return {
    app,
    start(port, host) {
      worker.start();
      logger.info(options, 'moving votes to the database');
      return app.listen({ port, host });
    },
    // The batch under way is finished or left pending for a claim; the connections stay open.
    close: () => closeInOrder([() => worker.stop(), () => app.close()], logger),
  };
}
