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
    {
      version: 3,
      name: 'lower-cased title stored for search, the trigram index moved onto it',
      // ILIKE lower-cases the title of every row it reads, on each search (1.5 µs a row, most of a
      // search's cost): the title is stored lower-cased once, when it is written, and a search is a LIKE
      // of lower(term) over it, which is what ILIKE does in a UTF-8 database. The index on title goes, so
      // that a write keeps one trigram index to maintain (docs/decisions/0006-title-search.md).
      sql: `
ALTER TABLE movies ADD COLUMN title_lower text GENERATED ALWAYS AS (lower(title)) STORED;
DROP INDEX movies_title_trgm_idx;
CREATE INDEX movies_title_lower_trgm_idx ON movies USING gin (title_lower gin_trgm_ops);
`,
    },
  ],
};
