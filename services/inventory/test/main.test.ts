/**
 * The entry point as an operator runs it: `node dist/main.js` with its environment (run
 * `npx tsc -b services/inventory` first).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  getFreePort,
  postgresAvailable,
  startNodeProcess,
  startTcpProxy,
  waitFor,
  type ServiceProcess,
  type TestDatabase,
  runToExit as runToExitOf,
} from '@shipshape/testkit';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

const runToExit = (env: Record<string, string | undefined>) => runToExitOf(script, env);

describe('inventory entry point: configuration', () => {
  it('exits 1 naming DATABASE_URL when it is missing', async () => {
    const { code, output } = await runToExit({});
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL is required/);
  });

  it('exits 1 naming every invalid variable at once', async () => {
    const { code, output } = await runToExit({ DATABASE_URL: 'mysql://x', PORT: 'eighty', DATABASE_POOL_SIZE: '0' });
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL: must be a URL starting with postgres:\/\//);
    expect(output).toMatch(/PORT/);
    expect(output).toMatch(/DATABASE_POOL_SIZE/);
  });
});

describe.skipIf(!(await postgresAvailable()))('inventory entry point against the PostgreSQL server', () => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase('inventory_main');
    const port = await getFreePort();
    url = `http://127.0.0.1:${port}`;
    service = await startNodeProcess(
      script,
      { DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      `${url}/health`,
    );
  });
  afterAll(async () => {
    await service?.kill();
    await database?.drop();
  });

  it('migrates the database, serves the movies API and logs JSON lines', async () => {
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    const created = await fetch(`${url}/api/movies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Alien' }),
    });
    expect(created.status).toBe(201);
    const movie = (await created.json()) as { id: number };
    expect(await (await fetch(`${url}/api/movies/${movie.id}`)).json()).toEqual({
      id: movie.id,
      title: 'Alien',
      description: '',
    });
    const lines = service!.output().trim().split('\n');
    const listening = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'inventory listening');
    expect(listening).toMatchObject({
      service: 'inventory',
      level: 'info',
      url: expect.stringContaining('127.0.0.1'),
      metrics: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/),
    });
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    expect(await service!.stop('SIGTERM')).toBe(0);
    expect(service!.output()).toMatch(/"msg":"stopped"/);
  });
});

describe.skipIf(!(await postgresAvailable()))('inventory started before its database answers', () => {
  it('retries its first connection, logging the redacted URL, and serves once the database is there', async () => {
    const database = await createTestDatabase('inventory_wait');
    const server = new URL(database.url);
    const relay = await startTcpProxy(server.hostname, Number(server.port || 5432));
    await relay.cut(); // nothing listens on the relay's port yet: the database "is not up"
    const viaRelay = new URL(database.url);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    viaRelay.username = 'postgres';
    viaRelay.password = 'secret-password';
    const port = await getFreePort();
    const child = spawn(process.execPath, [script], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: viaRelay.toString(),
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      },
      stdio: 'pipe',
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        'two connection attempts',
        async () => (output.match(/"msg":"waiting for /g) ?? []).length >= 2,
        15_000,
      );
      expect(child.exitCode).toBeNull();
      await relay.restore();
      await waitFor('inventory to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 20_000);
      const attempts = output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => String(entry.msg).startsWith('waiting for '));
      expect(attempts[0]).toMatchObject({
        level: 'warn',
        attempt: 1,
        target: expect.stringContaining(`:${relay.port}`),
      });
      expect(output).not.toContain('secret-password');
      expect(output).toContain('postgres:***@');
    } finally {
      child.kill('SIGTERM');
      await exited;
      await relay.close();
      await database.drop();
    }
  });

  it('exits 1 naming the redacted URL once STARTUP_TIMEOUT_MS has passed', async () => {
    const port = await getFreePort();
    const started = Date.now();
    const { code, output } = await runToExit({
      DATABASE_URL: `postgres://inventory:secret-password@127.0.0.1:${port}/inventory`,
      STARTUP_TIMEOUT_MS: '2000',
      METRICS_PORT: '0',
    });
    expect(code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(output).toContain(`postgres://inventory:***@127.0.0.1:${port}/inventory`);
    expect(output).not.toContain('secret-password');
    expect(output).toMatch(/"level":"fatal"/);
  });
});
