/** The store on both backends: what the worker writes and the result service reads. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, type Db } from '@shipshape/db';
import { dbBackends, type OpenedDb } from '@shipshape/testkit';
import type { VoteEntry } from '@shipshape/votelog';
import { createVotesStore, VOTES_CHANGED_CHANNEL, votesMigrations, type VotesStore } from '@shipshape/votestore';

const vote = (id: string, voterId: string, option: string): VoteEntry => ({ id, voterId, option, deliveries: 1 });

describe.each(await dbBackends('votestore'))('votes store on $name', ({ enabled, open }) => {
  let opened: OpenedDb;
  let db: Db;
  let store: VotesStore;

  beforeAll(async () => {
    if (!enabled) return;
    opened = await open();
    db = opened.db;
    await runMigrations(db, votesMigrations);
    store = createVotesStore(db);
  });
  afterAll(() => opened?.close());

  const current = async () =>
    (await db.query<{ voter_id: string; option: string }>('SELECT voter_id, option FROM votes ORDER BY voter_id', []))
      .rows;

  it.skipIf(!enabled)('stores each voter’s newest vote and keeps the counts in step', async () => {
    expect(await store.applyBatch([vote('1-0', 'ann', 'a'), vote('1-1', 'bob', 'a'), vote('1-2', 'ann', 'b')])).toEqual(
      {
        applied: 2,
        stale: 1,
      },
    );
    expect(Object.fromEntries(await store.counts())).toEqual({ a: 1, b: 1 });
    // Redelivered (same ids) and older votes change nothing; a newer one moves bob.
    expect(await store.applyBatch([vote('1-0', 'ann', 'a'), vote('1-2', 'ann', 'b'), vote('2-0', 'bob', 'b')])).toEqual(
      {
        applied: 1,
        stale: 2,
      },
    );
    expect(await current()).toEqual([
      { voter_id: 'ann', option: 'b' },
      { voter_id: 'bob', option: 'b' },
    ]);
    expect(Object.fromEntries(await store.counts())).toEqual({ a: 0, b: 2 });
  });

  it.skipIf(!enabled)('notifies at commit when something changed, and not for a batch of stale votes', async () => {
    let notified = 0;
    const listener = await db.listen(VOTES_CHANGED_CHANNEL, () => (notified += 1));
    try {
      await store.applyBatch([vote('3-0', 'cid', 'a')]);
      const deadline = Date.now() + 5_000;
      while (notified === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notified).toBe(1);
      await store.applyBatch([vote('3-0', 'cid', 'a')]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(notified).toBe(1);
    } finally {
      await listener.close();
    }
  });

  it.skipIf(!enabled)('gives the same state when two batches race on the same voters', async () => {
    const voters = Array.from({ length: 50 }, (_, n) => `race-${n}`);
    const first = voters.map((voter, n) => vote(`10-${n}`, voter, 'a'));
    const second = voters.map((voter, n) => vote(`11-${n}`, voter, 'b'));
    await Promise.all([store.applyBatch(second), store.applyBatch(first), store.applyBatch(second)]);
    const { rows } = await db.query<{ option: string; n: number }>(
      "SELECT option, count(*)::int AS n FROM votes WHERE voter_id LIKE 'race-%' GROUP BY option",
      [],
    );
    expect(rows).toEqual([{ option: 'b', n: 50 }]);
    const totals = await db.query<{ counted: number; voters: number }>(
      'SELECT (SELECT sum(votes)::int FROM vote_counts) AS counted, (SELECT count(*)::int FROM votes) AS voters',
      [],
    );
    expect(totals.rows[0]!.counted).toBe(totals.rows[0]!.voters);
  });
});
