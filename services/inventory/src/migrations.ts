import type { MigrationSet } from '@shipshape/db';

/**
 * The inventory schema, one version at a time. A version that has shipped is never edited: a change
 * is a new version. Limits are written out rather than imported from the contracts for the same
 * reason: the history must not move when a constant does.
 */
export const inventoryMigrations: MigrationSet = {
  owner: 'inventory',
  migrations: [
    {
      version: 1,
      name: 'create movies',
      sql: `
CREATE TABLE movies (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000)
);
`,
    },
    {
      version: 2,
      name: 'trigram index for case-insensitive title search',
      // A GIN trigram index serves ILIKE '%term%' (a b-tree cannot serve a leading wildcard).
      sql: `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX movies_title_trgm_idx ON movies USING gin (title gin_trgm_ops);
`,
    },
  ],
};
