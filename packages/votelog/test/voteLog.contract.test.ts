import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { createPgDb, type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger } from '@shipshape/platform';
import {
  compareEntryIds,
  createEmbeddedVoteLog,
  createRedisVoteLog,
  deadLetterKey,
  isMalformed,
  VoteLogUnavailableError,
  type LogEntry,
  type VoteEntry,
  type VoteLog,
} from '@shipshape/votelog';
import {
  createTestDatabase,
  postgresAvailable,
  redisAvailable,
  startTcpProxy,
  testServers,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@shipshape/testkit';

const logger = createLogger('votelog-test', 'silent');
const [redisUp, postgresUp] = await Promise.all([redisAvailable(), postgresAvailable()]);

interface Backend {
  name: string;
  available: boolean;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(key: string, group: string): Promise<VoteLog>;
  /** Stores an entry with these fields as something other than the vote service would. */
  writeRaw(log: VoteLog, key: string, fields: Record<string, string>): Promise<string>;
  /** Removes everything the test stored under `key`. */
  remove(key: string): Promise<void>;
}

type Admin = ReturnType<typeof createClient>;
let admin: Admin | undefined;
let pglite: Db | undefined;
let server: { database: TestDatabase; db: Db } | undefined;

/** The embedded adapter's test hooks on a `Db` (PGlite, or a PostgreSQL server with a pool of connections). */
function embeddedOn(
  name: string,
  available: boolean,
  openDb: () => Promise<Db>,
  closeDb: () => Promise<void>,
): Backend {
  let db: Db | undefined;
  return {
    name,
    available,
    async setUp() {
      db = await openDb();
    },
    tearDown: closeDb,
    open: (key, group) => createEmbeddedVoteLog(db!, { key, group, pollIntervalMs: 50 }),
    async writeRaw(log, key, fields) {
      // The log writes only votes; the fields of one are then replaced, as a foreign writer would leave them.
      const id = await log.append({ voterId: 'placeholder', option: 'placeholder' });
      const [ms, seq] = id.split('-');
      await db!.query('UPDATE votelog_entries SET fields = $4::jsonb WHERE key = $1 AND ms = $2 AND seq = $3', [
        key,
        ms,
        seq,
        JSON.stringify(fields),
      ]);
      return id;
    },
    async remove(key) {
      for (const table of ['votelog_entries', 'votelog_pending', 'votelog_groups', 'votelog_streams']) {
        await db!.query(`DELETE FROM ${table} WHERE key = $1`, [key]);
      }
      await db!.query('DELETE FROM votelog_dead_letters WHERE key = $1', [deadLetterKey(key)]);
    },
  };
}

const backends: Backend[] = [
  {
    name: 'Redis',
    available: redisUp,
    async setUp() {
      admin = createClient({ url: testServers.redis });
      admin.on('error', () => {});
      await admin.connect();
    },
    async tearDown() {
      await admin?.close();
    },
    open: async (key, group) => createRedisVoteLog({ url: testServers.redis, key, group, logger }),
    async writeRaw(_log, key, fields) {
      return admin!.xAdd(key, '*', fields);
    },
    async remove(key) {
      await admin!.del([key, deadLetterKey(key)]);
    },
  },
  embeddedOn(
    'embedded on PGlite (in memory)',
    true,
    async () => (pglite = await createPgliteDb()),
    async () => {
      await pglite?.close();
    },
  ),
  embeddedOn(
    'embedded on PostgreSQL',
    postgresUp,
    async () => {
      const database = await createTestDatabase('votelog_contract');
      server = { database, db: createPgDb({ connectionString: database.url, maxConnections: 4 }) };
      return server.db;
    },
    async () => {
      await server?.db.close();
      await server?.database.drop();
    },
  ),
];

const votes = (entries: LogEntry[]) =>
  entries.map((entry) => {
    if (isMalformed(entry)) throw new Error(`entry ${entry.id} is malformed: ${entry.malformed}`);
    return entry;
  });

describe('compareEntryIds', () => {
  it('orders ids by time, then by sequence, as numbers', () => {
    expect(compareEntryIds('1712345678901-0', '1712345678901-1')).toBeLessThan(0);
    expect(compareEntryIds('1712345678902-0', '1712345678901-9')).toBeGreaterThan(0);
    expect(compareEntryIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareEntryIds('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareEntryIds('5-3', '5-3')).toBe(0);
    expect(() => compareEntryIds('5', '5-3')).toThrow(TypeError);
  });
});

for (const backend of backends) {
  describe.skipIf(!backend.available)(`VoteLog contract: ${backend.name}`, () => {
    let key: string;
    let group: string;
    const opened: VoteLog[] = [];

    async function open(groupName = group): Promise<VoteLog> {
      const log = await backend.open(key, groupName);
      opened.push(log);
      return log;
    }

    beforeAll(() => backend.setUp());
    afterAll(() => backend.tearDown());
    // Each test has its own key, removed after it, so nothing of one test is seen by another.
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close()));
      await backend.remove(key);
    });
    function fresh() {
      key = uniqueName('votes');
      group = uniqueName('workers');
    }

    it('hands each appended entry to a group once, with its fields', async () => {
      fresh();
      const log = await open();
      expect(await log.length()).toBe(0);
      expect(await log.pending()).toBe(0);
      const a = await log.append({ voterId: 'voter-1', option: 'a', requestId: 'req-1' });
      const b = await log.append({ voterId: 'voter-2', option: 'b' });
      const read = votes(await log.read('c1', { count: 10, blockMs: 0 }));
      expect(read).toEqual([
        { id: a, voterId: 'voter-1', option: 'a', requestId: 'req-1', deliveries: 1 },
        { id: b, voterId: 'voter-2', option: 'b', deliveries: 1 },
      ]);
      expect(await log.read('c1', { count: 10, blockMs: 0 })).toEqual([]);
      expect(await log.read('c2', { count: 10, blockMs: 0 })).toEqual([]);
      expect(await log.pending()).toBe(2);
      // Another group reads the same stream from its start.
      const other = await open(uniqueName('others'));
      expect(votes(await other.read('c1', { count: 10, blockMs: 0 })).map((e) => e.id)).toEqual([a, b]);
    });

    it('takes entries appended before the group existed', async () => {
      fresh();
      const writer = await open();
      const id = await writer.append({ voterId: 'early', option: 'a' });
      const reader = await open();
      expect(votes(await reader.read('c1', { count: 10, blockMs: 0 })).map((e) => e.id)).toEqual([id]);
    });

    it('a blocked read answers as soon as an entry is appended, and nothing after blockMs', async () => {
      fresh();
      const log = await open();
      const started = Date.now();
      expect(await log.read('c1', { count: 10, blockMs: 200 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      const reading = log.read('c1', { count: 10, blockMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const writer = await open();
      const id = await writer.append({ voterId: 'v', option: 'a' });
      const waitStarted = Date.now();
      expect(votes(await reading).map((e) => e.id)).toEqual([id]);
      expect(Date.now() - waitStarted).toBeLessThan(1_000);
    });

    it('two consumers of a group split the entries between them', async () => {
      fresh();
      const log = await open();
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) ids.push(await log.append({ voterId: `voter-${i}`, option: 'a' }));
      const first = await log.read('c1', { count: 2, blockMs: 0 });
      const second = await log.read('c2', { count: 10, blockMs: 0 });
      expect(first).toHaveLength(2);
      expect(second).toHaveLength(4);
      expect([...first, ...second].map((e) => e.id)).toEqual(ids);
    });

    it('consumers reading at once never get the same entry', async () => {
      fresh();
      const log = await open();
      await Promise.all(Array.from({ length: 60 }, (_, i) => log.append({ voterId: `v${i}`, option: 'a' })));
      const readers = await Promise.all([open(), open(), open()]);
      const got = await Promise.all(
        readers.flatMap((reader, r) => [1, 2, 3].map(() => reader.read(`c${r}`, { count: 7, blockMs: 0 }))),
      );
      const ids = got.flat().map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(Math.min(60, 9 * 7));
      expect(await log.pending()).toBe(ids.length);
    });

    it('an entry left pending is claimed by another consumer once idle, its deliveries counted', async () => {
      fresh();
      const log = await open();
      const id = await log.append({ voterId: 'v', option: 'a' });
      await log.read('dead-worker', { count: 10, blockMs: 0 });
      expect(await log.claimStale('c2', { minIdleMs: 10_000, count: 10 })).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 350));
      const claimed = votes(await log.claimStale('c2', { minIdleMs: 300, count: 10 }));
      expect(claimed).toEqual([{ id, voterId: 'v', option: 'a', deliveries: 2 }]);
      // Claimed, it is not idle any more; once idle again a third consumer can take it.
      expect(await log.claimStale('c3', { minIdleMs: 300, count: 10 })).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(votes(await log.claimStale('c3', { minIdleMs: 300, count: 10 }))[0]?.deliveries).toBe(3);
      expect(await log.pending()).toBe(1);
    });

    it('claims at most count entries, oldest first', async () => {
      fresh();
      const log = await open();
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await log.append({ voterId: `v${i}`, option: 'a' }));
      await log.read('dead-worker', { count: 10, blockMs: 0 });
      // Idle for 300 ms, so only the two left behind qualify again unless 300 ms pass between the claims.
      await new Promise((resolve) => setTimeout(resolve, 350));
      const claimed = await log.claimStale('c2', { minIdleMs: 300, count: 3 });
      expect(claimed.map((e) => e.id)).toEqual(ids.slice(0, 3));
      const rest = await log.claimStale('c2', { minIdleMs: 300, count: 10 });
      expect(rest.map((e) => e.id)).toEqual(ids.slice(3));
    });

    it('ack removes the entries: pending 0 and the log shrinks', async () => {
      fresh();
      const log = await open();
      for (let i = 0; i < 3; i += 1) await log.append({ voterId: `v${i}`, option: 'a' });
      const read = await log.read('c1', { count: 10, blockMs: 0 });
      expect(await log.length()).toBe(3);
      expect(await log.pending()).toBe(3);
      await log.ack(read.slice(0, 2).map((e) => e.id));
      expect(await log.length()).toBe(1);
      expect(await log.pending()).toBe(1);
      await log.ack([read[2]!.id]);
      await log.ack([]);
      expect(await log.length()).toBe(0);
      expect(await log.pending()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await log.claimStale('c2', { minIdleMs: 0, count: 10 })).toEqual([]);
      expect(await log.read('c1', { count: 10, blockMs: 0 })).toEqual([]);
    });

    it('a dead letter keeps the entry and the reason, and the entry leaves the log', async () => {
      fresh();
      const log = await open();
      const id = await log.append({ voterId: 'v', option: 'zebra', requestId: 'r-9' });
      const [entry] = await log.read('c1', { count: 10, blockMs: 0 });
      await log.deadLetter(entry!, 'option "zebra" is not in the poll');
      expect(await log.deadLetters(10)).toEqual([
        {
          id,
          fields: { voterId: 'v', option: 'zebra', requestId: 'r-9' },
          reason: 'option "zebra" is not in the poll',
        },
      ]);
      expect(await log.length()).toBe(0);
      expect(await log.pending()).toBe(0);
    });

    it('an entry that is not a vote comes back as malformed, and can be dead-lettered', async () => {
      fresh();
      const log = await open();
      const good = await log.append({ voterId: 'v', option: 'a' });
      const bad = await backend.writeRaw(log, key, { colour: 'blue', option: '' });
      const [first, second] = await log.read('c1', { count: 10, blockMs: 0 });
      expect(first).toMatchObject({ id: good, voterId: 'v' });
      expect(second).toMatchObject({ id: bad, fields: { colour: 'blue', option: '' }, deliveries: 1 });
      if (!second || !isMalformed(second)) throw new Error('the entry should be malformed');
      expect(second.malformed).toContain('voterId is missing');
      expect(second.malformed).toContain('option');
      await log.deadLetter(second, second.malformed);
      expect(await log.deadLetters(10)).toEqual([
        { id: bad, fields: { colour: 'blue', option: '' }, reason: second.malformed },
      ]);
      expect(await log.pending()).toBe(1);
    });

    it('entry ids strictly increase, for appends one after another and at once', async () => {
      fresh();
      const log = await open();
      const sequential: string[] = [];
      for (let i = 0; i < 20; i += 1) sequential.push(await log.append({ voterId: `s${i}`, option: 'a' }));
      for (let i = 1; i < sequential.length; i += 1) {
        expect(compareEntryIds(sequential[i - 1]!, sequential[i]!)).toBeLessThan(0);
      }
      const concurrent = await Promise.all(
        Array.from({ length: 300 }, (_, i) => log.append({ voterId: `c${i}`, option: 'b' })),
      );
      expect(new Set(concurrent).size).toBe(300);
      expect(compareEntryIds(sequential.at(-1)!, [...concurrent].sort(compareEntryIds)[0]!)).toBeLessThan(0);
      const read: VoteEntry[] = [];
      while (read.length < 320) {
        const batch = votes(await log.read('c1', { count: 100, blockMs: 0 }));
        if (batch.length === 0) break;
        read.push(...batch);
      }
      expect(read.map((e) => e.id)).toEqual([...sequential, ...concurrent].sort(compareEntryIds));
      for (let i = 1; i < read.length; i += 1) expect(compareEntryIds(read[i - 1]!.id, read[i]!.id)).toBeLessThan(0);
      // What the worker relies on: appends of one voter, made in order, keep that order in their ids.
      const byVoter = new Map(read.map((e) => [e.voterId, e.id]));
      expect(byVoter.size).toBe(320);
    });

    it('a closed log rejects with VoteLogUnavailableError', async () => {
      fresh();
      const log = await open();
      await log.append({ voterId: 'v', option: 'a' });
      await log.close();
      await expect(log.append({ voterId: 'v', option: 'a' })).rejects.toBeInstanceOf(VoteLogUnavailableError);
      await expect(log.read('c1', { count: 1, blockMs: 0 })).rejects.toBeInstanceOf(VoteLogUnavailableError);
      await expect(log.check()).rejects.toBeInstanceOf(VoteLogUnavailableError);
      await log.close();
    });

    it('check() resolves on a log that can take votes', async () => {
      fresh();
      const log = await open();
      await expect(log.check()).resolves.toBeUndefined();
    });
  });
}

/** Removes a key (and its dead letters) that a test made through a relay of its own. */
async function dropRedisKey(key: string): Promise<void> {
  const client = createClient({ url: testServers.redis });
  await client.connect();
  try {
    await client.del([key, deadLetterKey(key)]);
  } finally {
    await client.close();
  }
}

describe.skipIf(!redisUp)('Redis vote log: Redis unreachable', () => {
  it('append rejects within appendTimeoutMs when the relay is cut, and recovers by itself', async () => {
    const key = uniqueName('votes');
    const target = new URL(testServers.redis);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const url = new URL(testServers.redis);
    url.host = `127.0.0.1:${proxy.port}`;
    const appendTimeoutMs = 500;
    const log = createRedisVoteLog({
      url: url.toString(),
      key,
      group: 'workers',
      logger,
      appendTimeoutMs,
      commandTimeoutMs: appendTimeoutMs,
      reconnectDelayMs: 50,
      maxReconnectDelayMs: 200,
    });
    try {
      await log.append({ voterId: 'v', option: 'a' });
      await proxy.cut();
      for (const attempt of [1, 2]) {
        const started = Date.now();
        const error = await log.append({ voterId: 'v', option: 'a' }).catch((e: unknown) => e);
        const elapsed = Date.now() - started;
        expect(error, `attempt ${attempt}`).toBeInstanceOf(VoteLogUnavailableError);
        expect((error as VoteLogUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
        expect(elapsed, `attempt ${attempt}`).toBeLessThan(appendTimeoutMs + 500);
      }
      await expect(log.check()).rejects.toBeInstanceOf(VoteLogUnavailableError);
      await proxy.restore();
      const id = await waitFor(
        'append after the relay is back',
        () => log.append({ voterId: 'v', option: 'b' }),
        10_000,
      );
      expect(id).toMatch(/^\d+-\d+$/);
      expect(await log.length()).toBe(2);
    } finally {
      await log.close();
      await proxy.close();
      await dropRedisKey(key);
    }
  });

  it('append rejects within appendTimeoutMs when Redis goes silent (a partition), and recovers', async () => {
    const key = uniqueName('votes');
    const target = new URL(testServers.redis);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const url = new URL(testServers.redis);
    url.host = `127.0.0.1:${proxy.port}`;
    const appendTimeoutMs = 300;
    const log = createRedisVoteLog({ url: url.toString(), key, group: 'workers', logger, appendTimeoutMs });
    try {
      await log.append({ voterId: 'v', option: 'a' });
      proxy.freeze();
      const started = Date.now();
      await expect(log.append({ voterId: 'v', option: 'a' })).rejects.toBeInstanceOf(VoteLogUnavailableError);
      expect(Date.now() - started).toBeLessThan(appendTimeoutMs + 500);
      proxy.thaw();
      await waitFor('append after the partition', () => log.append({ voterId: 'v', option: 'b' }), 10_000);
      // The append that timed out may still have been stored (a 503 says "may have been accepted").
      expect(await log.length()).toBeGreaterThanOrEqual(2);
    } finally {
      await log.close();
      await proxy.close();
      await dropRedisKey(key);
    }
  });

  it('errors name the URL without its password', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 1);
    await proxy.cut();
    const log = createRedisVoteLog({
      url: `redis://user:s3cret@127.0.0.1:${proxy.port}`,
      key: uniqueName('votes'),
      group: 'workers',
      logger,
      appendTimeoutMs: 200,
    });
    try {
      const error = (await log.append({ voterId: 'v', option: 'a' }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(VoteLogUnavailableError);
      expect(error.message).toContain(`127.0.0.1:${proxy.port}`);
      expect(error.message).not.toContain('s3cret');
    } finally {
      await log.close();
    }
  });
});
