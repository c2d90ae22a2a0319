/**
 * The system service in containers, where its limits are real: /api/system reports what
 * docker-compose.yml sets, a CPU hog is throttled at the quota, a memory hog over the limit is taken by
 * the kernel's OOM killer while the service lives on, and the image alone reports `docker run`'s limits.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getFreePort } from '@shipshape/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, containerId, docker, eventually, inspect, repoRoot, type ContainerState } from './docker.js';

const stack = inject('stack');

interface Limits {
  cpus: number;
  memoryBytes: number;
  reservationBytes: number;
  cpuShares: number;
}

/** docker's byte units (`256M`, `64m`, `1g`): powers of 1024. */
function bytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(text.trim());
  if (!match) throw new Error(`not a docker byte size: ${text}`);
  const power = ['b', 'k', 'm', 'g'].indexOf((match[2] || 'b').toLowerCase());
  return Number(match[1]) * 1024 ** power;
}

/**
 * The `system:` service's limits, read from docker-compose.yml as it is written (one-line flow maps:
 * `limits: { cpus: '0.5', memory: 256M }`), so that the test follows the file rather than repeating it.
 */
async function composeLimits(): Promise<Limits> {
  const text = await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  const block = /^ {2}system:\n((?: {4}.*\n|\s*\n)+)/m.exec(text)?.[1];
  if (!block) throw new Error('docker-compose.yml has no system service');
  const flow = (key: string) => {
    const body = new RegExp(`^\\s+${key}: \\{([^}]*)\\}`, 'm').exec(block)?.[1];
    if (!body) throw new Error(`the system service has no one-line ${key}`);
    return new Map(
      body
        .split(',')
        .map((pair) => pair.split(':').map((part) => part.trim().replace(/^'|'$/g, '')) as [string, string]),
    );
  };
  const limits = flow('limits');
  const reservations = flow('reservations');
  return {
    cpus: Number(limits.get('cpus')),
    memoryBytes: bytes(limits.get('memory')!),
    reservationBytes: bytes(reservations.get('memory')!),
    cpuShares: Number(/^\s+cpu_shares: (\d+)/m.exec(block)?.[1]),
  };
}

interface Info {
  container: {
    cgroup: string | null;
    cpu: Record<string, number | null>;
    memory: Record<string, number | null>;
    pids: Record<string, number | null>;
  };
  hogs: { enabled: boolean };
}
interface Hog {
  id: string;
  state: string;
  allocatedBytes?: number;
  error: string | null;
}

/** Samples of `/api/system/stream` as they come, until `stop()`. */
function collectSamples(url: string) {
  const controller = new AbortController();
  const samples: Array<{ at: string; cpu: Record<string, number | null>; hogs: Hog[] }> = [];
  const done = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    let text = '';
    try {
      for await (const chunk of response.body!) {
        text += Buffer.from(chunk as Uint8Array).toString();
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: sample') && data) samples.push(JSON.parse(data.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    samples,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.skipIf(!stack.available)('system: the container sees the limits compose sets, and they act', () => {
  let limits: Limits;
  let cgroupVersion: string;

  beforeAll(async () => {
    limits = await composeLimits();
    cgroupVersion = `v${(await docker(['info', '--format', '{{.CgroupVersion}}'])).stdout.trim()}`;
  });
  afterAll(async () => {
    await api(stack, 'DELETE', '/api/system/hogs').catch(() => {});
  });

  it('reports exactly the CPU and memory limits and the reservation of docker-compose.yml', async () => {
    const { status, body } = await api<Info>(stack, 'GET', '/api/system');
    expect(status).toBe(200);
    expect(body.container.cgroup).toBe(cgroupVersion);
    expect(body.container.cpu.limitCores).toBe(limits.cpus);
    expect(body.container.memory.limitBytes).toBe(limits.memoryBytes);
    expect(body.container.memory.reservationBytes).toBe(limits.reservationBytes);
    // v1 shows cpu.shares as set; v2 maps them onto cpu.weight's other scale.
    if (cgroupVersion === 'v1') expect(body.container.cpu.weight).toBe(limits.cpuShares);
    expect(body.container.memory.usageBytes).toBeGreaterThan(0);
    expect(body.container.memory.usageBytes).toBeLessThan(limits.memoryBytes);
    expect(body.hogs.enabled).toBe(true);
  });

  it('throttles a CPU hog of 2 workers at the quota: usage stays near the limit, throttled periods grow', async () => {
    const before = (await api<Info>(stack, 'GET', '/api/system')).body.container.cpu;
    const stream = collectSamples(`${stack.gatewayUrl}/api/system/stream`);
    let during: number[] = [];
    let after: Record<string, number | null>;
    try {
      await eventually('the stream to start', async () => (stream.samples.length > 0 ? true : undefined), 15_000);
      const hog = await api<Hog>(stack, 'POST', '/api/system/hogs/cpu', { workers: 2, seconds: 8 });
      expect(hog.status).toBe(202);
      await eventually(
        'the hog to finish',
        async () =>
          (await api<Hog[]>(stack, 'GET', '/api/system/hogs')).body.find(
            (h) => h.id === hog.body.id && h.state !== 'running',
          ),
        30_000,
      );
      // The seconds whose samples saw the hog running throughout: not the first, not the last.
      during = stream.samples
        .filter((sample) => sample.hogs.some((h) => h.id === hog.body.id && h.state === 'running'))
        .slice(1, -1)
        .map((sample) => sample.cpu.usageCoresNow!);
      after = (await api<Info>(stack, 'GET', '/api/system')).body.container.cpu;
    } finally {
      await stream.stop();
    }
    console.log(
      `system: CPU hog of 2 workers under cpus ${limits.cpus}: usageCoresNow ${during.map((c) => c.toFixed(3)).join(' ')}; ` +
        `throttledPeriods ${before.throttledPeriods} → ${after.throttledPeriods}, throttledSeconds ` +
        `${before.throttledSeconds?.toFixed(2)} → ${after.throttledSeconds?.toFixed(2)}`,
    );
    expect(during.length).toBeGreaterThanOrEqual(4);
    // Two busy threads would use 2 cores; the quota holds them at the limit.
    expect(median(during)).toBeGreaterThan(limits.cpus * 0.7);
    expect(median(during)).toBeLessThan(limits.cpus * 1.3);
    expect(after.throttledPeriods!).toBeGreaterThan(before.throttledPeriods! + 10);
    expect(after.throttledSeconds!).toBeGreaterThan(before.throttledSeconds!);
  });

  it('lets the kernel kill a memory hog over the limit, not the service: one more OOM kill, same container', async () => {
    const id = await containerId(stack, 'system');
    const [stateBefore] = await inspect<ContainerState & { State: { StartedAt: string } }>([id]);
    const before = (await api<Info>(stack, 'GET', '/api/system')).body.container.memory;
    const megabytes = Math.ceil((limits.memoryBytes * 1.5) / 2 ** 20);
    const hog = await api<Hog>(stack, 'POST', '/api/system/hogs/memory', { megabytes, seconds: 30 });
    expect(hog.status).toBe(202);
    const ended = await eventually(
      'the memory hog to end',
      async () =>
        (await api<Hog[]>(stack, 'GET', '/api/system/hogs')).body.find(
          (h) => h.id === hog.body.id && h.state !== 'running',
        ),
      40_000,
    );
    const after = (await api<Info>(stack, 'GET', '/api/system')).body.container.memory;
    console.log(
      `system: memory hog of ${megabytes} MiB under ${limits.memoryBytes} bytes: ${ended.state} at ` +
        `${ended.allocatedBytes} bytes touched; oomKills ${before.oomKills} → ${after.oomKills}; peak ${after.peakBytes}`,
    );
    expect(ended).toMatchObject({ state: 'killed: out of memory', error: null });
    expect(ended.allocatedBytes!).toBeLessThan(limits.memoryBytes);
    expect(after.oomKills).toBe(before.oomKills! + 1);

    expect((await api(stack, 'GET', '/api/system')).status).toBe(200);
    const [stateAfter] = await inspect<ContainerState & { State: { StartedAt: string } }>([id]);
    expect(stateAfter!.State.StartedAt).toBe(stateBefore!.State.StartedAt);
    expect(stateAfter!.RestartCount).toBe(stateBefore!.RestartCount);
    await eventually('the container healthy', async () => {
      const [state] = await inspect<ContainerState>([id]);
      return state!.State.Health?.Status === 'healthy' ? true : undefined;
    });
  });

  it('runs alone from its image, reporting the limits of docker run', async () => {
    const port = await getFreePort();
    const image = `shipshape/system:${stack.version}`;
    const { stdout } = await docker([
      'run',
      '--rm',
      '-d',
      '--cpus',
      '0.5',
      '--memory',
      '256m',
      '-p',
      `127.0.0.1:${port}:8080`,
      image,
    ]);
    const id = stdout.trim();
    try {
      const info = await eventually(
        'the lone container to answer',
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/system`, { signal: AbortSignal.timeout(5_000) });
          return response.ok ? ((await response.json()) as Info) : undefined;
        },
        60_000,
      );
      expect(info.container.cgroup).toBe(cgroupVersion);
      expect(info.container.cpu.limitCores).toBe(0.5);
      expect(info.container.memory.limitBytes).toBe(268435456);
      expect(info.container.memory.reservationBytes).toBeNull();
      // Off unless the deployment says so: docker run alone sets no SYSTEM_HOGS_ENABLED.
      expect(info.hogs.enabled).toBe(false);
    } finally {
      await docker(['rm', '--force', id], { allowFailure: true });
    }
  });
});
