import { BILLING_QUEUE } from '@shipshape/contracts';
import { baseServiceConfig, env } from '@shipshape/platform';
import { z } from 'zod';

/** Everything billing reads from the environment, with the defaults of a local run. */
export const billingConfigSchema = z.object({
  ...baseServiceConfig(3002),
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  AMQP_URL: env.url(['amqp', 'amqps']),
  /** Tests and side-by-side deployments use their own queue; everything else uses the contract's name. */
  BILLING_QUEUE: z.string().min(1).default(BILLING_QUEUE),
  /** Most orders held unacknowledged at once (bounds memory and how many a crash hands back). */
  BILLING_PREFETCH: env.positiveInt(200),
  /** Most orders stored per database transaction. */
  BILLING_BATCH_SIZE: env.positiveInt(100),
  /** How long a partial batch waits for more orders before it is stored. */
  BILLING_BATCH_WAIT_MS: env.nonNegativeInt(20),
  DATABASE_POOL_SIZE: env.positiveInt(10),
});

export type BillingConfig = z.infer<typeof billingConfigSchema>;
