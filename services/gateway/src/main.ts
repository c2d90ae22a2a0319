import { closeInOrder, createLogger, env, exitOnSignal, loadConfig } from '@shipshape/platform';
import { createAmqpQueue } from '@shipshape/queue';
import { gatewayConfigSchema } from './config.js';
import { createGatewayService } from './service.js';

// Run as its own process, the gateway publishes orders to RabbitMQ; the embedded mode passes its own queue.
const config = loadConfig(gatewayConfigSchema.extend({ AMQP_URL: env.url(['amqp', 'amqps']) }));
const logger = createLogger('gateway', config.LOG_LEVEL);
// Connects in the background and reconnects by itself; until then orders are answered 503.
const queue = createAmqpQueue({ url: config.AMQP_URL, logger, publishTimeoutMs: config.PUBLISH_TIMEOUT_MS });

try {
  const service = await createGatewayService({ config, queue, logger });
  // The gateway finishes its in-flight requests (and their publishes) before the queue closes.
  exitOnSignal(logger, config.SHUTDOWN_TIMEOUT_MS, () =>
    closeInOrder([() => service.close(), () => queue.close()], logger),
  );
  await service.start(config.PORT, config.HOST);
} catch (error) {
  logger.fatal({ err: error }, 'gateway failed to start');
  await queue.close().catch(() => {});
  process.exit(1);
}
