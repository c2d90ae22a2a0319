import { compareEntryIds, type VoteEntry } from '@shipshape/votelog';

/** A voter's vote as stored: the option and the log entry it came from. */
export interface StoredVote {
  option: string;
  entryId: string;
}

export interface VoteWrite {
  voterId: string;
  option: string;
  entryId: string;
}

export interface VotePlan {
  /** The rows to insert or replace. */
  writes: VoteWrite[];
  /** What each option's count changes by (never zero entries). */
  deltas: Map<string, number>;
  /** Votes not applied because the voter's stored vote (or a later one in the batch) is newer. */
  stale: number;
}

/**
 * What a batch of votes changes, given the voters' stored votes. The ordering rule: a vote replaces
 * the stored one only when its entry id is newer, so a redelivered entry (a claim after a crash) or
 * one that arrives after a later vote of the same voter (two workers) changes nothing.
 */
export function planVotes(stored: ReadonlyMap<string, StoredVote>, batch: readonly VoteEntry[]): VotePlan {
  const newest = new Map<string, VoteEntry>();
  let stale = 0;
  for (const vote of batch) {
    const seen = newest.get(vote.voterId);
    if (seen === undefined) newest.set(vote.voterId, vote);
    else {
      stale += 1;
      if (compareEntryIds(vote.id, seen.id) > 0) newest.set(vote.voterId, vote);
    }
  }
  const writes: VoteWrite[] = [];
  const deltas = new Map<string, number>();
  const add = (option: string, by: number) => {
    const next = (deltas.get(option) ?? 0) + by;
    if (next === 0) deltas.delete(option);
    else deltas.set(option, next);
  };
  for (const vote of newest.values()) {
    const current = stored.get(vote.voterId);
    if (current !== undefined && compareEntryIds(vote.id, current.entryId) <= 0) {
      stale += 1;
      continue;
    }
    writes.push({ voterId: vote.voterId, option: vote.option, entryId: vote.id });
    if (current?.option === vote.option) continue;
    if (current !== undefined) add(current.option, -1);
    add(vote.option, 1);
  }
  return { writes, deltas, stale };
}
