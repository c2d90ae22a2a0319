import { LOCAL_PORTS } from '@shipshape/contracts';
import { postgresEnv } from '@shipshape/db';
import { baseServiceConfig } from '@shipshape/platform';
import { z } from 'zod';

/** What the inventory reads in every mode (the embedded mode gives it its database instead of a URL). */
export const inventoryConfigSchema = z.object({
  ...baseServiceConfig(LOCAL_PORTS.inventory),
});

/** Its environment as a process of its own (`main.ts`): the settings and its PostgreSQL. */
export const inventoryProcessConfigSchema = inventoryConfigSchema.extend(postgresEnv);

export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
