export * from './messageQueue.js';
export { createAmqpQueue, type AmqpQueueOptions } from './amqpQueue.js';
export { createEmbeddedQueue, queueMigrations, type EmbeddedQueueOptions } from './embeddedQueue.js';
export { DEAD_LETTER_REASON_HEADER } from './shared.js';
