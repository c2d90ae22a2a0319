/**
 * The one interface data access is written against. The PostgreSQL server (pg) and the embedded
 * PostgreSQL (PGlite) both implement it, so every repository runs unchanged on either.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlExecutor {
  /** One parameterised statement ($1, $2, …). */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

export interface Db extends SqlExecutor {
  /** Several statements without parameters, such as a migration script. */
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Resolves when the database answers; used by `/ready`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** SQLSTATE codes that callers branch on. */
export const PgErrorCode = {
  uniqueViolation: '23505',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
