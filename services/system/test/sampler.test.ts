/** The one sampler, on a clock of the test's own: exact cores, shared readings, nothing read when idle. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CgroupView } from '@shipshape/cgroup';
import { createSampler } from '../src/sampler.js';
import { prettyName } from '../src/info.js';

/** A cgroup whose CPU time grows by `coresBusy` × the time elapsed on the fake clock. */
function fakeCgroup(coresBusy: number) {
  const view = (usageSeconds: number): CgroupView => ({
    cgroup: 'v2',
    cpu: { limitCores: 0.5, weight: 100, usageSeconds, throttledPeriods: 3, throttledSeconds: 0.25 },
    memory: { limitBytes: 1000, reservationBytes: null, usageBytes: 500, peakBytes: 600, oomKills: 0 },
    pids: { limit: null, current: 4 },
  });
  let reads = 0;
  return {
    read: async () => {
      reads++;
      return view(10 + (Date.now() / 1000) * coresBusy);
    },
    reads: () => reads,
  };
}

describe('createSampler', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const sampler = (cgroup: ReturnType<typeof fakeCgroup>) =>
    createSampler({ read: cgroup.read, intervalMs: 1_000, pairGapMs: 250, monotonicMs: () => Date.now() });

  it('gives an on-demand sample from two readings a pair gap apart, the cores over that gap', async () => {
    const cgroup = fakeCgroup(0.5);
    const pending = sampler(cgroup).current();
    await vi.advanceTimersByTimeAsync(250);
    const sample = await pending;
    expect(sample.container.cpu).toEqual({
      limitCores: 0.5,
      weight: 100,
      usageCoresNow: 0.5,
      throttledPeriods: 3,
      throttledSeconds: 0.25,
    });
    expect(sample.container.memory.usageBytes).toBe(500);
    expect(cgroup.reads()).toBe(2);
  });

  it('shares one pair between concurrent callers', async () => {
    const cgroup = fakeCgroup(1);
    const s = sampler(cgroup);
    const both = Promise.all([s.current(), s.current(), s.current()]);
    await vi.advanceTimersByTimeAsync(250);
    expect((await both).map((sample) => sample.container.cpu.usageCoresNow)).toEqual([1, 1, 1]);
    expect(cgroup.reads()).toBe(2);
  });

  it('samples each interval while one listens, reuses those readings, and stops with the last listener', async () => {
    const cgroup = fakeCgroup(0.25);
    const s = sampler(cgroup);
    const first: number[] = [];
    const second: number[] = [];
    const leaveFirst = s.subscribe((sample) => first.push(sample.container.cpu.usageCoresNow!));
    await vi.advanceTimersByTimeAsync(250);
    expect(first).toEqual([0.25]); // at once, from the pair
    const leaveSecond = s.subscribe((sample) => second.push(sample.container.cpu.usageCoresNow!));
    expect(second).toEqual([0.25]); // the latest sample, to a client that joins
    await vi.advanceTimersByTimeAsync(3_000);
    expect(first).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(second).toEqual([0.25, 0.25, 0.25, 0.25]);
    // One timer for both: the pair, then one reading a second.
    expect(cgroup.reads()).toBe(5);
    // A GET while the stream runs uses its readings: no new one.
    expect((await s.current()).container.cpu.usageCoresNow).toBe(0.25);
    expect(cgroup.reads()).toBe(5);

    leaveFirst();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(cgroup.reads()).toBe(6);
    leaveSecond();
    expect(s.listeners).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(cgroup.reads()).toBe(6);
  });

  it('answers null cores without cgroup CPU time, and reads nothing after close', async () => {
    const s = createSampler({
      read: async () => ({
        cgroup: null,
        cpu: { limitCores: null, weight: null, usageSeconds: null, throttledPeriods: null, throttledSeconds: null },
        memory: { limitBytes: null, reservationBytes: null, usageBytes: null, peakBytes: null, oomKills: null },
        pids: { limit: null, current: null },
      }),
      intervalMs: 1_000,
      pairGapMs: 250,
    });
    const pending = s.current();
    await vi.advanceTimersByTimeAsync(250);
    expect((await pending).container.cpu.usageCoresNow).toBeNull();
    s.close();
    const seen: unknown[] = [];
    s.subscribe((sample) => seen.push(sample));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen).toEqual([]);
    expect(s.readings).toBe(2);
  });
});

describe('prettyName', () => {
  it('reads PRETTY_NAME quoted or not, and null without one', () => {
    expect(prettyName('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe(
      'Debian GNU/Linux 12 (bookworm)',
    );
    expect(prettyName("PRETTY_NAME='Alpine Linux v3.20'")).toBe('Alpine Linux v3.20');
    expect(prettyName('PRETTY_NAME=Arch')).toBe('Arch');
    expect(prettyName('NAME=x\n')).toBeNull();
    expect(prettyName(undefined)).toBeNull();
  });
});
