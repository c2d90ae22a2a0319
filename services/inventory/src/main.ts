import { createPgDb } from '@shipshape/db';
import { createLogger, exitOnSignal, loadConfig } from '@shipshape/platform';
import { inventoryConfigSchema } from './config.js';
import { createInventoryService } from './service.js';

const config = loadConfig(inventoryConfigSchema);
const logger = createLogger('inventory', config.LOG_LEVEL);
const db = createPgDb({
  connectionString: config.DATABASE_URL,
  maxConnections: config.DATABASE_POOL_SIZE,
  applicationName: 'inventory',
});

try {
  const service = await createInventoryService({ db, logger });
  exitOnSignal(logger, config.SHUTDOWN_TIMEOUT_MS, () => service.close());
  const url = await service.start(config.PORT, config.HOST);
  logger.info({ url }, 'inventory listening');
} catch (error) {
  logger.fatal({ err: error }, 'inventory failed to start');
  await db.close().catch(() => {});
  process.exit(1);
}
