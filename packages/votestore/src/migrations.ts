import type { MigrationSet } from '@shipshape/db';

/**
 * The counted votes. `votes` holds each voter's current vote with the log entry it came from, so a
 * vote delivered again or out of order never overwrites a newer one; `vote_counts` holds the count per
 * option, kept in the same transaction, so reading the results costs one row per option.
 */
export const votesMigrations: MigrationSet = {
  owner: 'votes',
  migrations: [
    {
      version: 1,
      name: 'votes and counts',
      sql: `
        CREATE TABLE votes (
          voter_id text PRIMARY KEY,
          option text NOT NULL,
          entry_ms bigint NOT NULL,
          entry_seq bigint NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE vote_counts (
          option text PRIMARY KEY,
          votes bigint NOT NULL CHECK (votes >= 0)
        );
      `,
    },
  ],
};
