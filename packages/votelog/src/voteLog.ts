import { ServiceUnavailableError } from '@shipshape/platform';

/**
 * The durable log of accepted votes between the vote service (which appends) and the worker (which
 * reads with a consumer group, stores, then acknowledges). Redis Streams and the embedded database
 * implement it with the same semantics, checked by one contract test suite.
 *
 * - Durable means: Redis answered the XADD with `appendonly yes` and `appendfsync always` (Redis
 *   fsyncs the append-only file before it sends the replies of an event-loop turn), or the database
 *   committed. The vote service may answer 202 then, and the Redis server must run with both settings.
 * - One consumer group per key: `ack` deletes the acknowledged entries outright (XACK and XDEL in one
 *   MULTI), which keeps the log as small as the backlog without trimming by id, and would lose entries
 *   for a second group that had not read them yet.
 * - An entry delivered again (a claim after a crash) is the same vote with the same id: the worker
 *   makes that harmless by storing a vote only when its id is newer than the voter's stored one.
 */
export interface NewVote {
  voterId: string;
  option: string;
  /** The request id of the `POST /api/votes` that accepted it, so the worker's logs can point back. */
  requestId?: string;
}

/** A vote read from the log. `id` is its entry id: ordered, and compared with `compareEntryIds`. */
export interface VoteEntry extends NewVote {
  id: string;
  /** How many times the group handed this entry out, this time included (1 the first time). */
  deliveries: number;
}

/**
 * An entry whose fields are not a vote (written by something else, or by a version that has gone).
 * It is handed out like the others so the worker can dead-letter it and go on, rather than crash.
 */
export interface MalformedEntry {
  id: string;
  malformed: string;
  /** The fields as stored, kept with the dead letter. */
  fields: Record<string, string>;
  deliveries: number;
}

export type LogEntry = VoteEntry | MalformedEntry;

export function isMalformed(entry: LogEntry): entry is MalformedEntry {
  return 'malformed' in entry;
}

export interface DeadLetter {
  /** The id the entry had in the log. */
  id: string;
  fields: Record<string, string>;
  reason: string;
}

export interface ReadOptions {
  /** Most entries answered. */
  count: number;
  /** How long to wait for a new entry when there is none; 0 answers at once. */
  blockMs: number;
}

export interface ClaimOptions {
  /** Only entries handed out at least this long ago and still not acknowledged are taken over. */
  minIdleMs: number;
  count: number;
}

export interface VoteLog {
  /**
   * Resolves with the entry id once the vote is durable; rejects with `VoteLogUnavailableError`
   * within the adapter's `appendTimeoutMs` when that cannot be had, never later.
   */
  append(vote: NewVote): Promise<string>;
  /**
   * Entries the group has not handed out yet, oldest first; each becomes pending for `consumer` until
   * acknowledged. Creates the group (from the start of the log) if it is missing.
   */
  read(consumer: string, options: ReadOptions): Promise<LogEntry[]>;
  /** Takes over entries left pending by another consumer (a dead worker), counting the delivery. */
  claimStale(consumer: string, options: ClaimOptions): Promise<LogEntry[]>;
  /** Acknowledges the entries and removes them from the log. */
  ack(ids: string[]): Promise<void>;
  /** Copies the entry with `reason` to the dead-letter log, then acknowledges (and removes) it. */
  deadLetter(entry: LogEntry, reason: string): Promise<void>;
  /** Up to `limit` dead letters, oldest first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Entries handed out and not acknowledged yet. */
  pending(): Promise<number>;
  /** Entries in the log: not read yet, plus pending. */
  length(): Promise<number>;
  /** Resolves when the log can take votes now; used by `/ready`. */
  check(): Promise<void>;
  /** Stops; later calls reject. Closes only what the adapter opened itself. */
  close(): Promise<void>;
}

/** The log cannot take or give votes now: 503 with `Retry-After`, the client retries. */
export class VoteLogUnavailableError extends ServiceUnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 2, options);
  }
}

/** The dead-letter log of a vote log's key. */
export function deadLetterKey(key: string): string {
  return `${key}.dead-letter`;
}

const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;

function parseEntryId(id: string): [bigint, bigint] {
  const match = ENTRY_ID.exec(id);
  if (!match) throw new TypeError(`not a vote log entry id: ${JSON.stringify(id)}`);
  return [BigInt(match[1]!), BigInt(match[2]!)];
}

/**
 * Orders two entry ids (`"<ms>-<seq>"`, as Redis Streams writes them): negative when `a` was appended
 * before `b`. Numeric, not textual: "9-0" comes before "10-0".
 */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = parseEntryId(a);
  const [bMs, bSeq] = parseEntryId(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

// Bounds that no real vote comes near; a field past them is not a vote.
const MAX_FIELD_LENGTH = 256;

/** The fields a vote is stored as, in both adapters. */
export function voteFields(vote: NewVote): Record<string, string> {
  const fields: Record<string, string> = { voterId: vote.voterId, option: vote.option };
  if (vote.requestId !== undefined) fields.requestId = vote.requestId;
  return fields;
}

/**
 * The stored fields of an entry back as a vote, or as malformed with the reason. Fields it does not
 * know are ignored, so a newer vote service can add one without an older worker dead-lettering votes.
 */
export function entryFromFields(id: string, stored: unknown, deliveries: number): LogEntry {
  const fields: Record<string, unknown> =
    typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const problems: string[] = [];
  if (fields !== stored) problems.push('the entry is not a set of fields');
  for (const name of ['voterId', 'option'] as const) {
    const value = fields[name];
    if (value === undefined) problems.push(`${name} is missing`);
    else if (typeof value !== 'string' || value.length === 0) problems.push(`${name} is not a non-empty string`);
    else if (value.length > MAX_FIELD_LENGTH) problems.push(`${name} is longer than ${MAX_FIELD_LENGTH} characters`);
  }
  const requestId = fields.requestId;
  if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length > MAX_FIELD_LENGTH)) {
    problems.push(`requestId is not a string of at most ${MAX_FIELD_LENGTH} characters`);
  }
  if (problems.length > 0) {
    const asText = Object.entries(fields).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]);
    return { id, malformed: problems.join('; '), fields: Object.fromEntries(asText), deliveries };
  }
  const entry: VoteEntry = { id, voterId: fields.voterId as string, option: fields.option as string, deliveries };
  if (typeof requestId === 'string') entry.requestId = requestId;
  return entry;
}

/** What a dead letter keeps of an entry: its stored fields. */
export function fieldsOf(entry: LogEntry): Record<string, string> {
  return isMalformed(entry) ? entry.fields : voteFields(entry);
}
