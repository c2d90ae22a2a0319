import type { Logger } from '@shipshape/platform';
import type { VoteLog } from '@shipshape/votelog';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the worker reports on `/metrics`: how far behind it is, how it batches, what it gave up on. */
export function createWorkerMetrics(registry: Registry, voteLog: VoteLog, logger: Logger) {
  // Read at scrape time; a vote log that does not answer leaves the last value rather than failing the scrape.
  const gaugeOf = (name: string, help: string, read: () => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(await read());
        } catch (error) {
          logger.debug({ err: error, metric: name }, 'could not read a gauge');
        }
      },
    });
  gaugeOf('worker_lag_votes', 'Votes in the vote log not yet stored and acknowledged', () => voteLog.length());
  gaugeOf('worker_pending_votes', 'Votes handed to a worker and not yet acknowledged', () => voteLog.pending());
  return {
    batchSize: new Histogram({
      name: 'worker_batch_size',
      help: 'Votes per stored batch',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    votes: new Counter({
      name: 'worker_votes_total',
      help: 'Votes stored, by outcome: applied (the voter’s current vote changed) or stale (older than the stored one)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'worker_dead_letters_total',
      help: 'Votes moved to the dead-letter stream because they can never count',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'worker_batch_failures_total',
      help: 'Batches that could not be stored and were tried again',
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
