import { voterIdSchema } from '@shipshape/contracts';
import { backoffDelay, messageOf, ServiceUnavailableError, type Logger } from '@shipshape/platform';
import { isMalformed, type LogEntry, type VoteEntry, type VoteLog } from '@shipshape/votelog';
import type { VotesStore } from '@shipshape/votestore';
import type { WorkerMetrics } from './metrics.js';

export interface VoteWorkerOptions {
  consumer: string;
  batchSize: number;
  /** After a batch smaller than `batchSize`, how long votes may gather before the next read. */
  batchWaitMs: number;
  blockMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  /** The poll's option ids: a vote for another can never count. */
  optionIds: readonly string[];
  /** First wait after a failure; doubles per failure in a row up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface VoteWorkerDeps {
  voteLog: VoteLog;
  votes: VotesStore;
  logger: Logger;
  metrics: WorkerMetrics;
  options: VoteWorkerOptions;
}

export interface VoteWorker {
  start(): void;
  /** Finishes the batch under way (or leaves it pending for a claim), then resolves. */
  stop(): Promise<void>;
}

/** Why an entry can never count, or undefined for a vote the store takes. */
export function whyNeverValid(entry: LogEntry, optionIds: ReadonlySet<string>): string | undefined {
  if (isMalformed(entry)) return `not a vote: ${entry.malformed}`;
  if (!voterIdSchema.safeParse(entry.voterId).success) return 'voterId is not a voter id';
  if (!optionIds.has(entry.option)) {
    return `option ${JSON.stringify(entry.option)} is not in the poll (${[...optionIds].join(', ')})`;
  }
  return undefined;
}

/**
 * The worker's loop: takes over votes a dead worker left pending, reads new ones through the consumer
 * group, stores each batch in one transaction and acknowledges it only after the commit. A failure
 * keeps the batch and tries it again after a growing wait, so a database or Redis outage delays votes
 * and loses none; a vote that can never count goes to the dead-letter stream and the loop goes on.
 */
export function createVoteWorker({ voteLog, votes, logger, metrics, options }: VoteWorkerDeps): VoteWorker {
  const optionIds = new Set(options.optionIds);
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  let stopping = false;
  let running: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let failuresInARow = 0;
  let lastClaim = 0;

  /** Waits `ms`, or less when the worker is stopped meanwhile. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function failed(what: string, error: unknown): Promise<void> {
    failuresInARow += 1;
    const level = failuresInARow === 1 || failuresInARow % 20 === 0 ? 'warn' : 'debug';
    logger[level]({ err: error, attempt: failuresInARow }, `${what} failed; trying again`);
    if (!stopping) await pause(backoffDelay(retryDelayMs, maxRetryDelayMs, failuresInARow));
  }

  /** Runs `work` until it succeeds or the worker stops; true when it succeeded. */
  async function untilDone(what: string, work: () => Promise<void>): Promise<boolean> {
    while (!stopping) {
      try {
        await work();
        failuresInARow = 0;
        return true;
      } catch (error) {
        metrics.failures.inc();
        await failed(what, error);
      }
    }
    return false;
  }

  async function deadLetter(entry: LogEntry, reason: string): Promise<void> {
    if (await untilDone('dead-lettering a vote', () => voteLog.deadLetter(entry, reason))) {
      metrics.deadLetters.inc();
      logger.warn({ entry: entry.id, reason }, 'vote moved to the dead-letter stream');
    }
  }

  /** Stores `batch`; a refusal that is not an outage is narrowed down vote by vote. */
  async function store(batch: VoteEntry[]): Promise<void> {
    while (!stopping) {
      try {
        const applied = await votes.applyBatch(batch);
        metrics.batchSize.observe(batch.length);
        metrics.votes.inc({ outcome: 'applied' }, applied.applied);
        metrics.votes.inc({ outcome: 'stale' }, applied.stale);
        failuresInARow = 0;
        break;
      } catch (error) {
        metrics.failures.inc();
        if (error instanceof ServiceUnavailableError || batch.length === 1) {
          if (!(error instanceof ServiceUnavailableError)) return deadLetter(batch[0]!, messageOf(error));
          await failed('storing a batch of votes', error);
          continue;
        }
        logger.warn({ err: error, votes: batch.length }, 'the database refused a batch; storing its votes one by one');
        for (const vote of batch) await store([vote]);
        return;
      }
    }
    if (stopping) return;
    // Acknowledged only now that the commit holds them; a crash before this hands them out again,
    // which the store's ordering rule makes harmless.
    await untilDone('acknowledging stored votes', () => voteLog.ack(batch.map((vote) => vote.id)));
  }

  async function handle(entries: LogEntry[]): Promise<void> {
    const valid: VoteEntry[] = [];
    for (const entry of entries) {
      const reason = whyNeverValid(entry, optionIds);
      if (reason === undefined) valid.push(entry as VoteEntry);
      else await deadLetter(entry, reason);
    }
    if (valid.length > 0) await store(valid);
  }

  async function next(): Promise<LogEntry[]> {
    if (Date.now() - lastClaim >= options.claimIntervalMs) {
      lastClaim = Date.now();
      const claimed = await voteLog.claimStale(options.consumer, {
        minIdleMs: options.claimIdleMs,
        count: options.batchSize,
      });
      if (claimed.length > 0) {
        logger.info({ votes: claimed.length }, 'took over votes another worker left pending');
        return claimed;
      }
    }
    return voteLog.read(options.consumer, { count: options.batchSize, blockMs: options.blockMs });
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let entries: LogEntry[];
      try {
        entries = await next();
        failuresInARow = 0;
      } catch (error) {
        if (stopping) break;
        await failed('reading the vote log', error);
        continue;
      }
      if (entries.length === 0) continue;
      await handle(entries);
      if (entries.length < options.batchSize && options.batchWaitMs > 0 && !stopping) {
        await pause(options.batchWaitMs);
      }
    }
  }

  return {
    start() {
      running ??= loop().catch((error: unknown) => logger.error({ err: error }, 'the vote worker stopped'));
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await running;
    },
  };
}
