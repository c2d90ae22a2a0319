import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { PredictConfig } from './config.js';

export { predictConfigSchema, predictProcessConfigSchema, type PredictConfig } from './config.js';

export type PredictDeps = ServiceDeps<PredictConfig>;

/** Predict: a model trained in the build, served with its card (issue 12). */
export async function createPredictService({ config, logger }: PredictDeps): Promise<Service> {
  const app = createServer({ service: 'predict', logger, config, readinessChecks: {} });
  await app.ready();
  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    close: () => app.close(),
  };
}
