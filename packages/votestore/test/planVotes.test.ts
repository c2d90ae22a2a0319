import { describe, expect, it } from 'vitest';
import type { VoteEntry } from '@shipshape/votelog';
import { planVotes, type StoredVote } from '@shipshape/votestore';

const vote = (id: string, voterId: string, option: string): VoteEntry => ({ id, voterId, option, deliveries: 1 });
const stored = (entries: Record<string, StoredVote>) => new Map(Object.entries(entries));

describe('planVotes: the ordering rule', () => {
  it('counts a new voter once', () => {
    const plan = planVotes(stored({}), [vote('5-0', 'v1', 'a')]);
    expect(plan.writes).toEqual([{ voterId: 'v1', option: 'a', entryId: '5-0' }]);
    expect([...plan.deltas]).toEqual([['a', 1]]);
    expect(plan.stale).toBe(0);
  });

  it('moves a voter’s count when a newer vote changes the option', () => {
    const plan = planVotes(stored({ v1: { option: 'a', entryId: '5-0' } }), [vote('6-0', 'v1', 'b')]);
    expect(plan.writes).toEqual([{ voterId: 'v1', option: 'b', entryId: '6-0' }]);
    expect(Object.fromEntries(plan.deltas)).toEqual({ a: -1, b: 1 });
  });

  it('stores a newer vote for the same option without changing any count', () => {
    const plan = planVotes(stored({ v1: { option: 'a', entryId: '5-0' } }), [vote('6-0', 'v1', 'a')]);
    expect(plan.writes).toHaveLength(1);
    expect(plan.deltas.size).toBe(0);
  });

  it('ignores a vote older than the stored one, and the stored one delivered again', () => {
    const current = stored({ v1: { option: 'b', entryId: '10-0' } });
    for (const old of [vote('9-5', 'v1', 'a'), vote('10-0', 'v1', 'b')]) {
      const plan = planVotes(current, [old]);
      expect(plan.writes).toEqual([]);
      expect(plan.deltas.size).toBe(0);
      expect(plan.stale).toBe(1);
    }
  });

  it('compares ids as numbers: 10-0 is newer than 9-0', () => {
    const plan = planVotes(stored({ v1: { option: 'a', entryId: '9-0' } }), [vote('10-0', 'v1', 'b')]);
    expect(plan.writes).toHaveLength(1);
  });

  it('keeps only the newest vote of a voter within a batch, whatever the order they came in', () => {
    const batch = [vote('7-1', 'v1', 'b'), vote('7-0', 'v1', 'a'), vote('8-0', 'v2', 'a'), vote('7-2', 'v1', 'c')];
    for (const order of [batch, [...batch].reverse()]) {
      const plan = planVotes(stored({}), order);
      expect(plan.writes.sort((x, y) => x.voterId.localeCompare(y.voterId))).toEqual([
        { voterId: 'v1', option: 'c', entryId: '7-2' },
        { voterId: 'v2', option: 'a', entryId: '8-0' },
      ]);
      expect(Object.fromEntries(plan.deltas)).toEqual({ a: 1, c: 1 });
      expect(plan.stale).toBe(2);
    }
  });

  it('drops a delta that cancels out', () => {
    const plan = planVotes(stored({ v1: { option: 'a', entryId: '1-0' }, v2: { option: 'b', entryId: '1-1' } }), [
      vote('2-0', 'v1', 'b'),
      vote('2-1', 'v2', 'a'),
    ]);
    expect(plan.deltas.size).toBe(0);
    expect(plan.writes).toHaveLength(2);
  });
});
