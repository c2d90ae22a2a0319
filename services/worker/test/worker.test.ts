/**
 * The worker against real parts: Redis with PostgreSQL, and the embedded vote log with PGlite (the
 * `npm start` pairing). Votes appended to the log end up counted once per voter, what can never count
 * is dead-lettered, and votes a dead worker left pending are taken over.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import {
  createTestDatabase,
  deleteRedisKeys,
  postgresAvailable,
  redisAvailable,
  testServers,
  uniqueName,
  waitFor,
} from '@shipshape/testkit';
import { createEmbeddedVoteLog, createRedisVoteLog, VOTE_GROUP, type VoteLog } from '@shipshape/votelog';
import { newVoterId } from '@shipshape/contracts';
import { createWorkerService, workerConfigSchema } from '@shipshape/worker';

const logger = createLogger('worker-test', 'silent');
const [redisUp, postgresUp] = await Promise.all([redisAvailable(), postgresAvailable()]);

interface Backend {
  name: string;
  enabled: boolean;
  open(key: string): Promise<{ db: Db; voteLog: VoteLog; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'Redis and PostgreSQL',
    enabled: redisUp && postgresUp,
    async open(key) {
      const database = await createTestDatabase('worker');
      const db = createPgDb({ connectionString: database.url, maxConnections: 4 });
      const voteLog = createRedisVoteLog({ url: testServers.redis, key, group: VOTE_GROUP, logger });
      return {
        db,
        voteLog,
        async close() {
          await voteLog.close();
          await db.close();
          await database.drop();
          await deleteRedisKeys([key, `${key}.dead-letter`]);
        },
      };
    },
  },
  {
    name: 'embedded vote log on PGlite',
    enabled: true,
    async open(key) {
      const db = await createPgliteDb();
      const voteLog = await createEmbeddedVoteLog(db, { key, group: VOTE_GROUP, pollIntervalMs: 20 });
      return {
        db,
        voteLog,
        async close() {
          await voteLog.close();
          await db.close();
        },
      };
    },
  },
];

describe.each(backends)('worker on $name', ({ enabled, open }) => {
  let parts: Awaited<ReturnType<Backend['open']>>;
  let worker: Service | undefined;
  let url: string;

  beforeAll(async () => {
    if (enabled) parts = await open(uniqueName('votes'));
  });
  afterAll(() => parts?.close());
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  async function startWorker() {
    const config = parseConfig(workerConfigSchema, {
      VOTE_OPTIONS: 'a=Cats,b=Dogs',
      WORKER_BLOCK_MS: '100',
      WORKER_CLAIM_IDLE_MS: '300',
      WORKER_CLAIM_INTERVAL_MS: '100',
      WORKER_CONSUMER: uniqueName('worker'),
      METRICS_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    worker = await createWorkerService({ config, logger, db: parts.db, voteLog: parts.voteLog });
    url = await worker.start(0, '127.0.0.1');
  }

  const counts = async () =>
    Object.fromEntries(
      (await parts.db.query<{ option: string; votes: number }>('SELECT option, votes FROM vote_counts', [])).rows.map(
        (row) => [row.option, row.votes],
      ),
    );
  const drained = async () => (await parts.voteLog.length()) === 0 && (await parts.voteLog.pending()) === 0;

  it.skipIf(!enabled)('counts each voter’s last vote once and empties the log', async () => {
    const voters = Array.from({ length: 40 }, () => newVoterId());
    for (const option of ['a', 'b', 'a']) {
      await Promise.all(voters.map((voterId, n) => parts.voteLog.append({ voterId, option: n < 10 ? 'b' : option })));
    }
    await startWorker();
    await waitFor('the log to drain', drained, 10_000);
    expect(await counts()).toEqual({ a: 30, b: 10 });
    const { rows } = await parts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM votes', []);
    expect(rows[0]!.n).toBe(40);
  });

  it.skipIf(!enabled)('dead-letters what can never count, with the reason, and goes on', async () => {
    await startWorker();
    const before = await counts();
    await parts.voteLog.append({ voterId: newVoterId(), option: 'zebra' });
    await parts.voteLog.append({ voterId: 'not a voter id', option: 'a' });
    const good = newVoterId();
    await parts.voteLog.append({ voterId: good, option: 'b' });
    await waitFor('the log to drain', drained, 10_000);
    const reasons = (await parts.voteLog.deadLetters(10)).map((letter) => letter.reason);
    expect(reasons).toEqual(['option "zebra" is not in the poll (a, b)', 'voterId is not a voter id']);
    expect(await counts()).toEqual({ ...before, b: (before.b ?? 0) + 1 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^worker_dead_letters_total\{service="worker"\} 2$/m);
    expect(metrics).toMatch(/^worker_lag_votes\{service="worker"\} 0$/m);
    expect(metrics).toContain('worker_batch_size_bucket');
  });

  it.skipIf(!enabled)('takes over the votes a dead worker left pending', async () => {
    const voterId = newVoterId();
    const before = await counts();
    await parts.voteLog.append({ voterId, option: 'a' });
    // Handed to a consumer that then "dies" without acknowledging.
    expect(await parts.voteLog.read('dead-worker', { count: 10, blockMs: 0 })).toHaveLength(1);
    expect(await parts.voteLog.pending()).toBe(1);
    await startWorker();
    await waitFor('the pending vote to be taken over', drained, 10_000);
    expect(await counts()).toEqual({ ...before, a: (before.a ?? 0) + 1 });
  });

  it.skipIf(!enabled)('serves health and readiness on its port', async () => {
    await startWorker();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: unknown }).checks).toEqual({ database: 'ok', voteLog: 'ok' });
  });
});
