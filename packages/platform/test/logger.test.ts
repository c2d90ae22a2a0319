/**
 * The loggers of a process write JSON lines to stdout, those of one event-loop turn in one write: a
 * real child process is run and its stdout read, as a log collector would.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const platform = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Runs `body` as an ES module with `createLogger` imported; resolves with what it printed once `done` appears or it exits. */
function run(body: string, until: (stdout: string) => boolean): Promise<{ stdout: string; exitCode: number | null }> {
  const script = `import { createLogger } from ${JSON.stringify(platform)};\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`no expected output within 10 s; got:\n${stdout}`));
    }, 10_000);
    const finish = (exitCode: number | null) => {
      clearTimeout(timer);
      child.kill();
      resolve({ stdout, exitCode });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (until(stdout)) finish(null);
    });
    child.on('exit', (code) => finish(code));
  });
}

const entries = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('createLogger', () => {
  it('writes the lines of a turn as whole JSON lines, in order, while the process goes on', async () => {
    const { stdout, exitCode } = await run(
      `const gateway = createLogger('gateway');
       const billing = createLogger('billing');
       for (let i = 0; i < 3; i++) { gateway.info({ i }, 'request completed'); billing.warn({ i }, 'retrying'); }
       setTimeout(() => {}, 60_000); // still running: the lines must not wait for the exit`,
      (out) => out.split('\n').length > 6,
    );
    expect(exitCode).toBeNull();
    expect(entries(stdout).map(({ service, level, i, msg }) => [service, level, i, msg])).toEqual([
      ['gateway', 'info', 0, 'request completed'],
      ['billing', 'warn', 0, 'retrying'],
      ['gateway', 'info', 1, 'request completed'],
      ['billing', 'warn', 1, 'retrying'],
      ['gateway', 'info', 2, 'request completed'],
      ['billing', 'warn', 2, 'retrying'],
    ]);
    expect(entries(stdout)[0]).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('still writes what was logged right before process.exit', async () => {
    const { stdout, exitCode } = await run(
      `const logger = createLogger('inventory');
       logger.info('starting');
       logger.fatal({ reason: 'no database' }, 'inventory failed to start');
       process.exit(1);`,
      () => false,
    );
    expect(exitCode).toBe(1);
    expect(entries(stdout).map(({ level, msg }) => [level, msg])).toEqual([
      ['info', 'starting'],
      ['fatal', 'inventory failed to start'],
    ]);
  });

  it('writes a turn that logs more than its buffer holds completely', async () => {
    const { stdout } = await run(
      `const logger = createLogger('billing');
       for (let i = 0; i < 2_000; i++) logger.info({ i, padding: 'x'.repeat(100) }, 'order batch stored');
       setTimeout(() => {}, 60_000);`,
      (out) => out.split('\n').length > 2_000,
    );
    expect(entries(stdout).map(({ i }) => i)).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
  });
});
