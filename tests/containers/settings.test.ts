import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseEnvFile, repoRoot, run } from './docker.js';

const stack = inject('stack');
const work = await mkdtemp(path.join(tmpdir(), 'shipshape-env-'));
afterAll(() => rm(work, { recursive: true, force: true }));

const secretKeys = [
  'INVENTORY_DB_PASSWORD',
  'BILLING_DB_PASSWORD',
  'VOTES_DB_PASSWORD',
  'RABBITMQ_PASSWORD',
  'REDIS_PASSWORD',
];

describe('the stack settings (.env)', () => {
  it('scripts/init-env.sh writes every password at random, readable by its owner only, once', async () => {
    const first = path.join(work, 'first.env');
    const second = path.join(work, 'second.env');
    await run('sh', ['scripts/init-env.sh', first]);
    await run('sh', ['scripts/init-env.sh', second]);
    const a = parseEnvFile(await readFile(first, 'utf8'));
    const b = parseEnvFile(await readFile(second, 'utf8'));
    for (const key of secretKeys) {
      expect(a.get(key), key).toMatch(/^[0-9a-f]{48}$/);
      expect(a.get(key), key).not.toBe(b.get(key));
    }
    const example = parseEnvFile(await readFile(path.join(repoRoot, '.env.example'), 'utf8'));
    expect([...a.keys()].sort()).toEqual([...example.keys()].sort());
    expect((await stat(first)).mode & 0o077).toBe(0);

    const before = await readFile(first, 'utf8');
    const again = await run('sh', ['scripts/init-env.sh', first]);
    expect(again.stderr).toContain('already exists');
    expect(await readFile(first, 'utf8')).toBe(before);
  });

  it('scripts/init-env.sh adds the settings an older .env lacks, keeping the values it has', async () => {
    const complete = await readFile(path.join(work, 'first.env'), 'utf8');
    const older = path.join(work, 'older.env');
    // A .env written before the voting services: no votes database, no Redis.
    const before = complete.replace(/^(VOTES_DB_USER|VOTES_DB_PASSWORD|REDIS_PASSWORD)=.*\n/gm, '');
    await writeFile(older, before, { mode: 0o600 });
    const added = await run('sh', ['scripts/init-env.sh', older]);
    expect(added.stderr).toContain('added VOTES_DB_USER VOTES_DB_PASSWORD REDIS_PASSWORD');
    const text = await readFile(older, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    const values = parseEnvFile(text);
    expect(values.get('VOTES_DB_USER')).toBe('votes');
    expect(values.get('REDIS_PASSWORD')).toMatch(/^[0-9a-f]{48}$/);
    expect(values.get('VOTES_DB_PASSWORD')).toMatch(/^[0-9a-f]{48}$/);
    expect(values.get('REDIS_PASSWORD')).not.toBe(parseEnvFile(complete).get('REDIS_PASSWORD'));
    const example = parseEnvFile(await readFile(path.join(repoRoot, '.env.example'), 'utf8'));
    expect([...values.keys()].sort()).toEqual([...example.keys()].sort());

    const again = await run('sh', ['scripts/init-env.sh', older]);
    expect(again.stderr).toContain('already exists; left unchanged');
    expect(await readFile(older, 'utf8')).toBe(text);
  });

  it('docker-compose.yml builds the version of package.json', async () => {
    const composeFile = await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
    const defaults = [...composeFile.matchAll(/\$\{SHIPSHAPE_VERSION:-([^}]+)\}/g)].map((match) => match[1]);
    expect(defaults.length).toBeGreaterThan(0);
    expect(new Set(defaults)).toEqual(new Set([stack.version]));
  });

  it.skipIf(!stack.available)('stops compose with a message naming each missing secret', async () => {
    const complete = await readFile(path.join(work, 'first.env'), 'utf8');
    const [command, ...prefix] = stack.compose;
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_USER$|_PASSWORD$/.test(key)));
    for (const key of secretKeys) {
      const envFile = path.join(work, `without-${key}.env`);
      await writeFile(envFile, complete.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=`));
      const result = await run(command!, [...prefix, '--env-file', envFile, 'config'], { env, allowFailure: true });
      expect(result.code, key).not.toBe(0);
      expect(result.stderr, key).toContain(`set ${key} in .env`);
    }
  });
});
