/**
 * A durable point-to-point queue. RabbitMQ (amqp) and the embedded database queue implement it with
 * the same guarantees, checked by one contract test suite.
 */
export interface OutgoingMessage {
  /** Unique id; consumers use it to store each message once even when it is delivered twice. */
  id: string;
  body: Buffer;
  headers?: Record<string, string>;
}

export interface Delivery {
  id: string;
  body: Buffer;
  headers: Record<string, string>;
  /** True when the message may have been handed to a consumer before (after a crash or nack). */
  redelivered: boolean;
  /** How many earlier handlings of it answered `retry` (0 the first time); kept across restarts. */
  attempts: number;
}

/**
 * What the consumer decided for one delivery. `retry`: this message failed for a reason of its own
 * (the database refused it), so it is handed back later, and dead-lettered with `reason` once it has
 * been tried `maxAttempts` times; the rest of its batch is settled as usual.
 */
export type Outcome = { type: 'ack' } | { type: 'dead-letter'; reason: string } | { type: 'retry'; reason: string };

/**
 * Handles a batch and answers one outcome per delivery, in order, only after its effects are
 * committed. Throwing means "nothing was done": every delivery of the batch is delivered again.
 */
export type BatchHandler = (deliveries: Delivery[]) => Promise<Outcome[]>;

export interface ConsumeOptions {
  /** Most deliveries held unacknowledged at once. */
  prefetch: number;
  /** Most deliveries handed to one handler call. */
  maxBatchSize: number;
  /** How long a partial batch waits for more deliveries before it is handled. */
  maxBatchWaitMs: number;
  /** Most handlings of a delivery answered `retry` before it is dead-lettered; default `DEFAULT_MAX_ATTEMPTS`. */
  maxAttempts?: number;
}

/** Enough for a passing fault (a deadlock, a serialization failure) to clear, few enough to unblock soon. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The dead-letter reason of a delivery that answered `retry` on its last allowed attempt. */
export function exhaustedReason(reason: string, attempts: number): string {
  return `${reason} (tried ${attempts} times)`;
}

export interface Consumer {
  /** Stops taking deliveries and resolves once the batch in progress has been handled. */
  stop(): Promise<void>;
}

export interface DeadLetter {
  id: string;
  body: Buffer;
  reason: string;
}

export interface MessageQueue {
  /**
   * Resolves once the message is durable (broker confirm, or database commit); rejects with
   * `QueueUnavailableError` within a bounded time when that cannot be had.
   */
  publish(queue: string, message: OutgoingMessage): Promise<void>;
  consume(queue: string, handler: BatchHandler, options: ConsumeOptions): Promise<Consumer>;
  /** Reads (without removing) up to `limit` dead letters of `queue`, oldest first. */
  peekDeadLetters(queue: string, limit: number): Promise<DeadLetter[]>;
  /** Number of messages waiting in `queue` (not counting unacknowledged ones). */
  depth(queue: string): Promise<number>;
  /** Resolves when the queue can accept messages now; used by `/ready`. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export class QueueUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

export function deadLetterQueueName(queue: string): string {
  return `${queue}.dead-letter`;
}
