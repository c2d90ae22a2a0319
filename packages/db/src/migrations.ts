import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies the migrations not yet recorded in `table`, in version order, in one transaction.
 * A transaction-scoped advisory lock makes replicas that start together take turns: the second
 * one waits, then finds everything applied.
 */
export async function runMigrations(db: Db, table: string, migrations: Migration[]): Promise<number[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`invalid migrations table name: ${table}`);
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  return db.transaction(async (tx) => {
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
    const applied = new Set(rows.map((row) => row.version));
    const done: number[] = [];
    for (const migration of ordered) {
      if (applied.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement, []);
      await tx.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      done.push(migration.version);
    }
    return done;
  });
}

/** Migrations are plain DDL separated by `;` at line ends; no function bodies with inner `;`. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
