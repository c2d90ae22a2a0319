/**
 * The contract of the `Db` interface, run unchanged against the PostgreSQL server (pg) and the
 * embedded PostgreSQL (PGlite): every repository is written against it and must behave the same on
 * both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgDb,
  isDatabaseUnavailable,
  PgErrorCode,
  pgErrorCode,
  runMigrations,
  type Db,
  type Migration,
} from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createTestDatabase, postgresAvailable, startTcpProxy, uniqueName } from '@shipshape/testkit';

interface Adapter {
  name: string;
  enabled: boolean;
  /** Creates an empty database and returns a way to open `Db`s on it. */
  setup(): Promise<{ open(): Promise<Db>; cleanup(): Promise<void> }>;
  /** Whether two independent `Db` instances can share one database (as two replicas do). */
  sharedByInstances: boolean;
}

const postgresUp = await postgresAvailable();

const adapters: Adapter[] = [
  {
    name: 'PostgreSQL server (pg)',
    enabled: postgresUp,
    sharedByInstances: true,
    async setup() {
      const database = await createTestDatabase('db_contract');
      return {
        open: async () => createPgDb({ connectionString: database.url, maxConnections: 4 }),
        cleanup: () => database.drop(),
      };
    },
  },
  {
    name: 'PGlite (embedded, in memory)',
    enabled: true,
    sharedByInstances: false,
    async setup() {
      // An in-memory PGlite is its own database: every `open` would be a new, empty one, so the
      // suite shares one instance and closes it at the end.
      const db = await createPgliteDb();
      return { open: async () => db, cleanup: () => db.close() };
    },
  },
];

/** A table name of its own for each test, so tests do not see each other's rows. */
const table = (prefix: string) => uniqueName(prefix).toLowerCase();

describe.each(adapters)('Db contract: $name', ({ enabled, setup, sharedByInstances }) => {
  let db: Db;
  let open: () => Promise<Db>;
  let cleanup: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!enabled) return;
    const target = await setup();
    open = target.open;
    cleanup = target.cleanup;
    db = await open();
  });

  afterAll(async () => {
    if (sharedByInstances) await db?.close();
    await cleanup?.();
  });

  describe.skipIf(!enabled)('queries', () => {
    it('runs parameterised statements and answers rows with JavaScript types', async () => {
      const { rows, rowCount } = await db.query<{ i: number; t: string; b: boolean; n: null }>(
        'SELECT $1::int AS i, $2::text AS t, $3::boolean AS b, NULL AS n',
        [42, 'forty-two', true],
      );
      expect(rows).toEqual([{ i: 42, t: 'forty-two', b: true, n: null }]);
      expect(rowCount).toBe(1);
    });

    it('passes parameters as values, never as SQL, and keeps text verbatim', async () => {
      const name = table('verbatim');
      await db.exec(`CREATE TABLE ${name} (id serial PRIMARY KEY, value text NOT NULL)`);
      const tricky = `Robert'); DROP TABLE ${name}; -- 100% _under_ back\\slash "quoted" été 🎬`;
      await db.query(`INSERT INTO ${name} (value) VALUES ($1)`, [tricky]);
      const { rows } = await db.query<{ value: string }>(`SELECT value FROM ${name}`, []);
      expect(rows).toEqual([{ value: tricky }]);
    });

    it('answers int8 (bigint, count) as a JavaScript number', async () => {
      const name = table('int8');
      await db.exec(`CREATE TABLE ${name} (id bigint PRIMARY KEY); INSERT INTO ${name} VALUES (1), (9007199254740991)`);
      const { rows } = await db.query<{ total: unknown; biggest: unknown; param: unknown }>(
        `SELECT count(*) AS total, max(id) AS biggest, $1::int8 AS param FROM ${name}`,
        [7],
      );
      expect(rows).toEqual([{ total: 2, biggest: 9007199254740991, param: 7 }]);
      expect(typeof rows[0]?.total).toBe('number');
    });

    it('counts the rows a statement returned or changed in rowCount', async () => {
      const name = table('row_count');
      await db.exec(`CREATE TABLE ${name} (id serial PRIMARY KEY, value text)`);
      const inserted = await db.query(`INSERT INTO ${name} (value) VALUES ($1), ($2), ($3) RETURNING id`, [
        'a',
        'b',
        'c',
      ]);
      expect(inserted.rowCount).toBe(3);
      expect(inserted.rows).toHaveLength(3);
      expect((await db.query(`INSERT INTO ${name} (value) VALUES ($1)`, ['d'])).rowCount).toBe(1);
      expect((await db.query(`SELECT * FROM ${name}`, [])).rowCount).toBe(4);
      expect((await db.query(`UPDATE ${name} SET value = $1 WHERE value <> $2`, ['x', 'a'])).rowCount).toBe(3);
      expect((await db.query(`DELETE FROM ${name} WHERE value = $1`, ['nothing'])).rowCount).toBe(0);
      expect((await db.query(`DELETE FROM ${name}`, [])).rowCount).toBe(4);
    });

    it('rejects a failing statement with its SQLSTATE, and goes on serving', async () => {
      const name = table('unique');
      await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
      await db.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
      const error = await db.query(`INSERT INTO ${name} VALUES ($1)`, [1]).catch((e: unknown) => e);
      expect(pgErrorCode(error)).toBe(PgErrorCode.uniqueViolation);
      expect((await db.query(`SELECT count(*) AS n FROM ${name}`, [])).rows).toEqual([{ n: 1 }]);
    });

    it('runs several statements at once with exec', async () => {
      const name = table('exec');
      await db.exec(`
        CREATE TABLE ${name} (id int PRIMARY KEY, value text);
        INSERT INTO ${name} VALUES (1, 'one');
        INSERT INTO ${name} VALUES (2, 'two; not a separator');
      `);
      const { rows } = await db.query(`SELECT id, value FROM ${name} ORDER BY id`, []);
      expect(rows).toEqual([
        { id: 1, value: 'one' },
        { id: 2, value: 'two; not a separator' },
      ]);
    });

    it('has the pg_trgm extension, so a trigram index can serve substring searches', async () => {
      await db.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      const { rows } = await db.query(`SELECT similarity($1, $2) > 0.3 AS similar`, ['The Matrix', 'matrix']);
      expect(rows).toEqual([{ similar: true }]);
    });

    it('answers ping', async () => {
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });

  describe.skipIf(!enabled)('transactions', () => {
    it('commits the work of a transaction that resolves, and answers its result', async () => {
      const name = table('commit');
      await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
      const result = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
        await tx.query(`INSERT INTO ${name} VALUES ($1)`, [2]);
        return (await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`, [])).rows[0]?.n;
      });
      expect(result).toBe(2);
      expect((await db.query(`SELECT id FROM ${name} ORDER BY id`, [])).rows).toEqual([{ id: 1 }, { id: 2 }]);
    });

    it('rolls back everything when the work throws, and rethrows the error', async () => {
      const name = table('rollback');
      await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
      const failure = new Error('changed my mind');
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect((await db.query(`SELECT count(*) AS n FROM ${name}`, [])).rows).toEqual([{ n: 0 }]);
    });

    it('rolls back everything when a statement fails, and goes on serving', async () => {
      const name = table('rollback_sql');
      await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
      const error = await db
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
          await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
        })
        .catch((e: unknown) => e);
      expect(pgErrorCode(error)).toBe(PgErrorCode.uniqueViolation);
      expect((await db.query(`SELECT count(*) AS n FROM ${name}`, [])).rows).toEqual([{ n: 0 }]);
      await db.transaction((tx) => tx.query(`INSERT INTO ${name} VALUES ($1)`, [2]));
      expect((await db.query(`SELECT id FROM ${name}`, [])).rows).toEqual([{ id: 2 }]);
    });

    it('keeps uncommitted work invisible outside the transaction', async () => {
      const name = table('isolation');
      await db.exec(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
      let outsideDuring: unknown;
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${name} VALUES ($1)`, [1]);
        // PGlite runs one statement at a time, so this waits for the commit and sees it; pg sees
        // the table as it was before the transaction. Either way it never sees half the work.
        outsideDuring = db.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`, []);
        await tx.query(`INSERT INTO ${name} VALUES ($1)`, [2]);
      });
      const { rows } = await (outsideDuring as Promise<{ rows: Array<{ n: number }> }>);
      expect([0, 2]).toContain(rows[0]?.n);
    });
  });

  describe.skipIf(!enabled)('migrations', () => {
    const migrationsFor = (name: string): Migration[] => [
      // Given out of order on purpose: they must be applied by version.
      { version: 2, name: 'add rating', sql: `ALTER TABLE ${name} ADD COLUMN rating int NOT NULL DEFAULT 0;` },
      {
        version: 1,
        name: 'create table',
        sql: `CREATE TABLE ${name} (id serial PRIMARY KEY, title text NOT NULL);\nCREATE INDEX ${name}_title ON ${name} (title);`,
      },
    ];

    it('applies pending migrations once, in version order, and records them', async () => {
      const name = table('films');
      const ledger = `${name}_migrations`;
      expect(await runMigrations(db, { owner: name, migrations: migrationsFor(name) })).toEqual([1, 2]);
      expect(await runMigrations(db, { owner: name, migrations: migrationsFor(name) })).toEqual([]);
      await db.query(`INSERT INTO ${name} (title) VALUES ($1)`, ['Alien']);
      expect((await db.query(`SELECT title, rating FROM ${name}`, [])).rows).toEqual([{ title: 'Alien', rating: 0 }]);
      const { rows } = await db.query(`SELECT version, name FROM ${ledger} ORDER BY version`, []);
      expect(rows).toEqual([
        { version: 1, name: 'create table' },
        { version: 2, name: 'add rating' },
      ]);

      const third: Migration = { version: 3, name: 'add year', sql: `ALTER TABLE ${name} ADD COLUMN year int;` };
      expect(await runMigrations(db, { owner: name, migrations: [...migrationsFor(name), third] })).toEqual([3]);
    });

    it('applies nothing of a batch in which one migration fails', async () => {
      const name = table('broken');
      const broken: Migration = { version: 3, name: 'typo', sql: `ALTER TABLE ${name} ADD COLUMN oops nosuchtype;` };
      await expect(runMigrations(db, { owner: name, migrations: [...migrationsFor(name), broken] })).rejects.toThrow(
        /nosuchtype/,
      );
      const { rows } = await db.query(`SELECT to_regclass($1)::text AS found`, [name]);
      expect(rows).toEqual([{ found: null }]);
      expect(await runMigrations(db, { owner: name, migrations: migrationsFor(name) })).toEqual([1, 2]);
    });

    it('rejects an owner whose migrations table would not be a plain identifier', async () => {
      await expect(runMigrations(db, { owner: 'films; DROP TABLE x', migrations: [] })).rejects.toThrow(
        /invalid migrations owner/,
      );
    });

    it('applies each migration once when runMigrations runs concurrently on one Db', async () => {
      const name = table('together');
      const ledger = `${name}_migrations`;
      const results = await Promise.all([
        runMigrations(db, { owner: name, migrations: migrationsFor(name) }),
        runMigrations(db, { owner: name, migrations: migrationsFor(name) }),
        runMigrations(db, { owner: name, migrations: migrationsFor(name) }),
      ]);
      expect(results.flat().sort()).toEqual([1, 2]);
      expect((await db.query(`SELECT count(*) AS n FROM ${ledger}`, [])).rows).toEqual([{ n: 2 }]);
    });

    it.skipIf(!sharedByInstances)(
      'applies each migration once when two replicas (two Db instances) start at the same time',
      async () => {
        const name = table('replicas');
        const ledger = `${name}_migrations`;
        const replicas = await Promise.all([open(), open(), open()]);
        try {
          const results = await Promise.all(
            replicas.map((replica) => runMigrations(replica, { owner: name, migrations: migrationsFor(name) })),
          );
          expect(results.flat().sort()).toEqual([1, 2]);
          expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
          expect((await db.query(`SELECT count(*) AS n FROM ${ledger}`, [])).rows).toEqual([{ n: 2 }]);
        } finally {
          await Promise.all(replicas.map((replica) => replica.close()));
        }
      },
    );
  });

  describe.skipIf(!enabled)('notifications', () => {
    /** Resolves with the number of calls once `count` have come, or rejects after `ms`. */
    const callsOf = () => {
      let calls = 0;
      const waiters: Array<() => void> = [];
      return {
        onChange: () => {
          calls += 1;
          waiters.splice(0).forEach((wake) => wake());
        },
        get calls() {
          return calls;
        },
        async until(count: number, ms = 5_000) {
          const deadline = Date.now() + ms;
          while (calls < count) {
            if (Date.now() > deadline) throw new Error(`${calls} notifications, ${count} expected`);
            await new Promise<void>((wake) => {
              waiters.push(wake);
              setTimeout(wake, 50);
            });
          }
          return calls;
        },
      };
    };

    it('calls the listener after a NOTIFY committed in a transaction, not after a rollback', async () => {
      const channel = table('changes');
      const seen = callsOf();
      const listener = await db.listen(channel, seen.onChange);
      try {
        await db
          .transaction(async (tx) => {
            await tx.query('SELECT pg_notify($1, $2)', [channel, '']);
            throw new Error('roll back');
          })
          .catch(() => {});
        await db.transaction(async (tx) => {
          await tx.query('SELECT pg_notify($1, $2)', [channel, '']);
        });
        expect(await seen.until(1)).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(seen.calls).toBe(1);
      } finally {
        await listener.close();
      }
    });

    it('stops calling once closed, and hears nothing of other channels', async () => {
      const channel = table('closed');
      const seen = callsOf();
      const listener = await db.listen(channel, seen.onChange);
      await db.query('SELECT pg_notify($1, $2)', [table('other'), '']);
      await listener.close();
      await db.query('SELECT pg_notify($1, $2)', [channel, '']);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(seen.calls).toBe(0);
    });

    it('refuses a channel that is not a plain identifier', async () => {
      await expect(db.listen('x; DROP TABLE y', () => {})).rejects.toThrow(/not a plain channel name/);
    });
  });

  it.skipIf(!enabled || !sharedByInstances)('refuses queries once closed', async () => {
    const closed = await open();
    await closed.ping();
    await closed.close();
    await expect(closed.query('SELECT 1', [])).rejects.toThrow();
  });
});

describe('isDatabaseUnavailable', () => {
  it.skipIf(!postgresUp)(
    'pg: rejects queries with an error isDatabaseUnavailable recognises, and reconnects by itself',
    async () => {
      const database = await createTestDatabase('db_unreachable');
      const server = new URL(database.url);
      const proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
      const viaProxy = new URL(database.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const db = createPgDb({ connectionString: viaProxy.toString(), connectionTimeoutMs: 1_000 });
      try {
        await db.ping();
        await proxy.cut();
        // Twice: once on the pooled connection that was cut, once on a fresh connection attempt.
        for (let attempt = 0; attempt < 2; attempt++) {
          const error = await db.query('SELECT 1', []).catch((e: unknown) => e);
          expect(isDatabaseUnavailable(error), String(error)).toBe(true);
        }
        await proxy.restore();
        expect((await db.query('SELECT 1 AS one', [])).rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
        await proxy.close();
        await database.drop();
      }
    },
  );

  it.skipIf(!postgresUp)(
    'PostgreSQL: a listener whose connection is cut listens again by itself and says so',
    async () => {
      const database = await createTestDatabase('db_listen_cut');
      const server = new URL(database.url);
      const proxy = await startTcpProxy(server.hostname, Number(server.port || 5432));
      const viaProxy = new URL(database.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const db = createPgDb({ connectionString: viaProxy.toString(), connectionTimeoutMs: 1_000 });
      const direct = createPgDb({ connectionString: database.url });
      let calls = 0;
      const listener = await db.listen('changes', () => (calls += 1));
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 10_000;
        while (calls < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
        return calls;
      };
      try {
        await direct.query("SELECT pg_notify('changes', '')", []);
        expect(await waitFor(1)).toBe(1);
        await proxy.cut();
        await new Promise((resolve) => setTimeout(resolve, 200));
        await proxy.restore();
        // Once back it calls the listener (what was sent meanwhile is lost), then hears new NOTIFYs.
        expect(await waitFor(2)).toBe(2);
        await direct.query("SELECT pg_notify('changes', '')", []);
        expect(await waitFor(3)).toBe(3);
      } finally {
        await listener.close();
        await db.close();
        await direct.close();
        await proxy.close();
        await database.drop();
      }
    },
  );

  it('PGlite: does not take a faulty query for an unreachable database', async () => {
    const db = await createPgliteDb();
    try {
      const error = await db.query('SELECT * FROM no_such_table', []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(false);
    } finally {
      await db.close();
    }
  });
});

describe('Db contract: PGlite closing', () => {
  it('refuses queries once closed', async () => {
    const db = await createPgliteDb();
    await db.ping();
    await db.close();
    await expect(db.query('SELECT 1', [])).rejects.toThrow();
  });
});
