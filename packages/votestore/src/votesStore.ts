import type { Db } from '@shipshape/db';
import type { VoteEntry } from '@shipshape/votelog';
import { planVotes, type StoredVote } from './planVotes.js';

/** The channel the worker's commit notifies and the result service listens on. */
export const VOTES_CHANGED_CHANNEL = 'votes_changed';

/**
 * Workers serialise their batch transactions on this lock, so two of them never read the same voter's
 * stored vote at once and both adjust the counts from it (docs/decisions/0007-voting-pipeline.md).
 */
const BATCH_LOCK = 7_432_011;

export interface AppliedBatch {
  /** Voters whose current vote changed. */
  applied: number;
  /** Votes that were older than what is stored (redelivered, or replaced within the batch). */
  stale: number;
}

export interface VotesStore {
  /** Stores a batch in one transaction, counts included, and notifies when anything changed. */
  applyBatch(votes: readonly VoteEntry[]): Promise<AppliedBatch>;
  /** The count of every option that has votes. */
  counts(): Promise<Map<string, number>>;
}

const splitId = (id: string) => id.split('-').map(Number) as [number, number];

export function createVotesStore(db: Db): VotesStore {
  return {
    async applyBatch(votes) {
      if (votes.length === 0) return { applied: 0, stale: 0 };
      return db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [BATCH_LOCK]);
        const voterIds = [...new Set(votes.map((vote) => vote.voterId))];
        const { rows } = await tx.query<{ voter_id: string; option: string; entry_ms: number; entry_seq: number }>(
          'SELECT voter_id, option, entry_ms, entry_seq FROM votes WHERE voter_id = ANY($1::text[])',
          [voterIds],
        );
        const stored = new Map<string, StoredVote>(
          rows.map((row) => [row.voter_id, { option: row.option, entryId: `${row.entry_ms}-${row.entry_seq}` }]),
        );
        const plan = planVotes(stored, votes);
        if (plan.writes.length > 0) {
          const ids = plan.writes.map((write) => splitId(write.entryId));
          // The WHERE repeats the ordering rule in SQL, so no path can let an older vote win.
          await tx.query(
            `INSERT INTO votes (voter_id, option, entry_ms, entry_seq)
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
             ON CONFLICT (voter_id) DO UPDATE SET
               option = EXCLUDED.option, entry_ms = EXCLUDED.entry_ms, entry_seq = EXCLUDED.entry_seq,
               updated_at = now()
             WHERE (votes.entry_ms, votes.entry_seq) < (EXCLUDED.entry_ms, EXCLUDED.entry_seq)`,
            [
              plan.writes.map((write) => write.voterId),
              plan.writes.map((write) => write.option),
              ids.map(([ms]) => ms),
              ids.map(([, seq]) => seq),
            ],
          );
        }
        if (plan.deltas.size > 0) {
          const options = [...plan.deltas.keys()].sort();
          // One statement for the counts and the notification. A new row takes the delta, which is
          // never negative for an option without a row (nobody can leave it); an existing row adds
          // its delta, looked up again because EXCLUDED holds only what the INSERT proposed (clamped,
          // so the CHECK holds for it).
          await tx.query(
            `WITH deltas AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS d(option, delta)),
                  notified AS (SELECT pg_notify($3, ''))
             INSERT INTO vote_counts AS c (option, votes)
             SELECT option, greatest(delta, 0) FROM deltas, notified
             ON CONFLICT (option) DO UPDATE
               SET votes = c.votes + (SELECT delta FROM deltas WHERE deltas.option = EXCLUDED.option)`,
            [options, options.map((option) => plan.deltas.get(option)), VOTES_CHANGED_CHANNEL],
          );
        }
        // NOTIFY is delivered at commit, and only then: a listener never reads counts that a rollback
        // took back. Votes that change no count (the same option again) notify nobody.
        return { applied: plan.writes.length, stale: plan.stale };
      });
    },
    async counts() {
      const { rows } = await db.query<{ option: string; votes: number }>('SELECT option, votes FROM vote_counts', []);
      return new Map(rows.map((row) => [row.option, row.votes]));
    },
  };
}
