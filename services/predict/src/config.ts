import { fileURLToPath } from 'node:url';
import { LOCAL_PORTS } from '@shipshape/contracts';
import { baseServiceConfig } from '@shipshape/platform';
import { z } from 'zod';

/**
 * The service's own model/ folder, next to dist/: the same in the repository, the launcher (which
 * imports this workspace) and the image (/app/services/predict/model).
 */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../model', import.meta.url));

/** What predict reads in every mode; it needs no connection, so it is also its process schema. */
export const predictConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.predict),
  /** The folder holding model.json and card.json, as `npm run train -w services/predict` writes them. */
  PREDICT_MODEL_DIR: z.string().trim().min(1, 'must name a folder').default(DEFAULT_MODEL_DIR),
});

export const predictProcessConfigSchema = predictConfigSchema;

export type PredictConfig = z.infer<typeof predictConfigSchema>;
