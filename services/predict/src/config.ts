import { LOCAL_PORTS } from '@shipshape/contracts';
import { baseServiceConfig } from '@shipshape/platform';
import { z } from 'zod';

/** What predict reads in every mode; it needs no connection, so it is also its process schema. */
export const predictConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.predict),
});

export const predictProcessConfigSchema = predictConfigSchema;

export type PredictConfig = z.infer<typeof predictConfigSchema>;
