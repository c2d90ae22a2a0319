import { ServiceUnavailableError } from '@shipshape/platform';

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
  /**
   * `LISTEN`s on `channel` (a plain lower-case identifier) and calls `onChange` after every `NOTIFY`
   * on it, and again after the connection that listens was lost and is back (notifications may have
   * been missed meanwhile, so the listener should read again). Resolves once listening.
   */
  listen(channel: string, onChange: () => void): Promise<Listener>;
  /** Closes every connection, those that listen included. */
  close(): Promise<void>;
}

export interface Listener {
  /** Stops listening; the callback is not called afterwards. */
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** Channel names go into `LISTEN` as identifiers, which take no parameter: only plain ones are allowed. */
export function assertChannelName(channel: string): void {
  if (!CHANNEL.test(channel)) throw new TypeError(`not a plain channel name: ${JSON.stringify(channel)}`);
}

/**
 * A query failed because the database could not be reached or could not serve, not because of the
 * query. A `ServiceUnavailableError`, so every service answers it alike: 503 with `Retry-After`. The
 * server adapter throws it; repositories need not map anything.
 */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  constructor(
    label: string,
    cause: unknown,
    /** The server's URL without its password, for logs (never for clients). */
    readonly target?: string,
  ) {
    super(`The ${label} database is unavailable, try again later`, 5, { cause });
  }
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

/** Node socket errors of a server that cannot be reached or went away. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
/**
 * SQLSTATEs of a server that is there but cannot serve now: connection exceptions (class 08),
 * shutting down or starting (57P01-57P03), out of connections (53300), statement timeout (57014).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
/** pg reports a lost connection or a full pool with plain errors that carry no code. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed/i;

/**
 * True when a query failed because the database could not be reached or could not serve, rather
 * than because of the query: the caller should answer "try again later" (503), not a bug (500).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const code = pgErrorCode(error);
  if (
    code !== undefined &&
    (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))
  ) {
    return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}
