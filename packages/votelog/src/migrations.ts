import type { MigrationSet } from '@shipshape/db';

/**
 * The embedded vote log's tables, one version at a time; a version that has shipped is never edited.
 * An entry id is `<ms>-<seq>` like Redis's: `votelog_streams` holds the last one of each key.
 */
export const voteLogMigrations: MigrationSet = {
  owner: 'votelog',
  migrations: [
    {
      version: 1,
      name: 'entries, groups, pending entries and dead letters',
      sql: `
      CREATE TABLE votelog_streams (
        key text PRIMARY KEY,
        last_ms bigint NOT NULL,
        last_seq bigint NOT NULL
      );
      CREATE TABLE votelog_entries (
        key text NOT NULL,
        ms bigint NOT NULL,
        seq bigint NOT NULL,
        fields jsonb NOT NULL,
        PRIMARY KEY (key, ms, seq)
      );
      CREATE TABLE votelog_groups (
        key text NOT NULL,
        grp text NOT NULL,
        last_ms bigint NOT NULL DEFAULT 0,
        last_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (key, grp)
      );
      CREATE TABLE votelog_pending (
        key text NOT NULL,
        grp text NOT NULL,
        ms bigint NOT NULL,
        seq bigint NOT NULL,
        consumer text NOT NULL,
        deliveries integer NOT NULL,
        delivered_at timestamptz NOT NULL,
        PRIMARY KEY (key, grp, ms, seq)
      );
      CREATE TABLE votelog_dead_letters (
        n bigserial PRIMARY KEY,
        key text NOT NULL,
        entry_id text NOT NULL,
        fields jsonb NOT NULL,
        reason text NOT NULL,
        dead_lettered_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX votelog_dead_letters_key ON votelog_dead_letters (key, n);
    `,
    },
  ],
};
