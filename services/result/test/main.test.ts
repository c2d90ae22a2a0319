/** The entry point as an operator runs it: what it needs is named at start. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runToExit } from '@shipshape/testkit';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('result entry point: configuration', () => {
  it('exits 1 naming DATABASE_URL when it is missing', async () => {
    const { code, output } = await runToExit(script, {});
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL/);
  });

  it('exits 1 naming a label over 60 characters and a bad interval', async () => {
    const { code, output } = await runToExit(script, {
      DATABASE_URL: 'postgres://127.0.0.1/votes',
      VOTE_OPTIONS: `a=Cats,b=${'x'.repeat(61)}`,
      RESULTS_MIN_INTERVAL_MS: '-5',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/VOTE_OPTIONS: option 2 \("b"\) has a label of 61 characters, at most 60 allowed/);
    expect(output).toMatch(/RESULTS_MIN_INTERVAL_MS/);
  });
});
