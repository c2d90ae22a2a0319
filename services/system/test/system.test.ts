/**
 * The system service over HTTP with fixture cgroup trees (v1 and v2, limits and none, a nested path)
 * and a fixed host: exact bodies, the stream and its one sampler, and the hogs' 403 and 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemInfoSchema, systemSampleSchema } from '@shipshape/contracts';
import type { Service } from '@shipshape/platform';
import { waitFor } from '@shipshape/testkit';
import { counting, fixedHost, fixture, json, openStream, startSystem } from './helpers.js';

const host = {
  hostname: 'box',
  os: { name: 'Debian GNU/Linux 12 (bookworm)', platform: 'linux', kernel: '6.1.0-test', arch: 'x64' },
  uptimeSeconds: { host: 1000.5, process: 12.25 },
  node: 'v22.0.0',
  cpu: { count: 2, model: 'Test CPU', loadAverage: [0.5, 0.25, 0.125] },
  memory: { totalBytes: 8 * 2 ** 30, freeBytes: 2 ** 30 },
  process: { pid: 4242, uid: 1000, rssBytes: 50_000_000, heapUsedBytes: 10_000_000 },
};
const hogsOff = {
  enabled: false,
  reason: 'Hogs are off: set SYSTEM_HOGS_ENABLED=true to allow them',
  maxWorkers: 4,
  maxSeconds: 60,
  maxMegabytes: 1024,
};
// The fixtures do not change between the two readings of a GET: no CPU time used, 0 cores.
const containers = {
  'v1-docker': {
    cgroup: 'v1',
    cpu: { limitCores: 0.5, weight: 512, usageCoresNow: 0, throttledPeriods: 20, throttledSeconds: 1.5 },
    memory: {
      limitBytes: 268435456,
      reservationBytes: 67108864,
      usageBytes: 52428800,
      peakBytes: 104857600,
      oomKills: 2,
    },
    pids: { limit: 100, current: 9 },
  },
  'v1-hybrid-nested-no-limits': {
    cgroup: 'v1',
    cpu: { limitCores: null, weight: 1024, usageCoresNow: 0, throttledPeriods: 0, throttledSeconds: 0 },
    memory: { limitBytes: null, reservationBytes: null, usageBytes: 734003200, peakBytes: 900000000, oomKills: 0 },
    pids: { limit: null, current: 310 },
  },
  'v2-docker': {
    cgroup: 'v2',
    cpu: { limitCores: 0.5, weight: 100, usageCoresNow: 0, throttledPeriods: 12, throttledSeconds: 0.34 },
    memory: {
      limitBytes: 268435456,
      reservationBytes: 67108864,
      usageBytes: 50331648,
      peakBytes: 60000000,
      oomKills: 1,
    },
    pids: { limit: null, current: 7 },
  },
  'v2-nested-no-limits': {
    cgroup: 'v2',
    cpu: { limitCores: null, weight: 100, usageCoresNow: 0, throttledPeriods: 0, throttledSeconds: 0 },
    memory: { limitBytes: null, reservationBytes: null, usageBytes: 1234567890, peakBytes: null, oomKills: 0 },
    pids: { limit: null, current: 123 },
  },
  // No /proc/self/cgroup: outside a container, or no cgroups at all.
  'does-not-exist': {
    cgroup: null,
    cpu: { limitCores: null, weight: null, usageCoresNow: null, throttledPeriods: null, throttledSeconds: null },
    memory: { limitBytes: null, reservationBytes: null, usageBytes: null, peakBytes: null, oomKills: null },
    pids: { limit: null, current: null },
  },
} as const;

describe.each(Object.entries(containers))('GET /system on the %s tree', (name, container) => {
  let service: Service;
  let url: string;
  beforeAll(async () => {
    ({ service, url } = await startSystem({}, { files: fixture(name), host: fixedHost, pairGapMs: 20 }));
  });
  afterAll(() => service?.close());

  it('answers exactly what the files say, in the shape of the contract', async () => {
    const answer = await json(`${url}/system`);
    expect(answer.status).toBe(200);
    expect(systemInfoSchema.parse(answer.body)).toEqual({ ...host, container, hogs: hogsOff });
  });
});

describe('GET /system/stream', () => {
  const files = counting(fixture('v2-docker'));
  let service: Service;
  let url: string;
  beforeAll(async () => {
    ({ service, url } = await startSystem(
      {},
      { files: files.read, host: fixedHost, intervalMs: 200, pairGapMs: 20, heartbeatMs: 100 },
    ));
  });
  afterAll(() => service?.close());

  it('sends a sample at once, then one an interval, with heartbeats and no buffering', async () => {
    const stream = await openStream(url);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      await waitFor('the first sample', async () => stream.samples.length >= 1, 5_000, 10);
      const first = systemSampleSchema.parse(stream.samples[0]);
      expect(first).toEqual({
        at: first.at,
        cpu: containers['v2-docker'].cpu,
        memory: containers['v2-docker'].memory,
        hogs: [],
      });
      await waitFor('three more samples', async () => stream.samples.length >= 4, 5_000, 10);
      await waitFor('a heartbeat', async () => stream.text().includes(': heartbeat'), 5_000, 10);
      const times = stream.samples.map((sample) => Date.parse(sample.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    } finally {
      stream.close();
    }
  });

  it('shares one sampler between clients and reads nothing once the last one has gone', async () => {
    const idleBefore = files.readings();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(files.readings()).toBe(idleBefore);

    const streams = await Promise.all([openStream(url), openStream(url), openStream(url)]);
    await waitFor('every client sampled 4 times', async () => streams.every((s) => s.samples.length >= 4), 5_000, 10);
    const whileListening = files.readings() - idleBefore;
    // Three clients, one timer: about one reading an interval in all (plus the first pair), not three.
    const longest = Math.max(...streams.map((s) => s.samples.length));
    expect(whileListening).toBeLessThanOrEqual(longest + 3);

    for (const stream of streams) stream.close();
    await waitFor('no client left', async () => (await clients(service)) === 0, 2_000, 10);
    const after = files.readings();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(files.readings()).toBe(after);
  });

  it('refuses a client that does not accept an event stream, in the standard shape', async () => {
    const answer = await fetch(`${url}/system/stream`, { headers: { accept: 'application/json' } });
    expect(answer.status).toBe(406);
    expect(await answer.json()).toEqual({
      error: 'This stream is text/event-stream; the Accept header refuses it',
      details: [{ path: 'headers.accept', message: 'must admit text/event-stream' }],
    });
  });
});

/** Stream clients, as the service's metrics count them. */
async function clients(service: Service): Promise<number> {
  return Number(/system_stream_clients\{[^}]*\} (\d+)/.exec(await service.app.metrics.registry.metrics())?.[1]);
}

describe('hogs while they are off', () => {
  let service: Service;
  let url: string;
  beforeAll(async () => {
    ({ service, url } = await startSystem({}, { files: fixture('v2-docker'), host: fixedHost }));
  });
  afterAll(() => service?.close());

  it('answers 403 naming SYSTEM_HOGS_ENABLED, for a good body and a bad one alike', async () => {
    for (const [path, body] of [
      ['cpu', { workers: 1, seconds: 1 }],
      ['memory', { megabytes: 8, seconds: 1 }],
      ['cpu', { workers: 'all' }],
    ] as const) {
      const answer = await json(`${url}/system/hogs/${path}`, 'POST', body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(403);
      expect(answer.body).toEqual({ error: 'Hogs are off: set SYSTEM_HOGS_ENABLED=true to allow them', details: [] });
    }
    expect((await json(`${url}/system/hogs`)).body).toEqual([]);
    expect((await json(`${url}/system/hogs`, 'DELETE')).body).toEqual([]);
  });
});

describe('hog requests that do not fit', () => {
  let service: Service;
  let url: string;
  beforeAll(async () => {
    ({ service, url } = await startSystem(
      {
        SYSTEM_HOGS_ENABLED: 'true',
        SYSTEM_HOG_MAX_WORKERS: '3',
        SYSTEM_HOG_MAX_SECONDS: '20',
        SYSTEM_HOG_MAX_MEGABYTES: '64',
      },
      { files: fixture('v2-docker'), host: fixedHost },
    ));
  });
  afterAll(() => service?.close());

  const cases: Array<[string, unknown, string[]]> = [
    ['cpu', {}, ['body.workers', 'body.seconds']],
    ['cpu', { workers: 0, seconds: 1 }, ['body.workers']],
    ['cpu', { workers: 1.5, seconds: 1 }, ['body.workers']],
    ['cpu', { workers: '2', seconds: 1 }, ['body.workers']],
    ['cpu', { workers: 1, seconds: -1 }, ['body.seconds']],
    ['cpu', { workers: 1, seconds: 1, threads: 2 }, ['body.threads']],
    ['cpu', [1, 1], ['body']],
    ['memory', {}, ['body.megabytes', 'body.seconds']],
    ['memory', { megabytes: 0, seconds: 1 }, ['body.megabytes']],
    ['memory', { megabytes: 8, seconds: 0 }, ['body.seconds']],
    ['memory', { megabytes: 8, seconds: 1, fill: 1 }, ['body.fill']],
  ];
  it.each(cases)('POST /system/hogs/%s %j → 400 naming %j', async (kind, body, paths) => {
    const answer = await json(`${url}/system/hogs/${kind}`, 'POST', body);
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((detail: { path: string }) => detail.path)).toEqual(paths);
    expect(answer.body.error).toMatch(/^Invalid request: /);
  });

  it('names the bound a request goes over, and the variable that sets it', async () => {
    expect((await json(`${url}/system/hogs/cpu`, 'POST', { workers: 4, seconds: 21 })).body).toEqual({
      error:
        'Invalid request: body.workers: at most 3 (SYSTEM_HOG_MAX_WORKERS); body.seconds: at most 20 (SYSTEM_HOG_MAX_SECONDS)',
      details: [
        { path: 'body.workers', message: 'at most 3 (SYSTEM_HOG_MAX_WORKERS)' },
        { path: 'body.seconds', message: 'at most 20 (SYSTEM_HOG_MAX_SECONDS)' },
      ],
    });
    expect((await json(`${url}/system/hogs/memory`, 'POST', { megabytes: 65, seconds: 1 })).body).toEqual({
      error: 'Invalid request: body.megabytes: at most 64 (SYSTEM_HOG_MAX_MEGABYTES)',
      details: [{ path: 'body.megabytes', message: 'at most 64 (SYSTEM_HOG_MAX_MEGABYTES)' }],
    });
    expect((await json(`${url}/system/hogs`)).body).toEqual([]);
  });

  it('counts the workers already running against the bound', async () => {
    const first = await json(`${url}/system/hogs/cpu`, 'POST', { workers: 2, seconds: 20 });
    expect(first.status).toBe(202);
    try {
      const second = await json(`${url}/system/hogs/cpu`, 'POST', { workers: 2, seconds: 1 });
      expect(second.status).toBe(400);
      expect(second.body.details).toEqual([
        { path: 'body.workers', message: 'at most 1 more while 2 run (SYSTEM_HOG_MAX_WORKERS is 3)' },
      ]);
    } finally {
      await json(`${url}/system/hogs`, 'DELETE');
    }
  });
});
