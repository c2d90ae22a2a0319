import { createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import { Gauge } from 'prom-client';
import type { PredictConfig } from './config.js';
import { loadPredictor } from './model/predictor.js';
import { registerPredictRoutes } from './routes.js';

export { DEFAULT_MODEL_DIR, predictConfigSchema, predictProcessConfigSchema, type PredictConfig } from './config.js';

export type PredictDeps = ServiceDeps<PredictConfig>;

/**
 * The gateway's limit for the route (1 MiB), here too: a full batch of 1,000 instances is about 150 kB,
 * well over the platform's 64 KiB default.
 */
export const PREDICT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Predict: the model trained in the build (`npm run train`, the image's train stage), loaded once at
 * start from PREDICT_MODEL_DIR and served with its card (issue 12). No model, no start: it is never
 * trained here.
 */
export async function createPredictService({ config, logger }: PredictDeps): Promise<Service> {
  const predictor = await loadPredictor(config.PREDICT_MODEL_DIR);
  const app = createServer({
    service: 'predict',
    logger,
    config,
    bodyLimit: PREDICT_BODY_LIMIT_BYTES,
    readinessChecks: {},
  });
  const info = new Gauge({
    name: 'predict_model_info',
    help: 'The model served: 1, labelled with its version (the model file sha256 prefix) and name',
    labelNames: ['version', 'name'] as const,
    registers: [app.metrics.registry],
  });
  info.set({ version: predictor.modelVersion, name: predictor.card.name }, 1);
  registerPredictRoutes(app, predictor);
  await app.ready();
  logger.info(
    { model: predictor.card.name, version: predictor.modelVersion, accuracy: predictor.card.metrics.accuracy },
    'model loaded',
  );
  return {
    app,
    start: (port, host) => app.listen({ port, host }),
    close: () => app.close(),
  };
}
