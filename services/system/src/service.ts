import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { SystemConfig } from './config.js';

export { systemConfigSchema, systemProcessConfigSchema, type SystemConfig } from './config.js';

export type SystemDeps = ServiceDeps<SystemConfig>;

/** System: the container's own view of its OS and its limits (issue 12). */
export async function createSystemService({ config, logger }: SystemDeps): Promise<Service> {
  const app = createServer({ service: 'system', logger, config, readinessChecks: {} });
  await app.ready();
  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    close: () => app.close(),
  };
}
