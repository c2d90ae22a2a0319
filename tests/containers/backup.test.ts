import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { api, composeEnv, docker, eventually, repoRoot, tail } from './docker.js';

const stack = inject('stack');

interface Movie {
  id: number;
  title: string;
  description: string;
}

interface Order {
  message_id: string;
}

interface Definitions {
  queues: { name: string; durable: boolean; arguments: Record<string, unknown> }[];
}

/**
 * `compose ARGS…` of the stack with `input` on its standard input, answering its standard output as
 * bytes: a custom-format dump and a tar archive are binary, which the suite's `compose()` (text, no
 * input) cannot carry. These are the commands of docs/operations.md, "Backups and restores".
 */
function composeBytes(args: string[], input?: Buffer, timeoutMs = 60_000): Promise<Buffer> {
  const [command, ...prefix] = stack.compose;
  return pipeThrough(command!, [...prefix, '-p', stack.project, ...args], composeEnv(stack), input, timeoutMs);
}

function pipeThrough(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input: Buffer | undefined,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(stdout));
      const why = tail(Buffer.concat(stderr).toString('utf8'), 20);
      reject(new Error(`${[command, ...args].join(' ')} exited ${code}:\n${why}`));
    });
    // The command may exit before reading all of it (a failure): that is reported by its exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** The documented dump: custom format, to standard output (the database containers' root is read-only). */
const dump = (db: string) =>
  composeBytes(['exec', '-T', db, 'sh', '-c', 'pg_dump -U "$POSTGRES_USER" -d "$POSTGRES_DB" --format=custom']);

/** The documented restore: the dump on standard input, the dumped tables dropped and re-created, in one transaction. */
const restore = (db: string, file: Buffer) =>
  composeBytes(
    [
      'exec',
      '-T',
      db,
      'sh',
      '-c',
      'pg_restore -U "$POSTGRES_USER" -d "$POSTGRES_DB" --clean --if-exists --single-transaction --exit-on-error',
    ],
    file,
  );

/** SQL on standard input to psql in the database's container, as the database's own user. */
const psql = (db: string, sql: string) =>
  composeBytes(
    ['exec', '-T', db, 'sh', '-c', 'psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
    Buffer.from(sql),
  );

/** `redis-cli ARGS…` in the stack's Redis, authenticated from the container's own environment. */
const redisCli = async (...args: string[]) =>
  (
    await composeBytes([
      'exec',
      '-T',
      'redis',
      'sh',
      '-c',
      'REDISCLI_AUTH="$REDIS_PASSWORD" exec redis-cli --no-auth-warning "$@"',
      'redis-cli',
      ...args,
    ])
  ).toString('utf8');

describe.skipIf(!stack.available)('backups and restores, as docs/operations.md gives them', () => {
  it('restores inventory-db from a pg_dump: a movie deleted after the dump comes back', async () => {
    const title = `Backed up ${randomBytes(4).toString('hex')}`;
    const created = await api<Movie>(stack, 'POST', '/api/movies', { title, description: 'in the dump' });
    expect(created.status).toBe(201);
    const { id } = created.body;

    const file = await dump('inventory-db');
    expect(file.subarray(0, 5).toString('latin1')).toBe('PGDMP'); // pg_dump's custom format

    expect((await api(stack, 'DELETE', `/api/movies/${id}`)).status).toBe(204);
    expect((await api(stack, 'GET', `/api/movies/${id}`)).status).toBe(404);

    await restore('inventory-db', file);
    const back = await eventually('the movie back after the restore', async () => {
      const movie = await api<Movie>(stack, 'GET', `/api/movies/${id}`);
      return movie.status === 200 ? movie.body : undefined;
    });
    expect(back).toEqual({ id, title, description: 'in the dump' });
    // The identity sequence came back with the table: a new movie takes a new id, not one in use.
    const next = await api<Movie>(stack, 'POST', '/api/movies', { title: `${title} (after)`, description: '' });
    expect(next.status).toBe(201);
    expect(next.body.id).toBeGreaterThan(id);
  });

  it('restores billing-db from a pg_dump: an order removed after the dump comes back', async () => {
    const order = await api<{ id: string }>(stack, 'POST', '/api/billing', {
      user_id: randomInt(1_000_000, 2_000_000_000),
      number_of_items: 1,
      total_amount: 9.5,
    });
    expect(order.status).toBe(202);
    const listed = async () => (await api<Order[]>(stack, 'GET', '/api/orders?limit=1000')).body;
    await eventually('the order stored', async () => (await listed()).find((o) => o.message_id === order.body.id));

    const file = await dump('billing-db');
    // A UUID: safe inside the statement.
    expect(order.body.id).toMatch(/^[0-9a-f-]{36}$/);
    await psql('billing-db', `DELETE FROM orders WHERE message_id = '${order.body.id}';\n`);
    expect((await listed()).some((o) => o.message_id === order.body.id)).toBe(false);

    await restore('billing-db', file);
    await eventually('the order back after the restore', async () =>
      (await listed()).find((o) => o.message_id === order.body.id),
    );
  });

  it("copies Redis's append-only file out after a rewrite, and the copy checks valid", async () => {
    // A rewrite already under way answers an error; either way, wait until none is.
    await redisCli('BGREWRITEAOF').catch(() => '');
    await eventually('the append-only file rewritten', async () => {
      const info = await redisCli('INFO', 'persistence');
      return /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) ? info : undefined;
    });

    const archive = await composeBytes(['exec', '-T', 'redis', 'tar', '-C', '/data', '-cf', '-', 'appendonlydir']);
    expect(archive.includes('appendonlydir/appendonly.aof.manifest')).toBe(true);

    // Checked in a throwaway container of the same image, off every network: redis-check-aof reads
    // the manifest and every file it names.
    const { stdout: image } = await docker([
      'inspect',
      '--format',
      '{{.Config.Image}}',
      (await composeBytes(['ps', '-q', 'redis'])).toString('utf8').trim(),
    ]);
    const checked = await pipeThrough(
      'docker',
      [
        'run',
        '--rm',
        '-i',
        '--network',
        'none',
        '--entrypoint',
        'sh',
        image.trim(),
        '-c',
        'mkdir /tmp/r && tar -C /tmp/r -xf - && redis-check-aof /tmp/r/appendonlydir/appendonly.aof.manifest',
      ],
      process.env,
      archive,
      60_000,
    );
    expect(checked.toString('utf8')).toMatch(/valid/i);
  });

  it("exports the broker's definitions with both durable queues, and imports them back", async () => {
    const exported = await composeBytes(['exec', '-T', 'rabbit-queue', 'rabbitmqctl', 'export_definitions', '-']);
    const definitions = JSON.parse(exported.toString('utf8')) as Definitions;
    for (const name of ['billing_queue', 'billing_queue.dead-letter']) {
      const queue = definitions.queues.find((q) => q.name === name);
      expect(queue, name).toBeDefined();
      expect(queue!.durable).toBe(true);
      expect(queue!.arguments['x-queue-version']).toBe(2);
    }
    // Importing what is there already changes nothing: the documented restore, run safely.
    await composeBytes(['exec', '-T', 'rabbit-queue', 'rabbitmqctl', 'import_definitions'], exported);
  });
});
