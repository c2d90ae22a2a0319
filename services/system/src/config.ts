import { LOCAL_PORTS } from '@shipshape/contracts';
import { baseServiceConfig, env } from '@shipshape/platform';
import { z } from 'zod';

/** What system reads in every mode; it needs no connection, so it is also its process schema. */
export const systemConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.system),
  /** Hogs load the machine on request: off unless a deployment turns them on. */
  SYSTEM_HOGS_ENABLED: env.boolean(false),
  SYSTEM_HOG_MAX_WORKERS: env.positiveInt(4),
  SYSTEM_HOG_MAX_SECONDS: env.positiveInt(60),
  SYSTEM_HOG_MAX_MEGABYTES: env.positiveInt(1024),
});

export const systemProcessConfigSchema = systemConfigSchema;

export type SystemConfig = z.infer<typeof systemConfigSchema>;
