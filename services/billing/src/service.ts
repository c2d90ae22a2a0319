import { runMigrations, type Db } from '@shipshape/db';
import { closeInOrder, createServer, type Service, type ServiceDeps } from '@shipshape/platform';
import type { ConsumeOptions, Consumer, MessageQueue } from '@shipshape/queue';
import type { BillingConfig } from './config.js';
import { billingMigrations } from './migrations.js';
import { createOrderBatchHandler } from './orderConsumer.js';
import { createSqlOrdersRepository } from './ordersRepository.js';
import { registerOrderRoutes } from './routes.js';

export { billingConfigSchema, billingProcessConfigSchema, type BillingConfig } from './config.js';

/** The database and queue are given; whoever created them closes them, after `close()`. */
export type BillingDeps = ServiceDeps<BillingConfig, { db: Db; queue: MessageQueue }>;

/**
 * Billing: consumes orders from the billing queue, stores each once, and lists them over HTTP.
 * Migrations run here; consuming starts with `start()`.
 */
export async function createBillingService({ config, logger, db, queue }: BillingDeps): Promise<Service> {
  const consumeOptions: ConsumeOptions = {
    prefetch: config.BILLING_PREFETCH,
    maxBatchSize: config.BILLING_BATCH_SIZE,
    maxBatchWaitMs: config.BILLING_BATCH_WAIT_MS,
    maxAttempts: config.BILLING_MAX_ATTEMPTS,
  };
  await runMigrations(db, billingMigrations, logger);

  const orders = createSqlOrdersRepository(db);
  const app = createServer({
    service: 'billing',
    logger,
    config,
    readinessChecks: { database: () => db.ping(), queue: () => queue.check() },
  });
  registerOrderRoutes(app, orders);
  await app.ready();

  let consumer: Consumer | undefined;
  return {
    app,
    async start(port, host) {
      consumer ??= await queue.consume(
        config.BILLING_QUEUE,
        createOrderBatchHandler({ orders, logger }),
        consumeOptions,
      );
      logger.info({ queue: config.BILLING_QUEUE, ...consumeOptions }, 'consuming orders');
      return app.listen({ port, host });
    },
    // Stops taking requests and orders and finishes those under way; the queue and database stay open.
    close: () => closeInOrder([() => app.close(), async () => consumer?.stop()], logger),
  };
}
