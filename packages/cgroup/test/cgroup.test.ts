/**
 * The cgroup reader against fixture trees laid out as `/proc/self` and `/sys/fs/cgroup` are: both
 * versions, limits and "no limit", a nested path, a mount whose root is the container's own path.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cgroupDirectory,
  coresUsed,
  fileReader,
  parseCpuMax,
  parseLimit,
  parseMountinfo,
  parseProcCgroup,
  readCgroup,
} from '@shipshape/cgroup';

const fixture = (name: string) => fileReader(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)));

describe('readCgroup on fixtures', () => {
  it('v2 in a container: the limits docker set, throttling, OOM kills, pids', async () => {
    expect(await readCgroup(fixture('v2-docker'))).toEqual({
      cgroup: 'v2',
      cpu: { limitCores: 0.5, weight: 100, usageSeconds: 1.5, throttledPeriods: 12, throttledSeconds: 0.34 },
      memory: {
        limitBytes: 268435456,
        reservationBytes: 67108864,
        usageBytes: 50331648,
        peakBytes: 60000000,
        oomKills: 1,
      },
      pids: { limit: null, current: 7 },
    });
  });

  it('v2 on a host: a nested path, "max" as null, no reservation, a kernel without memory.peak', async () => {
    expect(await readCgroup(fixture('v2-nested-no-limits'))).toEqual({
      cgroup: 'v2',
      cpu: { limitCores: null, weight: 100, usageSeconds: 987.654321, throttledPeriods: 0, throttledSeconds: 0 },
      memory: { limitBytes: null, reservationBytes: null, usageBytes: 1234567890, peakBytes: null, oomKills: 0 },
      pids: { limit: null, current: 123 },
    });
  });

  it('v1 in a container whose mounts are rooted at its own path, cpu and cpuacct in one hierarchy', async () => {
    expect(await readCgroup(fixture('v1-docker'))).toEqual({
      cgroup: 'v1',
      cpu: { limitCores: 0.5, weight: 512, usageSeconds: 2.5, throttledPeriods: 20, throttledSeconds: 1.5 },
      memory: {
        limitBytes: 268435456,
        reservationBytes: 67108864,
        usageBytes: 52428800,
        peakBytes: 104857600,
        oomKills: 2,
      },
      pids: { limit: 100, current: 9 },
    });
  });

  it('v1 on a hybrid host: memory in a nested group, the 19-digit sentinels and -1 as no limit', async () => {
    expect(await readCgroup(fixture('v1-hybrid-nested-no-limits'))).toEqual({
      cgroup: 'v1',
      cpu: { limitCores: null, weight: 1024, usageSeconds: 123.456789012, throttledPeriods: 0, throttledSeconds: 0 },
      memory: { limitBytes: null, reservationBytes: null, usageBytes: 734003200, peakBytes: 900000000, oomKills: 0 },
      pids: { limit: null, current: 310 },
    });
  });

  it('answers null everywhere without cgroups (no /proc/self/cgroup)', async () => {
    const view = await readCgroup(fixture('does-not-exist'));
    expect(view.cgroup).toBeNull();
    expect(Object.values(view.cpu).every((value) => value === null)).toBe(true);
    expect(Object.values(view.memory).every((value) => value === null)).toBe(true);
  });

  it('reads this machine without failing, with no 19-digit figure', async () => {
    const view = await readCgroup();
    for (const group of [view.cpu, view.memory, view.pids]) {
      for (const value of Object.values(group)) if (value !== null) expect(value).toBeLessThan(2 ** 60);
    }
  });
});

describe('the parsers', () => {
  it('parseLimit: numbers, "max", sentinels, junk', () => {
    expect(parseLimit('268435456\n')).toBe(268435456);
    expect(parseLimit('max\n')).toBeNull();
    expect(parseLimit('9223372036854771712')).toBeNull();
    expect(parseLimit('-1')).toBeNull();
    expect(parseLimit('')).toBeNull();
    expect(parseLimit(undefined)).toBeNull();
    expect(parseLimit('12abc')).toBeNull();
  });

  it('parseCpuMax: quota over period, or null', () => {
    expect(parseCpuMax('150000 100000')).toBe(1.5);
    expect(parseCpuMax('max 100000')).toBeNull();
    expect(parseCpuMax(undefined)).toBeNull();
  });

  it('parseProcCgroup: the unified path, each v1 controller, named hierarchies left out', () => {
    const own = parseProcCgroup('4:cpu,cpuacct:/a\n1:name=systemd:/b\n0::/c\n');
    expect(own.unified).toBe('/c');
    expect([...own.controllers]).toEqual([
      ['cpu', '/a'],
      ['cpuacct', '/a'],
    ]);
  });

  it('parseMountinfo and cgroupDirectory: optional fields, escapes, roots', () => {
    const [mount] = parseMountinfo(
      '35 24 0:29 / /sys/fs/cgroup/my\\040dir rw,relatime shared:9 master:1 - cgroup cgroup rw,memory\n',
    );
    expect(mount).toEqual({ mountPoint: '/sys/fs/cgroup/my dir', root: '/', version: 1, controllers: ['memory'] });
    expect(cgroupDirectory(mount!, '/x/y')).toBe('/sys/fs/cgroup/my dir/x/y');
    expect(cgroupDirectory({ ...mount!, root: '/x/y' }, '/x/y')).toBe('/sys/fs/cgroup/my dir');
    // A path outside the mount's root (another namespace's) falls back to the mount point.
    expect(cgroupDirectory({ ...mount!, root: '/docker/1' }, '/')).toBe('/sys/fs/cgroup/my dir');
  });

  it('coresUsed: CPU seconds over wall time', () => {
    expect(coresUsed(10, 10.5, 1_000)).toBe(0.5);
    expect(coresUsed(null, 1, 1_000)).toBeNull();
    expect(coresUsed(1, 2, 0)).toBeNull();
  });
});
