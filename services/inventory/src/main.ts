import { connectPostgres } from '@shipshape/db';
import { runService } from '@shipshape/platform';
import { inventoryProcessConfigSchema } from './config.js';
import { createInventoryService } from './service.js';

await runService({
  name: 'inventory',
  configSchema: inventoryProcessConfigSchema,
  connect: (config) => ({ db: connectPostgres(config, 'inventory', 'movies') }),
  create: createInventoryService,
});
