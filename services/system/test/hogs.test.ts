/**
 * The hogs for real: worker threads that run and finish or are stopped, a child process that climbs,
 * a child killed from outside (an OOM kill or not, by the cgroup's count), and close() ending them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hogListSchema, hogSchema } from '@shipshape/contracts';
import type { Service } from '@shipshape/platform';
import { waitFor } from '@shipshape/testkit';
// The built module, whose child script sits beside it in dist.
import { runMemoryHog } from '../dist/memoryHog.js';
import { alive, childrenRunning, fixedHost, fixture, json, startSystem } from './helpers.js';

const enabled = { SYSTEM_HOGS_ENABLED: 'true' };
const overrides = { files: fixture('v2-docker'), host: fixedHost, memoryHog: { stepMegabytes: 4, stepMs: 100 } };
const running = async (service: Service, kind: string) =>
  Number(
    new RegExp(`system_hogs_running\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)`).exec(
      await service.app.metrics.registry.metrics(),
    )?.[1],
  );

describe('hogs on a running service', () => {
  let service: Service;
  let url: string;
  beforeAll(async () => {
    ({ service, url } = await startSystem(enabled, overrides));
  });
  afterAll(() => service?.close());

  it('runs a CPU hog for its seconds, then calls it finished', async () => {
    const started = await json(`${url}/system/hogs/cpu`, 'POST', { workers: 1, seconds: 1 });
    expect(started.status).toBe(202);
    const hog = hogSchema.parse(started.body);
    expect(hog).toMatchObject({ kind: 'cpu', state: 'running', workers: 1, endedAt: null, error: null });
    expect(Date.parse(hog.endsAt) - Date.parse(hog.startedAt)).toBe(1_000);
    expect(await running(service, 'cpu')).toBe(1);
    const ended = await waitFor(
      'the hog to finish',
      async () => (await json(`${url}/system/hogs`)).body.find((h: any) => h.id === hog.id && h.state !== 'running'),
      10_000,
    );
    expect(ended).toMatchObject({ state: 'finished', error: null });
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(Date.parse(hog.endsAt));
    expect(await running(service, 'cpu')).toBe(0);
  });

  it('stops every hog on DELETE and answers them, each stopped', async () => {
    const cpu = (await json(`${url}/system/hogs/cpu`, 'POST', { workers: 2, seconds: 30 })).body;
    const memory = (await json(`${url}/system/hogs/memory`, 'POST', { megabytes: 16, seconds: 30 })).body;
    await waitFor('the child', async () => (await childrenRunning('memoryChild.js')).length === 1, 5_000, 20);
    const [child] = await childrenRunning('memoryChild.js');

    const answer = await json(`${url}/system/hogs`, 'DELETE');
    expect(answer.status).toBe(200);
    const list = hogListSchema.parse(answer.body);
    for (const id of [cpu.id, memory.id]) {
      expect(list.find((hog) => hog.id === id)).toMatchObject({ state: 'stopped', error: null });
      expect(list.find((hog) => hog.id === id)!.endedAt).not.toBeNull();
    }
    expect(alive(child!)).toBe(false);
    expect(await running(service, 'cpu')).toBe(0);
    expect(await running(service, 'memory')).toBe(0);
  });

  it('shows a memory hog climbing, step by step, to its target', async () => {
    const hog = (await json(`${url}/system/hogs/memory`, 'POST', { megabytes: 24, seconds: 30 })).body;
    expect(hog).toMatchObject({ kind: 'memory', state: 'running', megabytes: 24, allocatedBytes: 0 });
    const seen = new Set<number>();
    await waitFor(
      'the target',
      async () => {
        const now = (await json(`${url}/system/hogs`)).body.find((h: any) => h.id === hog.id);
        seen.add(now.allocatedBytes);
        return now.allocatedBytes === 24 * 2 ** 20;
      },
      10_000,
      20,
    );
    // Climbed through steps of 4 MiB, not in one jump.
    const steps = [...seen].filter((bytes) => bytes > 0 && bytes < 24 * 2 ** 20);
    expect(steps.length).toBeGreaterThan(0);
    for (const bytes of steps) expect(bytes % (4 * 2 ** 20)).toBe(0);
    await json(`${url}/system/hogs`, 'DELETE');
  });

  it('calls a child killed from outside, with no OOM kill counted, failed, and goes on', async () => {
    const hog = (await json(`${url}/system/hogs/memory`, 'POST', { megabytes: 8, seconds: 30 })).body;
    const child = await waitFor('the child', async () => (await childrenRunning('memoryChild.js'))[0], 5_000, 20);
    process.kill(child, 'SIGKILL');
    const ended = await waitFor(
      'the hog to end',
      async () => (await json(`${url}/system/hogs`)).body.find((h: any) => h.id === hog.id && h.state !== 'running'),
      5_000,
      20,
    );
    expect(ended).toMatchObject({
      state: 'failed',
      error: 'the child was killed (SIGKILL), and the cgroup counts no new OOM kill',
    });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});

describe('runMemoryHog', () => {
  it('calls a SIGKILL while the OOM kill count grew "killed: out of memory"', async () => {
    let oomKills = 3;
    const run = runMemoryHog({ megabytes: 8, seconds: 30 }, () => {}, { oomKills: async () => oomKills });
    const child = await waitFor('the child', async () => (await childrenRunning('memoryChild.js'))[0], 5_000, 20);
    // What the kernel does at the limit: counts the kill, then the child dies by SIGKILL.
    await new Promise((resolve) => setTimeout(resolve, 100));
    oomKills = 4;
    process.kill(child, 'SIGKILL');
    expect(await run.ended).toEqual({ state: 'killed: out of memory' });
  });

  it('calls a child that exits by itself at its end time finished', async () => {
    const bytes: number[] = [];
    const run = runMemoryHog({ megabytes: 4, seconds: 0.5 }, (b) => bytes.push(b), {
      oomKills: async () => 0,
      stepMegabytes: 2,
      stepMs: 50,
    });
    expect(await run.ended).toEqual({ state: 'finished' });
    expect(bytes).toEqual([2 * 2 ** 20, 4 * 2 ** 20]);
  });

  it('calls a script that cannot run failed, with the reason', async () => {
    const run = runMemoryHog({ megabytes: 4, seconds: 1 }, () => {}, {
      oomKills: async () => 0,
      script: new URL('./no-such-script.js', import.meta.url),
    });
    const end = await run.ended;
    expect(end.state).toBe('failed');
    expect(end.state === 'failed' && end.error).toMatch(/^the child exited with code 1: .*no-such-script/s);
  });
});

describe('close()', () => {
  it('stops every hog: no worker left running, no child left alive', async () => {
    const { service, url } = await startSystem(enabled, overrides);
    await json(`${url}/system/hogs/cpu`, 'POST', { workers: 2, seconds: 60 });
    await json(`${url}/system/hogs/memory`, 'POST', { megabytes: 8, seconds: 60 });
    const child = await waitFor('the child', async () => (await childrenRunning('memoryChild.js'))[0], 5_000, 20);
    await service.close();
    expect(alive(child)).toBe(false);
    expect(await childrenRunning('memoryChild.js')).toEqual([]);
    expect(await running(service, 'cpu')).toBe(0);
  });
});
