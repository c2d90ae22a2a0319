import { z } from 'zod';
import { baseServiceConfig, env } from '@shipshape/platform';

/** The inventory's environment, parsed once at start (see `main.ts`). */
export const inventoryConfigSchema = z.object({
  ...baseServiceConfig(3001),
  DATABASE_URL: env.url(['postgres', 'postgresql']),
  /** Connections the service keeps to PostgreSQL; each replica holds up to this many. */
  DATABASE_POOL_SIZE: env.positiveInt(10),
});

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
