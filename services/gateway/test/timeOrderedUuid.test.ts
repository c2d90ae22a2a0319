import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from '../src/timeOrderedUuid.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecondsOf = (uuid: string) => parseInt(uuid.slice(0, 8) + uuid.slice(9, 13), 16);

describe('timeOrderedUuid', () => {
  it('makes RFC 9562 version 7 UUIDs that carry the time they were made', () => {
    const before = Date.now();
    const uuid = timeOrderedUuid();
    expect(uuid).toMatch(UUID_V7);
    expect(millisecondsOf(uuid)).toBeGreaterThanOrEqual(before);
    expect(millisecondsOf(uuid)).toBeLessThanOrEqual(Date.now());
    for (const time of [0, 1, 1_764_000_000_000, 2 ** 48 - 1]) {
      expect(timeOrderedUuid(time)).toMatch(UUID_V7);
      expect(millisecondsOf(timeOrderedUuid(time))).toBe(time);
    }
  });

  it('sorts ids of later milliseconds after those of earlier ones, as text', () => {
    const ids = [1_764_000_000_000, 1_764_000_000_001, 1_764_000_000_255, 1_764_000_000_256, 1_764_000_065_536].map(
      (time) => timeOrderedUuid(time),
    );
    expect([...ids].sort()).toEqual(ids);
  });

  it('never gives the same id twice, also within one millisecond', () => {
    const ids = Array.from({ length: 10_000 }, () => timeOrderedUuid(1_764_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
