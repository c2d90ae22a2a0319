import { hostname } from 'node:os';
import { LOCAL_PORTS, voteOptionsEnv } from '@shipshape/contracts';
import { postgresEnv } from '@shipshape/db';
import { baseServiceConfig, env } from '@shipshape/platform';
import { redisEnv } from '@shipshape/votelog';
import { z } from 'zod';

/** What the worker reads in every mode (the embedded mode gives it its database and vote log). */
export const workerConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.worker),
  /** The poll's options: a vote for any other can never count, so it is dead-lettered. */
  ...voteOptionsEnv,
  /** Most votes read and stored per database transaction. */
  WORKER_BATCH_SIZE: env.positiveInt(500),
  /**
   * After a batch smaller than WORKER_BATCH_SIZE, how long the worker lets votes gather before it reads
   * again: fewer, larger transactions under load (docs/performance.md), at most this much later.
   */
  WORKER_BATCH_WAIT_MS: env.nonNegativeInt(20),
  /** How long a read waits for new votes when there are none. */
  WORKER_BLOCK_MS: env.positiveInt(1_000),
  /** A vote handed to a worker this long ago and not acknowledged is taken over (its worker died). */
  WORKER_CLAIM_IDLE_MS: env.positiveInt(10_000),
  /** How often the worker looks for such votes. */
  WORKER_CLAIM_INTERVAL_MS: env.positiveInt(2_000),
  /** Its name in the consumer group; unique per replica. */
  WORKER_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -')
    .default(`${hostname().slice(0, 48)}-${process.pid}`),
});

/** Its environment as a process of its own (`main.ts`): the settings, PostgreSQL and Redis. */
export const workerProcessConfigSchema = workerConfigSchema.extend(postgresEnv).extend(redisEnv);

export type WorkerConfig = z.infer<typeof workerConfigSchema>;
