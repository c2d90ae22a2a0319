import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce } from '../src/coalesce.js';

describe('coalesce: at most one event per interval per client, always the latest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first value at once and what follows within the interval as one, the latest', async () => {
    const sent: number[] = [];
    const sender = coalesce((value: number) => sent.push(value), 100);
    sender.push(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1]);
    sender.push(2);
    sender.push(3);
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([1, 3]);
  });

  it('sends at once again when the interval has passed since the last event', async () => {
    const sent: number[] = [];
    const sender = coalesce((value: number) => sent.push(value), 100);
    sender.push(1);
    await vi.advanceTimersByTimeAsync(250);
    sender.push(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 2]);
  });

  it('never has more than one send under way: a slow client gets the newest value after it', async () => {
    const sent: number[] = [];
    let finish: (() => void) | undefined;
    const sender = coalesce((value: number) => {
      sent.push(value);
      return new Promise<void>((resolve) => (finish = resolve));
    }, 100);
    sender.push(1);
    await vi.advanceTimersByTimeAsync(500);
    for (let value = 2; value <= 50; value++) sender.push(value);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toEqual([1]);
    finish!();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1, 50]);
  });

  it('sends nothing once cancelled', async () => {
    const sent: number[] = [];
    const sender = coalesce((value: number) => sent.push(value), 100);
    sender.push(1);
    sender.push(2);
    sender.cancel();
    sender.push(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([]);
  });

  it('counts events over a burst: one per 100 ms, not one per change', async () => {
    const sent: number[] = [];
    const sender = coalesce((value: number) => sent.push(value), 100);
    for (let t = 0; t < 1_000; t += 5) {
      sender.push(t);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(11);
    expect(sent.at(-1)).toBe(995);
  });
});
