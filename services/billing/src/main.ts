import { createPgDb } from '@shipshape/db';
import { closeInOrder, createLogger, exitOnSignal, loadConfig, type Service } from '@shipshape/platform';
import { createAmqpQueue } from '@shipshape/queue';
import { billingConfigSchema } from './config.js';
import { createBillingService } from './service.js';

const config = loadConfig(billingConfigSchema);
const logger = createLogger('billing', config.LOG_LEVEL);
const db = createPgDb({
  connectionString: config.DATABASE_URL,
  maxConnections: config.DATABASE_POOL_SIZE,
  applicationName: 'billing',
});
const queue = createAmqpQueue({ url: config.AMQP_URL, logger });
let service: Service | undefined;
try {
  service = await createBillingService({
    db,
    queue,
    logger,
    queueName: config.BILLING_QUEUE,
    consume: {
      prefetch: config.BILLING_PREFETCH,
      maxBatchSize: config.BILLING_BATCH_SIZE,
      maxBatchWaitMs: config.BILLING_BATCH_WAIT_MS,
    },
  });
  await service.start(config.PORT, config.HOST);
} catch (error) {
  // Typically the database is unreachable for the migrations; the orchestrator restarts us.
  logger.fatal({ err: error }, 'billing could not start');
  const close = service ? service.close : () => closeInOrder([() => queue.close(), () => db.close()]);
  await close().catch(() => {});
  process.exit(1);
}
exitOnSignal(logger, config.SHUTDOWN_TIMEOUT_MS, () => service.close());
