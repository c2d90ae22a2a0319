import { fileReader, readCgroup, type FileReader } from '@shipshape/cgroup';
import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { SystemConfig } from './config.js';
import { runCpuHog } from './cpuHog.js';
import { createHogs } from './hogs.js';
import { nodeHost, systemInfo, type HostProbe } from './info.js';
import { runMemoryHog, type MemoryHogOptions } from './memoryHog.js';
import { registerSystemMetrics } from './metrics.js';
import { registerSystemRoutes } from './routes.js';
import { createSampler } from './sampler.js';

export { systemConfigSchema, systemProcessConfigSchema, type SystemConfig } from './config.js';

export type SystemDeps = ServiceDeps<SystemConfig>;

/** What tests replace: where `/proc` and `/sys` are read, the host's figures, the sampling rhythm. */
export interface SystemOverrides {
  /** The cgroup and os-release files; a fixture tree in tests. */
  files?: FileReader;
  host?: HostProbe;
  intervalMs?: number;
  pairGapMs?: number;
  heartbeatMs?: number;
  memoryHog?: Omit<MemoryHogOptions, 'oomKills'>;
}

/** System: the container's own view of its OS and its limits, and hogs to watch them act (issue 12). */
export async function createSystemService(
  { config, logger }: SystemDeps,
  overrides: SystemOverrides = {},
): Promise<Service> {
  const files = overrides.files ?? fileReader();
  const read = () => readCgroup(files);
  const sampler = createSampler({
    read,
    intervalMs: overrides.intervalMs ?? 1_000,
    pairGapMs: overrides.pairGapMs ?? 250,
    onError: (error) => logger.warn({ err: error }, 'reading the cgroup failed'),
  });
  const hogs = createHogs({
    limits: config,
    logger,
    runners: {
      cpu: (request) => runCpuHog(request),
      memory: (request, onAllocated) =>
        runMemoryHog(request, onAllocated, {
          ...overrides.memoryHog,
          oomKills: async () => (await read()).memory.oomKills,
        }),
    },
  });

  const app = createServer({ service: 'system', logger, config, readinessChecks: {} });
  registerSystemMetrics(app.metrics.registry, sampler, hogs);
  // Hogs end before the server closes: a DELETE or the shutdown itself never leaves a thread or child.
  app.addHook('preClose', async () => {
    sampler.close();
    await hogs.close();
  });
  await registerSystemRoutes(app, {
    info: () =>
      systemInfo({
        host: overrides.host ?? nodeHost,
        readFile: files,
        container: sampler.current,
        hogs: hogs.settings,
      }),
    sampler,
    hogs,
    heartbeatMs: overrides.heartbeatMs ?? 15_000,
  });
  await app.ready();
  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    close: () => app.close(),
  };
}
