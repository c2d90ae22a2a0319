/**
 * The vote service's routes on both vote logs (Redis, and the embedded one on PGlite): the batch the
 * gateway sends is answered item by item, each as `POST /votes` answers it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newVoterId } from '@shipshape/contracts';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { deleteRedisKeys, redisAvailable, testServers, uniqueName } from '@shipshape/testkit';
import { createEmbeddedVoteLog, createRedisVoteLog, VOTE_GROUP, type VoteLog } from '@shipshape/votelog';
import { createVoteService, voteConfigSchema } from '@shipshape/vote';

const logger = createLogger('vote-test', 'silent');

const backends = [
  {
    name: 'Redis',
    enabled: await redisAvailable(),
    async open() {
      const key = uniqueName('votes');
      const voteLog = createRedisVoteLog({ url: testServers.redis, key, group: VOTE_GROUP, logger });
      return { voteLog, close: async () => (await voteLog.close(), await deleteRedisKeys([key])) };
    },
  },
  {
    name: 'the embedded vote log',
    enabled: true,
    async open() {
      const db = await createPgliteDb();
      const voteLog = await createEmbeddedVoteLog(db, { key: 'votes', group: VOTE_GROUP });
      return { voteLog, close: async () => (await voteLog.close(), await db.close()) };
    },
  },
];

describe.each(backends)('vote routes on $name', ({ enabled, open }) => {
  let parts: { voteLog: VoteLog; close(): Promise<void> };
  let service: Service;

  beforeAll(async () => {
    if (!enabled) return;
    parts = await open();
    const config = parseConfig(voteConfigSchema, { VOTE_OPTIONS: 'a=Cats,b=Dogs', LOG_LEVEL: 'silent' });
    service = await createVoteService({ config, logger, voteLog: parts.voteLog });
  });
  afterAll(async () => {
    await service?.close();
    await parts?.close();
  });

  const post = (url: string, payload: object) => service.app.inject({ method: 'POST', url, payload });

  it.skipIf(!enabled)('answers a batch item by item, a refused option as POST /votes refuses it', async () => {
    const voters = [newVoterId(), newVoterId(), newVoterId()];
    const batch = await post('/internal/votes', [
      { voterId: voters[0], option: 'a', requestId: 'r-1' },
      { voterId: voters[1], option: 'zebra' },
      { voterId: voters[2], option: 'b' },
    ]);
    expect(batch.statusCode).toBe(200);
    const items = batch.json<Array<{ status: number; body: Record<string, unknown> }>>();
    expect(items.map((item) => item.status)).toEqual([202, 400, 202]);
    const alone = await post('/votes', { voterId: voters[1], option: 'zebra' });
    expect(alone.statusCode).toBe(400);
    expect(items[1]!.body).toEqual(alone.json());
    expect(items[0]!.body).toEqual({ message: 'Vote accepted', id: expect.stringMatching(/^\d+-\d+$/), option: 'a' });

    const entries = await parts.voteLog.read('test', { count: 10, blockMs: 0 });
    expect(entries.map((entry) => [entry.id, 'voterId' in entry && entry.voterId])).toEqual([
      [items[0]!.body.id, voters[0]],
      [items[2]!.body.id, voters[2]],
    ]);
    expect(entries[0]).toMatchObject({ requestId: 'r-1' });
  });

  it.skipIf(!enabled)('refuses a batch that is not one: empty, too long, or items of the wrong shape', async () => {
    const item = { voterId: newVoterId(), option: 'a' };
    for (const payload of [[], Array.from({ length: 101 }, () => item), [{ option: 'a' }], { voterId: 'x' }]) {
      expect((await post('/internal/votes', payload)).statusCode).toBe(400);
    }
  });
});
