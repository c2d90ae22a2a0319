import os from 'node:os';
import type { FileReader } from '@shipshape/cgroup';
import type { HogSettings, SystemInfo } from '@shipshape/contracts';
import type { ContainerSample } from './sampler.js';

/** `PRETTY_NAME` of an os-release file (`KEY="value"` lines, quotes optional); null without one. */
export function prettyName(osRelease: string | undefined): string | null {
  for (const line of (osRelease ?? '').split('\n')) {
    const match = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (!match) continue;
    const value = match[1]!.trim().replace(/^(["'])(.*)\1$/, '$2');
    return value === '' ? null : value;
  }
  return null;
}

/** What the process sees of its host; node:os and process by default, fixed figures in tests. */
export interface HostProbe {
  hostname(): string;
  platform(): string;
  release(): string;
  arch(): string;
  uptime(): number;
  processUptime(): number;
  nodeVersion: string;
  /** The CPUs the process may run on (affinity and cpuset, not the quota: that is `limitCores`). */
  availableParallelism(): number;
  cpuModel(): string | null;
  loadavg(): number[];
  totalmem(): number;
  freemem(): number;
  pid: number;
  /** null where the platform has no user ids (Windows). */
  uid(): number | null;
  memoryUsage(): { rss: number; heapUsed: number };
}

export const nodeHost: HostProbe = {
  hostname: () => os.hostname(),
  platform: () => os.platform(),
  release: () => os.release(),
  arch: () => os.arch(),
  uptime: () => os.uptime(),
  processUptime: () => process.uptime(),
  nodeVersion: process.version,
  availableParallelism: () => os.availableParallelism(),
  cpuModel: () => os.cpus()[0]?.model.trim() || null,
  loadavg: () => os.loadavg(),
  totalmem: () => os.totalmem(),
  freemem: () => os.freemem(),
  pid: process.pid,
  uid: () => (typeof process.getuid === 'function' ? process.getuid() : null),
  memoryUsage: () => process.memoryUsage(),
};

export interface InfoSources {
  host: HostProbe;
  /** Reads `/etc/os-release` (the image's, in a container: its base, not the host's). */
  readFile: FileReader;
  container: () => Promise<ContainerSample>;
  hogs: HogSettings;
}

/** The body of `GET /system`. */
export async function systemInfo({ host, readFile, container, hogs }: InfoSources): Promise<SystemInfo> {
  const [osRelease, sample] = await Promise.all([readFile('/etc/os-release'), container()]);
  const [one = 0, five = 0, fifteen = 0] = host.loadavg();
  const memory = host.memoryUsage();
  return {
    hostname: host.hostname(),
    os: { name: prettyName(osRelease), platform: host.platform(), kernel: host.release(), arch: host.arch() },
    uptimeSeconds: { host: host.uptime(), process: host.processUptime() },
    node: host.nodeVersion,
    cpu: { count: host.availableParallelism(), model: host.cpuModel(), loadAverage: [one, five, fifteen] },
    memory: { totalBytes: host.totalmem(), freeBytes: host.freemem() },
    container: sample.container,
    process: { pid: host.pid, uid: host.uid(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    hogs,
  };
}
