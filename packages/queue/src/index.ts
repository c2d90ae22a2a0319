export * from './messageQueue.js';
export { createAmqpQueue, type AmqpQueueOptions } from './amqpQueue.js';
export { createEmbeddedQueue, type EmbeddedQueueOptions } from './embeddedQueue.js';
export { queueMigrations } from './migrations.js';
export { amqpEnv, connectAmqp } from './connect.js';
export { DEAD_LETTER_REASON_HEADER } from './shared.js';
