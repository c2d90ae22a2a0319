import { runMigrations, type Db } from '@shipshape/db';
import {
  backoffDelay,
  createBatcher,
  createLogger,
  messageOf,
  Signal,
  signalRegistry,
  withTimeout,
  type Logger,
} from '@shipshape/platform';
import {
  DEFAULT_MAX_ATTEMPTS,
  exhaustedReason,
  QueueUnavailableError,
  type BatchHandler,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type MessageQueue,
  type Outcome,
  type OutgoingMessage,
} from './messageQueue.js';
import { queueMigrations } from './migrations.js';

export interface EmbeddedQueueOptions {
  /** How often an idle consumer looks for messages that no in-process publish announced. */
  pollIntervalMs?: number;
  /**
   * How long a delivery stays reserved for its consumer. A consumer that vanished without acking
   * (a crash) gives its deliveries back when the lease runs out; they come again with `redelivered`.
   */
  leaseMs?: number;
  /**
   * True when no other process uses this database (PGlite): leases left by an earlier run of this
   * process are given back at open, so its unacknowledged deliveries come again at once.
   */
  exclusive?: boolean;
  /** Longest a publish waits for its commit before rejecting with `QueueUnavailableError`. */
  publishTimeoutMs?: number;
  /** First wait before a batch whose handler threw is delivered again; doubles while it keeps failing. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  logger?: Logger;
}

interface MessageRow {
  seq: number | string;
  message_id: string;
  body: Uint8Array;
  headers: Record<string, string> | null;
  deliveries: number;
  attempts: number;
}

interface Claimed {
  seq: number;
  delivery: Delivery;
}

/** Publishes made through any queue on the same `Db` object wake that object's idle consumers at once. */
const publishSignal = signalRegistry<Db>();

// Rows are inserted in array order, so `seq` keeps the order in which publishes were made.
const INSERT_MESSAGES_SQL = `
  INSERT INTO queue_messages (queue, message_id, body, headers)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])`;

/** Most publishes one insert carries. */
const MAX_PUBLISHES_PER_COMMIT = 500;

type Publish = { queue: string; message: OutgoingMessage; resolve: () => void; reject: (error: unknown) => void };

const CLAIM_SQL = `
  UPDATE queue_messages
     SET deliveries = deliveries + 1, leased_until = now() + $3::integer * interval '1 millisecond'
   WHERE seq IN (
           SELECT seq FROM queue_messages
            WHERE queue = $1 AND (leased_until IS NULL OR leased_until <= now())
            ORDER BY seq
            LIMIT $2
              FOR UPDATE SKIP LOCKED)
  RETURNING seq, message_id, body, headers, deliveries, attempts`;

/**
 * A durable queue kept in PostgreSQL (PGlite in the embedded mode, or a server): a publish is a
 * committed insert, a delivery is a leased row, an ack deletes it. Same contract as the AMQP adapter.
 * `close()` stops the consumers but leaves `db` open: whoever created it closes it.
 */
export async function createEmbeddedQueue(db: Db, options: EmbeddedQueueOptions = {}): Promise<MessageQueue> {
  const logger = (options.logger ?? createLogger('queue', 'silent')).child({ component: 'embedded-queue' });
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const leaseMs = options.leaseMs ?? 30_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;

  await runMigrations(db, queueMigrations, options.logger);
  if (options.exclusive) {
    await db.query('UPDATE queue_messages SET leased_until = NULL WHERE leased_until IS NOT NULL', []);
  }

  let closed = false;
  const consumers = new Set<Consumer>();

  // Group commit: publishes that arrive while an insert is under way go in together as the next one,
  // each resolved only once the commit holding its message is done, so a publish is durable when it
  // resolves and a busy publisher makes far fewer commits.
  const publisher = createBatcher<Publish>({
    maxBatchSize: MAX_PUBLISHES_PER_COMMIT,
    async send(pending) {
      try {
        await db.query(INSERT_MESSAGES_SQL, [
          pending.map((p) => p.queue),
          pending.map((p) => p.message.id),
          pending.map((p) => p.message.body),
          pending.map((p) => p.message.headers ?? {}),
        ]);
      } catch (error) {
        for (const p of pending) p.reject(error);
        return;
      }
      for (const p of pending) p.resolve();
      for (const queue of new Set(pending.map((p) => p.queue))) publishSignal(db, queue).notify();
    },
  });

  async function claim(queue: string, limit: number): Promise<Claimed[]> {
    const { rows } = await db.query<MessageRow>(CLAIM_SQL, [queue, limit, leaseMs]);
    return rows
      .map((row) => ({
        seq: Number(row.seq),
        delivery: {
          id: row.message_id,
          body: toBuffer(row.body),
          headers: row.headers ?? {},
          redelivered: row.deliveries > 1,
          attempts: row.attempts,
        },
      }))
      .sort((a, b) => a.seq - b.seq);
  }

  /** Gives deliveries back at once (a handler failed, or the consumer stops before handling them). */
  async function release(claimed: Claimed[]): Promise<void> {
    if (claimed.length === 0) return;
    await db.query('UPDATE queue_messages SET leased_until = NULL WHERE seq = ANY($1::bigint[])', [
      claimed.map((c) => c.seq),
    ]);
  }

  /**
   * Records the outcomes in one transaction: dead letters copied with their reason, every acked or
   * dead-lettered row removed, and a retried one kept with one more attempt, leased for a back-off so
   * that it neither blocks the rows behind it nor comes back in a hot loop.
   */
  async function settle(claimed: Claimed[], outcomes: Outcome[], maxAttempts: number): Promise<void> {
    await db.transaction(async (tx) => {
      const done: number[] = [];
      for (const [index, outcome] of outcomes.entries()) {
        const { seq, delivery } = claimed[index]!;
        const attempts = delivery.attempts + 1;
        if (outcome.type === 'retry' && attempts < maxAttempts) {
          const delayMs = backoffDelay(retryDelayMs, maxRetryDelayMs, attempts);
          await tx.query(
            `UPDATE queue_messages SET attempts = $2, leased_until = now() + $3::integer * interval '1 millisecond'
              WHERE seq = $1`,
            [seq, attempts, delayMs],
          );
          continue;
        }
        done.push(seq);
        if (outcome.type === 'ack') continue;
        const reason = outcome.type === 'retry' ? exhaustedReason(outcome.reason, attempts) : outcome.reason;
        await tx.query(
          `INSERT INTO queue_dead_letters (queue, message_id, body, headers, reason)
           SELECT queue, message_id, body, headers, $2 FROM queue_messages WHERE seq = $1`,
          [seq, reason],
        );
      }
      await tx.query('DELETE FROM queue_messages WHERE seq = ANY($1::bigint[])', [done]);
    });
  }

  function startConsumer(queue: string, handler: BatchHandler, consumeOptions: ConsumeOptions): Consumer {
    const log = logger.child({ queue });
    const batchLimit = Math.max(1, Math.min(consumeOptions.maxBatchSize, consumeOptions.prefetch));
    const maxAttempts = consumeOptions.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const published = publishSignal(db, queue);
    const pause = new Signal();
    let stopping = false;
    let failuresInRow = 0;

    const backOff = async (error: unknown, message: string) => {
      failuresInRow += 1;
      const delay = backoffDelay(retryDelayMs, maxRetryDelayMs, failuresInRow);
      log.warn({ err: error, retryInMs: delay }, message);
      if (!stopping) await pause.wait(delay);
    };

    /** Claims up to a batch, waiting up to `maxBatchWaitMs` for a partial batch to fill. */
    async function collect(): Promise<Claimed[]> {
      const batch = await claim(queue, batchLimit);
      if (batch.length === 0 || batch.length >= batchLimit || consumeOptions.maxBatchWaitMs <= 0) return batch;
      try {
        await pause.wait(consumeOptions.maxBatchWaitMs);
        if (!stopping) batch.push(...(await claim(queue, batchLimit - batch.length)));
      } catch (error) {
        await release(batch).catch(() => {});
        throw error;
      }
      return batch;
    }

    async function handle(batch: Claimed[]): Promise<void> {
      let outcomes: Outcome[];
      try {
        outcomes = await handler(batch.map((c) => c.delivery));
        if (outcomes.length !== batch.length) {
          throw new Error(`handler answered ${outcomes.length} outcomes for ${batch.length} deliveries`);
        }
      } catch (error) {
        // Waiting before giving the batch back keeps a failing dependency from turning into a hot loop.
        await backOff(error, 'batch failed; it will be delivered again');
        await release(batch).catch((releaseError: unknown) =>
          log.warn({ err: releaseError }, 'could not give a batch back; it comes again when its lease ends'),
        );
        return;
      }
      try {
        await settle(batch, outcomes, maxAttempts);
        failuresInRow = 0;
      } catch (error) {
        await backOff(error, 'could not record outcomes; the batch comes again when its lease ends');
      }
    }

    async function run(): Promise<void> {
      while (!stopping) {
        let batch: Claimed[];
        try {
          batch = await collect();
        } catch (error) {
          await backOff(error, 'cannot read the queue');
          continue;
        }
        if (batch.length === 0) {
          // `stop()` notifies this signal too, so an idle consumer stops at once.
          await published.wait(pollIntervalMs);
          continue;
        }
        if (stopping) {
          await release(batch).catch(() => {});
          break;
        }
        await handle(batch);
      }
    }

    const running = run();
    const consumer: Consumer = {
      async stop() {
        if (!consumers.delete(consumer)) return running;
        stopping = true;
        pause.notify();
        published.notify();
        await running;
      },
    };
    consumers.add(consumer);
    return consumer;
  }

  return {
    async publish(queue, message) {
      if (closed) throw new QueueUnavailableError('queue is closed');
      try {
        await withTimeout(
          new Promise<void>((resolve, reject) => publisher.add({ queue, message, resolve, reject })),
          publishTimeoutMs,
          () => new Error(`the database did not commit within ${publishTimeoutMs} ms`),
        );
      } catch (error) {
        throw new QueueUnavailableError(`could not store the message: ${messageOf(error)}`, { cause: error });
      }
    },

    async consume(queue, handler, consumeOptions) {
      if (closed) throw new QueueUnavailableError('queue is closed');
      return startConsumer(queue, handler, consumeOptions);
    },

    async peekDeadLetters(queue, limit) {
      const { rows } = await db.query<{ message_id: string; body: Uint8Array; reason: string }>(
        'SELECT message_id, body, reason FROM queue_dead_letters WHERE queue = $1 ORDER BY seq LIMIT $2',
        [queue, limit],
      );
      return rows.map((row) => ({ id: row.message_id, body: toBuffer(row.body), reason: row.reason }));
    },

    async depth(queue) {
      const { rows } = await db.query<{ count: number }>(
        `SELECT count(*)::integer AS count FROM queue_messages
          WHERE queue = $1 AND (leased_until IS NULL OR leased_until <= now())`,
        [queue],
      );
      return rows[0]?.count ?? 0;
    },

    async check() {
      if (closed) throw new QueueUnavailableError('queue is closed');
      try {
        await db.ping();
      } catch (error) {
        throw new QueueUnavailableError(`queue database unreachable: ${messageOf(error)}`, { cause: error });
      }
    },

    async close() {
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
    },
  };
}

/** pg answers bytea as a Buffer, PGlite as a plain Uint8Array. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
