import type { SystemSample } from '@shipshape/contracts';
import { describe, expect, it } from 'vitest';
import { cpuGauge, formatBytes, fractionOfLimit, increases, levelOf, memoryGauge } from '../src/pages/system/gauges';

const MiB = 2 ** 20;

describe('fractionOfLimit', () => {
  it('is use over limit, unclamped', () => {
    expect(fractionOfLimit(0.25, 0.5)).toBe(0.5);
    expect(fractionOfLimit(300, 200)).toBe(1.5);
  });

  it('is null without a limit, without a use, or with a limit that is not positive', () => {
    expect(fractionOfLimit(1, null)).toBeNull();
    expect(fractionOfLimit(null, 2)).toBeNull();
    expect(fractionOfLimit(1, 0)).toBeNull();
  });
});

describe('cpuGauge', () => {
  it('measures against the limit when there is one', () => {
    const gauge = cpuGauge(0.4, 0.5, 8);
    expect(gauge.fraction).toBeCloseTo(0.8);
    expect(gauge.limited).toBe(true);
    expect(gauge.level).toBe('high');
    expect(gauge.text).toBe('0.40 of 0.50 cores');
    expect(gauge.limitText).toBe('limit 0.50 cores');
  });

  it('says "no limit" and measures against the host without one', () => {
    const gauge = cpuGauge(1, null, 4);
    expect(gauge.fraction).toBe(0.25);
    expect(gauge.limited).toBe(false);
    expect(gauge.limitText).toBe('no limit (host: 4 cores)');
  });

  it('clamps a use above the limit to a full gauge and leaves an unknown use unknown', () => {
    expect(cpuGauge(0.7, 0.5, 2)).toMatchObject({ fraction: 1, level: 'full' });
    expect(cpuGauge(null, 0.5, 2)).toMatchObject({ fraction: null, level: 'ok', text: '… of 0.50 cores' });
  });
});

describe('memoryGauge', () => {
  it('puts the reservation marker where the reservation sits on the limit', () => {
    const gauge = memoryGauge(128 * MiB, 256 * MiB, 64 * MiB, 8192 * MiB);
    expect(gauge.fraction).toBe(0.5);
    expect(gauge.reservation).toBe(0.25);
    expect(gauge.text).toBe('128 MiB of 256 MiB');
    expect(gauge.limitText).toBe('limit 256 MiB');
    expect(gauge.reservationText).toBe('reservation 64.0 MiB');
  });

  it('has no marker without a reservation or with the kernel’s 0', () => {
    expect(memoryGauge(1, 256 * MiB, null, 1024 * MiB).reservation).toBeNull();
    expect(memoryGauge(1, 256 * MiB, 0, 1024 * MiB)).toMatchObject({ reservation: null, reservationText: null });
  });

  it('without a limit measures against the host memory and says so', () => {
    const gauge = memoryGauge(512 * MiB, null, 256 * MiB, 2048 * MiB);
    expect(gauge.fraction).toBe(0.25);
    expect(gauge.reservation).toBe(0.125);
    expect(gauge.limited).toBe(false);
    expect(gauge.limitText).toBe('no limit (host: 2.0 GiB)');
  });

  it('draws a reservation above the limit at the end of the gauge', () => {
    expect(memoryGauge(1, 100 * MiB, 200 * MiB, 1000 * MiB).reservation).toBe(1);
  });
});

describe('levels and units', () => {
  it('turns high at 80 % and full at 95 %', () => {
    expect([0.79, 0.8, 0.949, 0.95, 1.2, null].map(levelOf)).toEqual(['ok', 'high', 'high', 'full', 'full', 'ok']);
  });

  it('writes bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * MiB)).toBe('300 MiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3.0 GiB');
  });
});

describe('increases', () => {
  const sample = (throttledPeriods: number | null, throttledSeconds: number | null, oomKills: number | null) =>
    ({
      at: '2026-01-01T00:00:00.000Z',
      cpu: { limitCores: 0.5, weight: null, usageCoresNow: 0.5, throttledPeriods, throttledSeconds },
      memory: { limitBytes: null, reservationBytes: null, usageBytes: 1, peakBytes: null, oomKills },
      hogs: [],
    }) satisfies SystemSample;

  it('reports what grew between two samples', () => {
    expect(increases(sample(10, 1, 0), sample(14, 1.5, 1))).toEqual({
      throttledPeriods: 4,
      throttledSeconds: 0.5,
      oomKills: 1,
    });
  });

  it('reports nothing for the first sample, for unknown counters or for counters that went back', () => {
    const none = { throttledPeriods: 0, throttledSeconds: 0, oomKills: 0 };
    expect(increases(null, sample(10, 1, 3))).toEqual(none);
    expect(increases(sample(null, null, null), sample(10, 1, 3))).toEqual(none);
    expect(increases(sample(10, 1, 3), sample(2, 0, 0))).toEqual(none);
  });
});
