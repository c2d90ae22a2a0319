import { HOG_KINDS } from '@shipshape/contracts';
import { Gauge, type Registry } from 'prom-client';
import type { Hogs } from './hogs.js';
import type { Sampler } from './sampler.js';

/**
 * The container's figures as gauges, read when scraped: the sampler's current sample (its last two
 * readings while a stream runs, else a fresh pair), so scraping needs no timer of its own.
 */
export function registerSystemMetrics(registry: Registry, sampler: Sampler, hogs: Hogs): void {
  const registers = [registry];
  const figure = (
    name: string,
    help: string,
    pick: (sample: Awaited<ReturnType<Sampler['current']>>) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const value = pick(await sampler.current());
        // A figure the kernel does not give is no sample, not a zero.
        if (value === null) this.reset();
        else this.set(value);
      },
    });
  figure(
    'system_cpu_usage_cores',
    'CPU cores the container used over the last sampling interval',
    (s) => s.container.cpu.usageCoresNow,
  );
  figure(
    'system_cpu_throttled_periods',
    'CFS periods in which the container was throttled, since it started',
    (s) => s.container.cpu.throttledPeriods,
  );
  figure(
    'system_memory_usage_bytes',
    'Memory the container uses, as its cgroup counts it',
    (s) => s.container.memory.usageBytes,
  );
  figure(
    'system_oom_kills',
    'Processes of the container the OOM killer ended, since it started',
    (s) => s.container.memory.oomKills,
  );
  new Gauge({
    name: 'system_stream_clients',
    help: 'Clients connected to the sample stream',
    registers,
    collect() {
      this.set(sampler.listeners);
    },
  });
  new Gauge({
    name: 'system_hogs_running',
    help: 'Hogs running now, by kind',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const kind of HOG_KINDS) this.set({ kind }, hogs.running(kind));
    },
  });
}
