import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backoffDelay, signalRegistry } from '../src/signal.js';
import { settlesWithin } from '../src/timeouts.js';

describe('signalRegistry', () => {
  it('gives one signal per owner and name, whose notify ends the waits on it only', async () => {
    const signalFor = signalRegistry<object>();
    const owner = {};
    expect(signalFor(owner, 'a')).toBe(signalFor(owner, 'a'));
    expect(signalFor(owner, 'a')).not.toBe(signalFor(owner, 'b'));
    expect(signalFor(owner, 'a')).not.toBe(signalFor({}, 'a'));
    const started = Date.now();
    const waited = signalFor(owner, 'a').wait(5_000);
    signalFor(owner, 'a').notify();
    await waited;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('backoffDelay', () => {
  it('doubles per failure from the base, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((failures) => backoffDelay(250, 5_000, failures))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });
});

describe('settlesWithin', () => {
  it('answers true for a promise that fulfils in time, false once the time is up, and rethrows a failure', async () => {
    expect(await settlesWithin(sleep(5), 1_000)).toBe(true);
    expect(await settlesWithin(new Promise(() => {}), 20)).toBe(false);
    await expect(settlesWithin(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });
});
