import { runMigrations, type Db, type SqlExecutor } from '@shipshape/db';
import { createBatcher, messageOf, signalRegistry, withTimeout, type Logger } from '@shipshape/platform';
import { voteLogMigrations } from './migrations.js';
import {
  deadLetterKey,
  entryFromFields,
  fieldsOf,
  voteFields,
  VoteLogUnavailableError,
  type LogEntry,
  type NewVote,
  type VoteLog,
} from './voteLog.js';

export interface EmbeddedVoteLogOptions {
  /** The log's name; several logs share the tables. Dead letters are kept under `<key>.dead-letter`. */
  key: string;
  group: string;
  /** Longest an append waits for its commit before rejecting with `VoteLogUnavailableError`. */
  appendTimeoutMs?: number;
  /** How often a blocking read looks for entries that no append through the same `Db` announced. */
  pollIntervalMs?: number;
  logger?: Logger;
}

/** Most appends one commit carries. */
const MAX_APPENDS_PER_COMMIT = 500;

const NOW_MS = `floor(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Takes `$2` ids at once, Redis's way: the current millisecond, or the last one used when the clock
 * has not passed it (it went back, or many appends in one millisecond), with sequence numbers after it.
 */
const ALLOCATE_IDS_SQL = `
  INSERT INTO votelog_streams AS s (key, last_ms, last_seq)
  VALUES ($1, ${NOW_MS}, $2::bigint - 1)
  ON CONFLICT (key) DO UPDATE SET
    last_seq = CASE WHEN excluded.last_ms > s.last_ms THEN excluded.last_seq ELSE s.last_seq + $2::bigint END,
    last_ms = GREATEST(excluded.last_ms, s.last_ms)
  RETURNING last_ms::text AS ms, last_seq::text AS seq`;

const INSERT_ENTRIES_SQL = `
  INSERT INTO votelog_entries (key, ms, seq, fields)
  SELECT $1, $2::bigint, $3::bigint + t.n - 1, t.fields::jsonb
    FROM unnest($4::text[]) WITH ORDINALITY AS t(fields, n)`;

interface EntryRow {
  ms: string;
  seq: string;
  fields: unknown;
  deliveries?: number;
}

type Append = { vote: NewVote; resolve: (id: string) => void; reject: (error: unknown) => void };

/** Appends through a `Db` object wake that object's blocked reads at once (one process in the embedded mode). */
const appendSignal = signalRegistry<Db>();

function parseId(id: string): [string, string] {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  if (!match) throw new TypeError(`not a vote log entry id: ${JSON.stringify(id)}`);
  return [match[1]!, match[2]!];
}

function toEntry(row: EntryRow): LogEntry {
  return entryFromFields(`${row.ms}-${row.seq}`, row.fields, row.deliveries ?? 1);
}

/**
 * The vote log in PostgreSQL (PGlite in the embedded mode), with the semantics of the Redis adapter:
 * entry ids `<ms>-<seq>` that `compareEntryIds` orders, a group's position and its pending entries
 * (consumer, delivery count, time of the last delivery), claims of idle entries, and an ack that
 * deletes the entry. An append resolves once committed; appends made while a commit is under way go
 * in the next one together. `close()` leaves `db` open: whoever created it closes it.
 */
export async function createEmbeddedVoteLog(db: Db, options: EmbeddedVoteLogOptions): Promise<VoteLog> {
  const { key, group } = options;
  const deadKey = deadLetterKey(key);
  const appendTimeoutMs = options.appendTimeoutMs ?? 2_000;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  await runMigrations(db, voteLogMigrations, options.logger);

  let closed = false;
  const appended = appendSignal(db, key);

  const appender = createBatcher<Append>({
    maxBatchSize: MAX_APPENDS_PER_COMMIT,
    async send(batch) {
      let first: { ms: string; seq: bigint };
      try {
        first = await db.transaction(async (tx) => {
          const { rows } = await tx.query<{ ms: string; seq: string }>(ALLOCATE_IDS_SQL, [key, batch.length]);
          const last = rows[0]!;
          const firstSeq = BigInt(last.seq) - BigInt(batch.length - 1);
          await tx.query(INSERT_ENTRIES_SQL, [
            key,
            last.ms,
            firstSeq.toString(),
            batch.map((a) => JSON.stringify(voteFields(a.vote))),
          ]);
          return { ms: last.ms, seq: firstSeq };
        });
      } catch (error) {
        for (const a of batch) a.reject(error);
        return;
      }
      for (const [index, a] of batch.entries()) a.resolve(`${first.ms}-${first.seq + BigInt(index)}`);
      appended.notify();
    },
  });

  function ensureOpen(): void {
    if (closed) throw new VoteLogUnavailableError('vote log is closed');
  }

  async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
    ensureOpen();
    try {
      return await work();
    } catch (error) {
      if (error instanceof VoteLogUnavailableError || error instanceof TypeError) throw error;
      throw new VoteLogUnavailableError(`vote log ${key}: ${what} failed: ${messageOf(error)}`, { cause: error });
    }
  }

  async function readOnce(consumer: string, count: number): Promise<LogEntry[]> {
    return db.transaction(async (tx) => {
      await tx.query('INSERT INTO votelog_groups (key, grp) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, group]);
      const { rows: position } = await tx.query<{ ms: string; seq: string }>(
        'SELECT last_ms::text AS ms, last_seq::text AS seq FROM votelog_groups WHERE key = $1 AND grp = $2 FOR UPDATE',
        [key, group],
      );
      const { ms, seq } = position[0]!;
      const { rows } = await tx.query<EntryRow>(
        // Ordered by the columns, not by the text aliases of the same names.
        `SELECT e.ms::text AS ms, e.seq::text AS seq, e.fields FROM votelog_entries e
          WHERE e.key = $1 AND (e.ms, e.seq) > ($2::bigint, $3::bigint) ORDER BY e.ms, e.seq LIMIT $4`,
        [key, ms, seq, count],
      );
      if (rows.length === 0) return [];
      await tx.query(
        `INSERT INTO votelog_pending (key, grp, ms, seq, consumer, deliveries, delivered_at)
         SELECT $1, $2, ms, seq, $3, 1, clock_timestamp() FROM unnest($4::bigint[], $5::bigint[]) AS t(ms, seq)`,
        [key, group, consumer, rows.map((r) => r.ms), rows.map((r) => r.seq)],
      );
      const last = rows.at(-1)!;
      await tx.query('UPDATE votelog_groups SET last_ms = $3, last_seq = $4 WHERE key = $1 AND grp = $2', [
        key,
        group,
        last.ms,
        last.seq,
      ]);
      return rows.map(toEntry);
    });
  }

  /** Removes the entries from the group's pending list and from the log. */
  async function remove(tx: SqlExecutor, ids: string[]): Promise<void> {
    const parsed = ids.map(parseId);
    const params = [key, parsed.map(([ms]) => ms), parsed.map(([, seq]) => seq)];
    await tx.query(
      `DELETE FROM votelog_pending WHERE key = $1 AND grp = $4
          AND (ms, seq) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))`,
      [...params, group],
    );
    await tx.query(
      `DELETE FROM votelog_entries WHERE key = $1 AND (ms, seq) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))`,
      params,
    );
  }

  return {
    async append(vote) {
      ensureOpen();
      try {
        return await withTimeout(
          new Promise<string>((resolve, reject) => appender.add({ vote, resolve, reject })),
          appendTimeoutMs,
          () => new Error(`the database did not commit within ${appendTimeoutMs} ms`),
        );
      } catch (error) {
        throw new VoteLogUnavailableError(`vote log ${key}: could not store the vote: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },

    read(consumer, { count, blockMs }) {
      return guarded('read', async () => {
        const deadline = Date.now() + blockMs;
        for (;;) {
          const entries = await readOnce(consumer, count);
          const left = deadline - Date.now();
          if (entries.length > 0 || left <= 0 || closed) return entries;
          await appended.wait(Math.min(left, pollIntervalMs));
          // A read blocked when the log closes answers nothing, as Redis does for a read under way.
          if (closed) return [];
        }
      });
    },

    claimStale(consumer, { minIdleMs, count }) {
      return guarded('claim', async () => {
        // The candidates are picked once (MATERIALIZED): a LIMIT subquery inside the UPDATE's WHERE
        // may be evaluated again and take more than `count` rows.
        const { rows } = await db.query<EntryRow>(
          `WITH picked AS MATERIALIZED (
             SELECT ms, seq FROM votelog_pending
              WHERE key = $1 AND grp = $2
                AND delivered_at <= clock_timestamp() - $4::integer * interval '1 millisecond'
              ORDER BY ms, seq
              LIMIT $5
                FOR UPDATE SKIP LOCKED)
           UPDATE votelog_pending p
              SET consumer = $3, deliveries = p.deliveries + 1, delivered_at = clock_timestamp()
             FROM picked, votelog_entries e
            WHERE p.key = $1 AND p.grp = $2 AND p.ms = picked.ms AND p.seq = picked.seq
              AND e.key = p.key AND e.ms = p.ms AND e.seq = p.seq
          RETURNING p.ms::text AS ms, p.seq::text AS seq, e.fields, p.deliveries`,
          [key, group, consumer, minIdleMs, count],
        );
        return rows.sort((a, b) => compareRows(a, b)).map(toEntry);
      });
    },

    ack(ids) {
      return guarded('ack', async () => {
        if (ids.length === 0) return;
        await db.transaction((tx) => remove(tx, ids));
      });
    },

    deadLetter(entry, reason) {
      return guarded('dead-letter', async () => {
        await db.transaction(async (tx) => {
          await tx.query('INSERT INTO votelog_dead_letters (key, entry_id, fields, reason) VALUES ($1, $2, $3, $4)', [
            deadKey,
            entry.id,
            JSON.stringify(fieldsOf(entry)),
            reason,
          ]);
          await remove(tx, [entry.id]);
        });
      });
    },

    deadLetters(limit) {
      return guarded('dead letters', async () => {
        const { rows } = await db.query<{ entry_id: string; fields: Record<string, string>; reason: string }>(
          'SELECT entry_id, fields, reason FROM votelog_dead_letters WHERE key = $1 ORDER BY n LIMIT $2',
          [deadKey, limit],
        );
        return rows.map((row) => ({ id: row.entry_id, fields: row.fields, reason: row.reason }));
      });
    },

    pending() {
      return guarded('pending', async () => {
        const { rows } = await db.query<{ count: number }>(
          'SELECT count(*)::integer AS count FROM votelog_pending WHERE key = $1 AND grp = $2',
          [key, group],
        );
        return rows[0]?.count ?? 0;
      });
    },

    length() {
      return guarded('length', async () => {
        const { rows } = await db.query<{ count: number }>(
          'SELECT count(*)::integer AS count FROM votelog_entries WHERE key = $1',
          [key],
        );
        return rows[0]?.count ?? 0;
      });
    },

    check() {
      return guarded('check', () =>
        withTimeout(
          db.ping(),
          appendTimeoutMs,
          () => new Error(`the database did not answer in ${appendTimeoutMs} ms`),
        ),
      );
    },

    async close() {
      closed = true;
      // Blocked reads end now (readers of other logs on this Db wake too, and read again); appends
      // already taken finish their commit.
      appended.notify();
      await appender.idle();
    },
  };
}

function compareRows(a: EntryRow, b: EntryRow): number {
  const ms = BigInt(a.ms) - BigInt(b.ms);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(a.seq) - BigInt(b.seq);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
