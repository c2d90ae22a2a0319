import { BILLING_QUEUE, LOCAL_PORTS } from '@shipshape/contracts';
import { postgresEnv } from '@shipshape/db';
import { baseServiceConfig, env } from '@shipshape/platform';
import { amqpEnv, DEFAULT_MAX_ATTEMPTS } from '@shipshape/queue';
import { z } from 'zod';

/** What billing reads in every mode (the embedded mode gives it its database and queue instead of URLs). */
export const billingConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.billing),
  /** Tests and side-by-side deployments use their own queue; everything else uses the contract's name. */
  BILLING_QUEUE: z.string().min(1).default(BILLING_QUEUE),
  /** Most orders held unacknowledged at once (bounds memory and how many a crash hands back). */
  BILLING_PREFETCH: env.positiveInt(200),
  /** Most orders stored per database transaction. */
  BILLING_BATCH_SIZE: env.positiveInt(100),
  /** How long a partial batch waits for more orders before it is stored. */
  BILLING_BATCH_WAIT_MS: env.nonNegativeInt(20),
  /** Most times an order the database refuses is tried before it is dead-lettered with the reason. */
  BILLING_MAX_ATTEMPTS: env.positiveInt(DEFAULT_MAX_ATTEMPTS),
});

/** Its environment as a process of its own (`main.ts`): the settings, its PostgreSQL and RabbitMQ. */
export const billingProcessConfigSchema = billingConfigSchema.extend(postgresEnv).extend(amqpEnv);

export type BillingConfig = z.infer<typeof billingConfigSchema>;
