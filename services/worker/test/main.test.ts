/** The entry point as an operator runs it: what it needs is named at start. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runToExit } from '@shipshape/testkit';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('worker entry point: configuration', () => {
  it('exits 1 naming DATABASE_URL and REDIS_URL when they are missing', async () => {
    const { code, output } = await runToExit(script, {});
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL/);
    expect(output).toMatch(/REDIS_URL/);
  });

  it('exits 1 naming every bad setting at once', async () => {
    const { code, output } = await runToExit(script, {
      DATABASE_URL: 'postgres://127.0.0.1/votes',
      REDIS_URL: 'http://127.0.0.1:6379',
      VOTE_OPTIONS: 'a=',
      WORKER_BATCH_SIZE: '0',
      WORKER_CONSUMER: 'has spaces',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/REDIS_URL: must be a URL starting with redis:\/\//);
    expect(output).toMatch(/VOTE_OPTIONS: option 1 "a=" has no label/);
    expect(output).toMatch(/WORKER_BATCH_SIZE/);
    expect(output).toMatch(/WORKER_CONSUMER: must be 1-64 characters/);
  });
});
