import { readFile } from 'node:fs/promises';
import path from 'node:path/posix';
import { cgroupDirectory, parseMountinfo, parseProcCgroup, type CgroupMount } from './paths.js';

/** Reads a file by its absolute path, or answers undefined when it is missing or unreadable. */
export type FileReader = (absolutePath: string) => Promise<string | undefined>;

/** The real files, or those under `root` (a folder of fixtures laid out as `/proc` and `/sys`). */
export function fileReader(root = '/'): FileReader {
  return async (absolutePath) => {
    try {
      return await readFile(path.join(root, absolutePath), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** What the kernel says of the process's cgroup; every figure in base units, null where it gives none. */
export interface CgroupView {
  cgroup: 'v1' | 'v2' | null;
  cpu: {
    /** The quota over the period (`cpu.max`, `cpu.cfs_quota_us` / `cpu.cfs_period_us`); null: no limit. */
    limitCores: number | null;
    /** v2 `cpu.weight` (1-10000, 100 by default), v1 `cpu.shares` (1024 by default), as given. */
    weight: number | null;
    /** CPU time used by the cgroup since it was made; two samples give the cores used in between. */
    usageSeconds: number | null;
    throttledPeriods: number | null;
    throttledSeconds: number | null;
  };
  memory: {
    limitBytes: number | null;
    /** v2 `memory.low`, v1 `memory.soft_limit_in_bytes`; null when none is set. */
    reservationBytes: number | null;
    usageBytes: number | null;
    peakBytes: number | null;
    oomKills: number | null;
  };
  pids: { limit: number | null; current: number | null };
}

// v1 writes "no limit" as the largest page-aligned counter (9223372036854771712 on 64-bit); any value
// this large is no limit, never a figure to show.
const NO_LIMIT_FROM = 2n ** 60n;

/** A non-negative integer file, with `max` (v2) and v1's huge sentinels as null. */
export function parseLimit(text: string | undefined): number | null {
  const value = text?.trim();
  if (value === undefined || value === '' || value === 'max') return null;
  if (!/^-?\d+$/.test(value)) return null;
  const big = BigInt(value);
  if (big < 0n || big >= NO_LIMIT_FROM) return null;
  return Number(big);
}

/** `key value` lines (`cpu.stat`, `memory.events`, `memory.oom_control`) as a map of numbers. */
export function parseKeyValues(text: string | undefined): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** `cpu.max`: `<quota> <period>` or `max <period>`. */
export function parseCpuMax(text: string | undefined): number | null {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return null;
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

const emptyView = (): CgroupView => ({
  cgroup: null,
  cpu: { limitCores: null, weight: null, usageSeconds: null, throttledPeriods: null, throttledSeconds: null },
  memory: { limitBytes: null, reservationBytes: null, usageBytes: null, peakBytes: null, oomKills: null },
  pids: { limit: null, current: null },
});

const orNull = (value: number | undefined) => (value === undefined ? null : value);

async function readV2(read: FileReader, dir: string): Promise<CgroupView> {
  const file = (name: string) => read(path.join(dir, name));
  const [cpuMax, weight, cpuStat, memoryMax, memoryLow, current, peak, events, pidsMax, pidsCurrent] =
    await Promise.all(
      [
        'cpu.max',
        'cpu.weight',
        'cpu.stat',
        'memory.max',
        'memory.low',
        'memory.current',
        'memory.peak',
        'memory.events',
        'pids.max',
        'pids.current',
      ].map(file),
    );
  const stat = parseKeyValues(cpuStat);
  const usage = stat.get('usage_usec');
  const throttled = stat.get('throttled_usec');
  const low = parseLimit(memoryLow);
  return {
    cgroup: 'v2',
    cpu: {
      limitCores: parseCpuMax(cpuMax),
      weight: parseLimit(weight),
      usageSeconds: usage === undefined ? null : usage / 1e6,
      throttledPeriods: orNull(stat.get('nr_throttled')),
      throttledSeconds: throttled === undefined ? null : throttled / 1e6,
    },
    memory: {
      limitBytes: parseLimit(memoryMax),
      // memory.low is 0 when no reservation is set.
      reservationBytes: low === 0 ? null : low,
      usageBytes: parseLimit(current),
      peakBytes: parseLimit(peak),
      oomKills: orNull(parseKeyValues(events).get('oom_kill')),
    },
    pids: { limit: parseLimit(pidsMax), current: parseLimit(pidsCurrent) },
  };
}

async function readV1(read: FileReader, dirs: Map<string, string>): Promise<CgroupView> {
  const file = (controller: string, name: string) => {
    const dir = dirs.get(controller);
    return dir === undefined ? Promise.resolve(undefined) : read(path.join(dir, name));
  };
  const [quota, period, shares, cpuStat, usage, limit, soft, used, peak, oom, pidsMax, pidsCurrent] = await Promise.all(
    [
      file('cpu', 'cpu.cfs_quota_us'),
      file('cpu', 'cpu.cfs_period_us'),
      file('cpu', 'cpu.shares'),
      file('cpu', 'cpu.stat'),
      file('cpuacct', 'cpuacct.usage'),
      file('memory', 'memory.limit_in_bytes'),
      file('memory', 'memory.soft_limit_in_bytes'),
      file('memory', 'memory.usage_in_bytes'),
      file('memory', 'memory.max_usage_in_bytes'),
      file('memory', 'memory.oom_control'),
      file('pids', 'pids.max'),
      file('pids', 'pids.current'),
    ],
  );
  const stat = parseKeyValues(cpuStat);
  const quotaUs = Number(quota?.trim());
  const periodUs = Number(period?.trim());
  const usageNs = parseLimit(usage);
  const throttledNs = stat.get('throttled_time');
  return {
    cgroup: 'v1',
    cpu: {
      // -1 is no quota.
      limitCores: quotaUs > 0 && periodUs > 0 ? quotaUs / periodUs : null,
      weight: parseLimit(shares),
      usageSeconds: usageNs === null ? null : usageNs / 1e9,
      throttledPeriods: orNull(stat.get('nr_throttled')),
      throttledSeconds: throttledNs === undefined ? null : throttledNs / 1e9,
    },
    memory: {
      limitBytes: parseLimit(limit),
      reservationBytes: parseLimit(soft),
      usageBytes: parseLimit(used),
      peakBytes: parseLimit(peak),
      // `oom_kill` is in memory.oom_control since Linux 4.13.
      oomKills: orNull(parseKeyValues(oom).get('oom_kill')),
    },
    pids: { limit: parseLimit(pidsMax), current: parseLimit(pidsCurrent) },
  };
}

/**
 * The process's own cgroup, found through `/proc/self/cgroup` and `/proc/self/mountinfo` (not fixed
 * paths: hierarchies are mounted where the system chose, and a process may sit in a nested group).
 * A hybrid system (v1 controllers beside an empty v2 hierarchy) is read as v1, where its limits are.
 */
export async function readCgroup(read: FileReader = fileReader()): Promise<CgroupView> {
  const [cgroupText, mountinfoText] = await Promise.all([read('/proc/self/cgroup'), read('/proc/self/mountinfo')]);
  if (cgroupText === undefined || mountinfoText === undefined) return emptyView();
  const own = parseProcCgroup(cgroupText);
  const mounts = parseMountinfo(mountinfoText);

  const v1Dirs = new Map<string, string>();
  for (const [controller, cgroupPath] of own.controllers) {
    const mount = mounts.find((m: CgroupMount) => m.version === 1 && m.controllers.includes(controller));
    if (mount) v1Dirs.set(controller, cgroupDirectory(mount, cgroupPath));
  }
  if (v1Dirs.has('memory') || v1Dirs.has('cpu')) return readV1(read, v1Dirs);

  const unifiedMount = mounts.find((m) => m.version === 2);
  if (unifiedMount && own.unified !== undefined) return readV2(read, cgroupDirectory(unifiedMount, own.unified));
  return emptyView();
}

/** Cores used between two samples of `usageSeconds` taken `elapsedMs` apart; null when either is unknown. */
export function coresUsed(earlier: number | null, later: number | null, elapsedMs: number): number | null {
  if (earlier === null || later === null || elapsedMs <= 0) return null;
  return Math.max(0, later - earlier) / (elapsedMs / 1000);
}
