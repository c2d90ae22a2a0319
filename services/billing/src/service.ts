import { BILLING_QUEUE } from '@shipshape/contracts';
import type { Db } from '@shipshape/db';
import { closeInOrder, createServer, type Logger, type Service } from '@shipshape/platform';
import type { ConsumeOptions, Consumer, MessageQueue } from '@shipshape/queue';
import { createOrderBatchHandler } from './orderConsumer.js';
import { createSqlOrdersRepository, migrateBillingDatabase } from './ordersRepository.js';
import { registerOrderRoutes } from './routes.js';

export { billingConfigSchema, type BillingConfig } from './config.js';

export const defaultConsumeOptions: ConsumeOptions = { prefetch: 200, maxBatchSize: 100, maxBatchWaitMs: 20 };

export interface BillingDeps {
  db: Db;
  queue: MessageQueue;
  logger: Logger;
  /** Defaults to the contract's `billing_queue`. */
  queueName?: string;
  consume?: Partial<ConsumeOptions>;
  /**
   * Whether `close()` also closes `queue` and `db` (the default). The embedded mode, which shares them
   * between services, passes false and closes them itself after every service.
   */
  closeDependencies?: boolean;
}

/**
 * Billing: consumes orders from the billing queue, stores each once, and lists them over HTTP.
 * Migrations run here; consuming starts with `start()`.
 */
export async function createBillingService(deps: BillingDeps): Promise<Service> {
  const { db, queue, logger } = deps;
  const queueName = deps.queueName ?? BILLING_QUEUE;
  const consumeOptions: ConsumeOptions = { ...defaultConsumeOptions, ...deps.consume };

  const applied = await migrateBillingDatabase(db);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');

  const orders = createSqlOrdersRepository(db);
  const app = createServer({
    service: 'billing',
    logger,
    readinessChecks: { database: () => db.ping(), queue: () => queue.check() },
  });
  registerOrderRoutes(app, orders);
  await app.ready();

  let consumer: Consumer | undefined;

  return {
    app,
    async start(port, host) {
      consumer ??= await queue.consume(queueName, createOrderBatchHandler({ orders, logger }), consumeOptions);
      const url = await app.listen({ port, host });
      logger.info({ url, queue: queueName, ...consumeOptions }, 'billing listening and consuming');
      return url;
    },
    async close() {
      const closers = [() => app.close(), async () => consumer?.stop()];
      if (deps.closeDependencies ?? true)
        closers.push(
          () => queue.close(),
          () => db.close(),
        );
      await closeInOrder(closers, logger);
    },
  };
}
