import type { MigrationSet } from '@shipshape/db';

/** The embedded queue's tables, one version at a time; a version that has shipped is never edited. */
export const queueMigrations: MigrationSet = {
  owner: 'queue',
  migrations: [
    {
      version: 1,
      name: 'messages and dead letters',
      sql: `
      CREATE TABLE queue_messages (
        seq bigserial PRIMARY KEY,
        queue text NOT NULL,
        message_id text NOT NULL,
        body bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        deliveries integer NOT NULL DEFAULT 0,
        leased_until timestamptz,
        enqueued_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX queue_messages_queue_seq ON queue_messages (queue, seq);
      CREATE TABLE queue_dead_letters (
        seq bigserial PRIMARY KEY,
        queue text NOT NULL,
        message_id text NOT NULL,
        body bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        reason text NOT NULL,
        dead_lettered_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX queue_dead_letters_queue_seq ON queue_dead_letters (queue, seq);
    `,
    },
    {
      version: 2,
      name: 'attempts of a message answered retry',
      sql: `ALTER TABLE queue_messages ADD COLUMN attempts integer NOT NULL DEFAULT 0;`,
    },
  ],
};
