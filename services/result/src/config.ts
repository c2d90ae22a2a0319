import { LOCAL_PORTS, voteOptionsEnv, voteQuestionEnv } from '@shipshape/contracts';
import { postgresEnv } from '@shipshape/db';
import { baseServiceConfig, env } from '@shipshape/platform';
import { z } from 'zod';

/** What result reads in every mode (the embedded mode gives it its database). */
export const resultConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.result),
  ...voteQuestionEnv,
  ...voteOptionsEnv,
  /** Shortest gap between two events to one client: changes in between are sent as one. */
  RESULTS_MIN_INTERVAL_MS: env.positiveInt(100),
  /** A comment line this often keeps proxies from closing a quiet stream. */
  RESULTS_HEARTBEAT_MS: env.positiveInt(15_000),
});

/** Its environment as a process of its own (`main.ts`): the settings and the votes database. */
export const resultProcessConfigSchema = resultConfigSchema.extend(postgresEnv);

export type ResultConfig = z.infer<typeof resultConfigSchema>;
