import type { Logger } from '@shipshape/platform';
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationSet {
  /** Who owns the schema (`inventory`, `billing`, `queue`): its versions are kept in `<owner>_migrations`. */
  owner: string;
  migrations: Migration[];
}

/** Where `runMigrations` records which versions of `owner`'s schema a database already has. */
export function migrationsTable(owner: string): string {
  const table = `${owner}_migrations`;
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`invalid migrations owner: ${owner}`);
  return table;
}

/**
 * Applies the migrations not yet recorded in the owner's table, in version order, in one transaction,
 * and logs the versions it applied in one line. A transaction-scoped advisory lock makes replicas that
 * start together take turns: the second one waits, then finds everything applied.
 */
export async function runMigrations(db: Db, { owner, migrations }: MigrationSet, logger?: Logger): Promise<number[]> {
  const table = migrationsTable(owner);
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const applied = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
      [],
    );
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${table}`, []);
    const done = new Set(rows.map((row) => row.version));
    const versions: number[] = [];
    for (const migration of ordered) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement, []);
      await tx.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      versions.push(migration.version);
    }
    return versions;
  });
  if (applied.length > 0) logger?.info({ schema: owner, versions: applied }, 'applied database migrations');
  return applied;
}

/** Migrations are plain DDL separated by `;` at line ends; no function bodies with inner `;`. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
