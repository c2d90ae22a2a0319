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
  type ServiceProcess,
  type TestDatabase,
} from '@shipshape/testkit';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

/** Runs the entry point to its exit and answers the exit code and everything it printed. */
function runToExit(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

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
    expect(listening).toMatchObject({ service: 'inventory', level: 'info', url: expect.stringContaining('127.0.0.1') });
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    expect(await service!.stop('SIGTERM')).toBe(0);
    expect(service!.output()).toMatch(/"msg":"stopped"/);
  });
});
