import { env, type Logger } from '@shipshape/platform';
import { createAmqpQueue } from './amqpQueue.js';
import type { MessageQueue } from './messageQueue.js';

/** The variables of a service that talks to RabbitMQ (read by its config schema). */
export const amqpEnv = {
  AMQP_URL: env.url(['amqp', 'amqps']),
};

/**
 * The broker connection a service's `main.ts` opens from its config. It connects in the background
 * and reconnects by itself; until then publishes are refused and consumers wait.
 */
export function connectAmqp(config: { AMQP_URL: string; PUBLISH_TIMEOUT_MS?: number }, logger: Logger): MessageQueue {
  return createAmqpQueue({ url: config.AMQP_URL, logger, publishTimeoutMs: config.PUBLISH_TIMEOUT_MS });
}
