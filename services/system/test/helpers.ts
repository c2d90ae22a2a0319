/** What the system tests share: fixture cgroup trees, a fixed host, a service started on a free port. */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fileReader, type FileReader } from '@shipshape/cgroup';
import { createLogger, parseConfig, type Service } from '@shipshape/platform';
import { createSystemService, systemConfigSchema, type SystemOverrides } from '@shipshape/system';

export const logger = createLogger('system-test', 'silent');

/** A tree of @shipshape/cgroup's fixtures (laid out as /proc and /sys), with an os-release of its own. */
export function fixture(name: string): FileReader {
  const read = fileReader(fileURLToPath(new URL(`../../../packages/cgroup/test/fixtures/${name}`, import.meta.url)));
  return async (path) =>
    path === '/etc/os-release' ? 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' : read(path);
}

/** Counts the cgroup readings (one per read of /proc/self/cgroup) made through `read`. */
export function counting(read: FileReader): { read: FileReader; readings: () => number } {
  let readings = 0;
  return {
    read: async (path) => {
      if (path === '/proc/self/cgroup') readings++;
      return read(path);
    },
    readings: () => readings,
  };
}

export const fixedHost = {
  hostname: () => 'box',
  platform: () => 'linux',
  release: () => '6.1.0-test',
  arch: () => 'x64',
  uptime: () => 1000.5,
  processUptime: () => 12.25,
  nodeVersion: 'v22.0.0',
  availableParallelism: () => 2,
  cpuModel: () => 'Test CPU',
  loadavg: () => [0.5, 0.25, 0.125],
  totalmem: () => 8 * 2 ** 30,
  freemem: () => 2 ** 30,
  pid: 4242,
  uid: () => 1000,
  memoryUsage: () => ({ rss: 50_000_000, heapUsed: 10_000_000 }),
};

export async function startSystem(env: Record<string, string>, overrides: SystemOverrides = {}) {
  const config = parseConfig(systemConfigSchema, { METRICS_PORT: '0', LOG_LEVEL: 'silent', ...env });
  const service: Service = await createSystemService({ config, logger }, overrides);
  const url = await service.start(0, '127.0.0.1');
  return { service, url };
}

export async function json(url: string, method = 'GET', body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** The pids of this process's children running `script` (from /proc: no `ps` needed). */
export async function childrenRunning(script: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && cmdline.includes(script)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reads `GET /system/stream` into its `event: sample` data and its raw text. */
export async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/system/stream`, { signal: controller.signal });
  const samples: any[] = [];
  let text = '';
  const done = (async () => {
    try {
      for await (const chunk of response.body!) {
        text += Buffer.from(chunk as Uint8Array).toString();
        const blocks = text.split('\n\n').slice(0, -1);
        samples.length = 0;
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: sample') && data) samples.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return { response, samples, text: () => text, close: () => controller.abort(), done };
}
