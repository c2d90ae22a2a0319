/**
 * What "accepted" means for a vote, shown by breaking things: the worker killed midway, two workers at
 * once, Redis itself killed (a server of the test's own, with its append-only file), Redis cut off.
 * Each time every vote answered 202 ends up counted, each voter once, with that voter's last vote.
 */
import pg from 'pg';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startOwnRedisServer,
  startTcpProxy,
  testServers,
  waitFor,
  type OwnRedisServer,
  type TcpProxy,
} from '@shipshape/testkit';
import { ManagedProcess, scripts, startNativeStack, type NativeStack, realServersAvailable } from './stack.js';
import { expectedCounts, results, Voter } from './votes.js';

const realServers = await realServersAvailable();
const OPTIONS = ['a', 'b'];
/** A worker that died holds its votes this long before another worker (or its next life) takes them over. */
const workerEnv = { WORKER_CLAIM_IDLE_MS: '1000', WORKER_CLAIM_INTERVAL_MS: '250' };

/** A small seeded generator, so that a failing run can be repeated vote for vote. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `voters` voters each voting `each` times in turn (a random option each time, retried until 202 as
 * a client would), `concurrency` voters at a time; `afterEach` runs after every accepted vote.
 */
async function castVotes(
  base: string,
  {
    voters: count,
    each,
    concurrency = 50,
    seed = 11,
    afterEach,
  }: {
    voters: number;
    each: number;
    concurrency?: number;
    seed?: number;
    afterEach?: (accepted: number) => Promise<void> | void;
  },
): Promise<Voter[]> {
  const next = random(seed);
  const voters = Array.from({ length: count }, () => new Voter(base));
  let accepted = 0;
  let index = 0;
  const lane = async () => {
    while (index < voters.length) {
      const voter = voters[index++]!;
      for (let n = 0; n < each; n++) {
        await voter.voteUntilAccepted(OPTIONS[Math.floor(next() * OPTIONS.length)]!);
        accepted += 1;
        await afterEach?.(accepted);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return voters;
}

/**
 * Once the stream is drained (every vote acknowledged, which the worker does only after its commit),
 * compares what PostgreSQL holds and what the results say with the voters' last accepted votes.
 */
async function expectStored(stack: NativeStack, voters: Voter[], redisUrl = testServers.redis): Promise<void> {
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  try {
    await waitFor(
      'every vote to be stored and acknowledged',
      async () =>
        (await redis.xLen(stack.voteStream)) === 0 && (await redis.xPending(stack.voteStream, 'worker')).pending === 0,
      60_000,
      100,
    );
  } finally {
    redis.destroy();
  }

  const db = new pg.Client({ connectionString: stack.votesDatabase.url });
  await db.connect();
  try {
    const { rows } = await db.query<{ voter_id: string; option: string; entry: string }>(
      "SELECT voter_id, option, entry_ms || '-' || entry_seq AS entry FROM votes",
    );
    expect(rows).toHaveLength(voters.length);
    const stored = new Map(rows.map((row) => [row.voter_id, row]));
    const wrong = voters.filter((voter) => stored.get(voter.id!)?.option !== voter.lastAccepted);
    expect(
      wrong.map((voter) => ({ accepted: voter.accepted, refused: voter.refused, stored: stored.get(voter.id!) })),
    ).toEqual([]);
    const sum = await db.query<{ n: number }>('SELECT sum(votes)::int AS n FROM vote_counts');
    expect(sum.rows[0]!.n).toBe(voters.length);
  } finally {
    await db.end();
  }

  const expected = expectedCounts(voters, OPTIONS);
  const counted = async () => Object.fromEntries((await results(stack.gatewayUrl)).options.map((o) => [o.id, o.votes]));
  await waitFor(
    'the results to show it',
    async () => JSON.stringify(await counted()) === JSON.stringify(expected),
    10_000,
    50,
  );
  expect((await results(stack.gatewayUrl)).total).toBe(voters.length);
}

describe.skipIf(!realServers)('voting when things break (real servers)', () => {
  let stack: NativeStack | undefined;
  let redis: OwnRedisServer | undefined;
  let relay: TcpProxy | undefined;
  let secondWorker: ManagedProcess | undefined;
  afterEach(async () => {
    await secondWorker?.stop();
    await stack?.stop();
    await relay?.close();
    await redis?.close();
    stack = redis = relay = secondWorker = undefined;
  });

  it('loses no vote and counts none twice when the worker is SIGKILLed midway', async () => {
    stack = await startNativeStack({ workerEnv });
    const worker = stack.worker;
    let killed: Promise<void> | undefined;
    const voters = await castVotes(stack.gatewayUrl, {
      voters: 1_000,
      each: 5,
      afterEach: (accepted) => {
        if (accepted === 2_500) killed = worker.kill().then(() => worker.start().then(() => undefined));
      },
    });
    await killed;
    expect(worker.process!.output()).not.toMatch(/"level":(50|60)/);
    await expectStored(stack, voters);
  }, 120_000);

  it('gives the same result with two workers at once as with one', async () => {
    stack = await startNativeStack({ workerEnv });
    const { env, script } = stack.worker;
    const { getFreePort } = await import('@shipshape/testkit');
    secondWorker = await new ManagedProcess(script, { ...env, WORKER_CONSUMER: 'second' }, await getFreePort()).start();
    expect(script).toBe(scripts.worker);
    const voters = await castVotes(stack.gatewayUrl, { voters: 1_000, each: 5, seed: 23 });
    await expectStored(stack, voters);
    // Both took part: each stored some batches.
    for (const url of [stack.worker.url, secondWorker.url]) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics, url).toMatch(/^worker_batch_size_count\{service="worker"\} [1-9]/m);
    }
  }, 120_000);

  it('keeps every vote answered 202 when Redis is SIGKILLed while votes are posted', async () => {
    redis = await startOwnRedisServer();
    stack = await startNativeStack({ workerEnv, redisUrlForVote: redis.url, redisUrlForWorker: redis.url });
    const server = redis;
    let crashed: Promise<void> | undefined;
    const voters = await castVotes(stack.gatewayUrl, {
      voters: 400,
      each: 5,
      seed: 37,
      afterEach: (accepted) => {
        if (accepted === 1_000) {
          crashed = server.kill().then(async () => {
            await new Promise((resolve) => setTimeout(resolve, 500));
            await server.start();
          });
        }
      },
    });
    await crashed;
    await expectStored(stack, voters, redis.url);
  }, 120_000);

  it('answers 503 with Retry-After within a bound while Redis is cut off, and recovers by itself', async () => {
    const target = new URL(testServers.redis);
    relay = await startTcpProxy(target.hostname, Number(target.port || 6379));
    stack = await startNativeStack({ redisUrlForVote: relay.url('redis') });
    const voter = new Voter(stack.gatewayUrl);
    expect((await voter.vote('a')).status).toBe(202);
    await relay.cut();
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = Date.now();
      const refused = await voter.vote('b');
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.error).toMatch(/vote log/);
      // REDIS_TIMEOUT_MS is 1 s in the stack: the answer comes within it, never a hang.
      expect(Date.now() - started).toBeLessThan(3_000);
    }
    const ready = await fetch(`${stack.vote.url}/ready`);
    expect(ready.status).toBe(503);
    await relay.restore();
    await waitFor('votes to be taken again', async () => (await voter.vote('b')).status === 202, 20_000, 200);
    await expectStored(stack, [voter]);
  }, 60_000);
});
