import type { Socket } from 'node:net';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import {
  backoffDelay,
  createBatcher,
  messageOf,
  redactUrl,
  settlesWithin,
  Signal,
  withTimeout,
  type Logger,
} from '@shipshape/platform';
import {
  DEFAULT_MAX_ATTEMPTS,
  exhaustedReason,
  QueueUnavailableError,
  deadLetterQueueName,
  type BatchHandler,
  type ConsumeOptions,
  type Consumer,
  type DeadLetter,
  type Delivery,
  type MessageQueue,
  type OutgoingMessage,
  type Outcome,
} from './messageQueue.js';
import { ATTEMPTS_HEADER, DEAD_LETTER_REASON_HEADER } from './shared.js';

export interface AmqpQueueOptions {
  url: string;
  logger: Logger;
  /** Longest a publish waits (for the connection, then the broker's confirm) before it rejects. */
  publishTimeoutMs?: number;
  /** First wait before reconnecting after the connection is lost; doubles per failed attempt. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** First wait before a batch whose handler threw is handed back to the broker; doubles while it keeps failing. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Heartbeat proposed to the broker when the URL names none, so a silently dead peer is noticed. */
  heartbeatSeconds?: number;
  connectTimeoutMs?: number;
  /** Longest `check()` waits for the broker to confirm its probe before it says the queue is down. */
  checkTimeoutMs?: number;
  /**
   * Longest a consumer's `stop()` or `close()` waits for each answer of a broker that stopped answering
   * (a partition); past it the connection is abandoned (its socket destroyed) with a warning.
   */
  closeTimeoutMs?: number;
}

/**
 * Every queue is durable and a classic queue of storage version 2 (RabbitMQ 3.10 and later; the only
 * one from 4.0), which confirms a persistent message sooner and for less broker CPU
 * (docs/decisions/0002-classic-queue-version-2.md).
 */
const QUEUE_OPTIONS = { durable: true, arguments: { 'x-queue-version': 2 } };
/** The AMQP reply code of a declaration whose arguments differ from those of the existing queue. */
const PRECONDITION_FAILED = 406;
/**
 * Where `check()` sends its probe: the default exchange routes it nowhere, since no client may declare a
 * queue named `amq.…`, and the broker confirms an unroutable message as soon as it has seen it.
 */
const PROBE_ROUTING_KEY = 'amq.shipshape.readiness-probe';
const EMPTY = Buffer.alloc(0);

/** One live connection with its publishing channel; replaced wholesale after a reconnect. */
interface Link {
  model: ChannelModel;
  publisher: ConfirmChannel;
  /** Queues declared on this connection, so each is asserted once rather than per publish. */
  declared: Map<string, Promise<void>>;
  /** Gathers the frames of the publishes made in one event-loop turn into one write; see `batchWrites`. */
  holdWritesForThisTurn: () => void;
}

/** A delivery with the channel it came on: only that channel can settle it. */
interface Entry {
  channel: Channel;
  message: ConsumeMessage;
}

interface AmqpConsumer extends Consumer {
  attach(link: Link): Promise<void>;
  detach(): void;
}

/**
 * The RabbitMQ adapter: durable queues, persistent messages, publisher confirms, manual acks after the
 * handler's outcomes, and a connection that re-establishes itself (and its consumers) with backoff.
 */
export function createAmqpQueue(options: AmqpQueueOptions): MessageQueue {
  const logger = options.logger.child({ component: 'amqp' });
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 500;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  const checkTimeoutMs = options.checkTimeoutMs ?? 1_500;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  const connectUrl = withHeartbeat(options.url, options.heartbeatSeconds ?? 15);
  const safeUrl = redactUrl(options.url);

  let link: Link | undefined;
  let connecting: Promise<Link> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;
  let closed = false;
  // True from a publish the broker did not confirm in time (or refused) until it next confirms one:
  // a partitioned broker keeps its connection open for as long as two heartbeats, and must not look up.
  let confirmsFailing = false;
  const consumers = new Set<AmqpConsumer>();

  async function open(): Promise<Link> {
    const model = await amqp.connect(connectUrl, { timeout: options.connectTimeoutMs ?? 5_000 });
    try {
      // Without listeners these would crash the process; the 'close' that follows an error drives reconnection.
      model.on('error', (error: unknown) => logger.warn({ err: error }, 'broker connection error'));
      model.on('close', () => onConnectionLost(model));
      model.on('blocked', (reason: unknown) => logger.warn({ reason }, 'broker blocked publishing'));
      model.on('unblocked', () => logger.info('broker unblocked publishing'));
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (error: unknown) => logger.warn({ err: error }, 'publishing channel error'));
      // The publishing channel is shared by everything; if the broker closes it, start over cleanly.
      publisher.on('close', () => {
        if (link?.publisher === publisher) model.close().catch(() => {});
      });
      return { model, publisher, declared: new Map(), holdWritesForThisTurn: batchWrites(model) };
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
  }

  function connect(): Promise<Link> {
    connecting ??= open().then(
      (opened) => {
        connecting = undefined;
        if (closed) {
          opened.model.close().catch(() => {});
          throw new QueueUnavailableError('queue is closed');
        }
        link = opened;
        if (failedAttempts > 0) logger.info({ url: safeUrl }, 'reconnected to broker');
        failedAttempts = 0;
        for (const consumer of consumers) void consumer.attach(opened);
        return opened;
      },
      (error: unknown) => {
        connecting = undefined;
        failedAttempts += 1;
        const level = failedAttempts === 1 || failedAttempts % 10 === 0 ? 'warn' : 'debug';
        logger[level]({ err: error, url: safeUrl, attempt: failedAttempts }, 'cannot connect to broker');
        scheduleReconnect();
        throw new QueueUnavailableError(`broker unreachable at ${safeUrl}: ${messageOf(error)}`, { cause: error });
      },
    );
    return connecting;
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer || connecting) return;
    const delay = backoffDelay(reconnectDelayMs, maxReconnectDelayMs, failedAttempts);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().catch(() => {});
    }, delay);
    // A process whose only work left is waiting to reconnect has nothing to do; let it exit.
    reconnectTimer.unref();
  }

  function onConnectionLost(model: ChannelModel): void {
    if (link?.model !== model) return;
    link = undefined;
    for (const consumer of consumers) consumer.detach();
    if (closed) return;
    logger.warn({ url: safeUrl }, 'broker connection lost; reconnecting');
    scheduleReconnect();
  }

  /** The live connection, or the attempt under way; rejects at once when neither exists. */
  async function currentLink(): Promise<Link> {
    if (closed) throw new QueueUnavailableError('queue is closed');
    if (link) return link;
    if (connecting) return connecting;
    throw new QueueUnavailableError(`broker not connected (${safeUrl}); reconnecting`);
  }

  function declare(target: Link, queue: string): Promise<void> {
    let declared = target.declared.get(queue);
    if (!declared) {
      declared = declareQueue(target.model, queue);
      declared.catch(() => target.declared.delete(queue));
      target.declared.set(queue, declared);
    }
    return declared;
  }

  /**
   * Declares `queue` as this adapter wants it, on a channel of its own: the broker closes the channel of
   * a declaration it refuses, and that must not be the shared publishing channel. A queue that already
   * exists with other arguments (declared by an earlier version, before classic queue version 2) is
   * used as it is, with a warning, rather than refused: its messages are still there to be delivered.
   */
  async function declareQueue(model: ChannelModel, queue: string): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await channel.assertQueue(queue, QUEUE_OPTIONS);
      await channel.close();
    } catch (error) {
      // A refused declaration has closed the channel already; any other failure may have left it open.
      await channel.close().catch(() => {});
      if ((error as { code?: unknown }).code !== PRECONDITION_FAILED) throw error;
      const existing = await model.createChannel();
      existing.on('error', () => {});
      try {
        await existing.checkQueue(queue);
      } finally {
        await existing.close().catch(() => {});
      }
      logger.warn(
        { queue, reason: messageOf(error) },
        'queue exists with other arguments; using it as it is (see docs/performance.md to move it to version 2)',
      );
    }
  }

  async function declareWithDeadLetters(target: Link, queue: string): Promise<void> {
    await Promise.all([declare(target, queue), declare(target, deadLetterQueueName(queue))]);
  }

  /** Sends one persistent message and resolves once the broker confirms it, or rejects within the deadline. */
  function sendConfirmed(
    queue: string,
    message: OutgoingMessage,
    ensure: (target: Link) => Promise<void>,
    timeoutMs = publishTimeoutMs,
  ) {
    const attempt = (async () => {
      const target = await currentLink();
      await ensure(target);
      await new Promise<void>((resolve, reject) => {
        const onConfirm = (error: unknown) => {
          if (error) {
            confirmsFailing = true;
            reject(new QueueUnavailableError(`broker did not take the message: ${messageOf(error)}`));
          } else {
            confirmsFailing = false;
            resolve();
          }
        };
        try {
          target.publisher.sendToQueue(
            queue,
            message.body,
            { persistent: true, messageId: message.id, headers: message.headers ?? {} },
            onConfirm,
          );
          // After the publish: the uncork must be scheduled behind amqplib's own move of the frames.
          target.holdWritesForThisTurn();
        } catch (error) {
          reject(error);
        }
      });
    })();
    return deadline(attempt, timeoutMs, `broker did not confirm within ${timeoutMs} ms`).catch((error: unknown) => {
      if (link) confirmsFailing = true;
      throw error;
    });
  }

  /** A round trip through the publishing path: an empty message that routes nowhere, confirmed. */
  function probe(): Promise<void> {
    return sendConfirmed(PROBE_ROUTING_KEY, { id: '', body: EMPTY }, async () => {}, checkTimeoutMs);
  }

  /**
   * Waits for `step` (an answer of the broker) at most `closeTimeoutMs`; past it, destroys the socket
   * of `target`: a broker that does not answer a close will not answer anything, and waiting longer
   * would only make a shutdown overrun its own bound.
   */
  async function boundedClose(step: Promise<unknown> | undefined, target: Link | undefined, what: string) {
    // The steps passed here have their failures caught already: only the time can run out.
    if (await settlesWithin(Promise.resolve(step), closeTimeoutMs)) return true;
    logger.warn(
      { url: safeUrl, waitedMs: closeTimeoutMs, step: what },
      'broker not answering; abandoning the connection',
    );
    if (target) abandon(target);
    return false;
  }

  function abandon(target: Link): void {
    (target.model.connection as unknown as { stream?: Socket }).stream?.destroy();
  }

  function consumerFor(queue: string, handler: BatchHandler, consumeOptions: ConsumeOptions): AmqpConsumer {
    const { prefetch, maxBatchSize, maxBatchWaitMs, maxAttempts = DEFAULT_MAX_ATTEMPTS } = consumeOptions;
    const log = logger.child({ queue });
    let channel: Channel | undefined;
    let consumerTag: string | undefined;
    let failuresInRow = 0;
    let stopping = false;
    let attaching: Promise<void> | undefined;
    const retryWait = new Signal();
    // One batch in the handler at a time; deliveries gather meanwhile, and a partial batch waits up to
    // maxBatchWaitMs for more (the broker's prefetch bounds how many can gather).
    const batches = createBatcher<Entry>({
      send: (batch) => handleBatch(batch),
      maxBatchSize,
      maxWaitMs: maxBatchWaitMs,
      onError: (error) => log.error({ err: error }, 'batch handling failed; its deliveries come again'),
    });

    function settle(entry: Entry, ack: boolean): void {
      // An ack on a channel other than the one that delivered would be an unknown delivery tag.
      if (entry.channel !== channel) return;
      try {
        if (ack) entry.channel.ack(entry.message);
        else entry.channel.nack(entry.message, false, true);
      } catch {
        // The channel closed meanwhile; the broker delivers the message again.
      }
    }

    /**
     * A dead letter goes to the dead-letter queue with its reason; a retry is published again at the
     * back of the queue with one more attempt counted, or dead-lettered once it has had `maxAttempts`.
     * Either is confirmed before the original is acknowledged, so a crash between them duplicates the
     * message (which its id makes harmless) rather than losing it.
     */
    async function sendOnward(entry: Entry, outcome: Exclude<Outcome, { type: 'ack' }>): Promise<void> {
      const headers = headersOf(entry.message);
      const id = entry.message.properties.messageId ?? '';
      const attempts = attemptsOf(headers) + 1;
      if (outcome.type === 'retry' && attempts < maxAttempts) {
        await sendConfirmed(
          queue,
          { id, body: entry.message.content, headers: { ...headers, [ATTEMPTS_HEADER]: String(attempts) } },
          (target) => declare(target, queue),
        );
        return;
      }
      const reason = outcome.type === 'retry' ? exhaustedReason(outcome.reason, attempts) : outcome.reason;
      await sendConfirmed(
        deadLetterQueueName(queue),
        { id, body: entry.message.content, headers: { ...headers, [DEAD_LETTER_REASON_HEADER]: reason } },
        (target) => declare(target, deadLetterQueueName(queue)),
      );
    }

    async function handleBatch(batch: Entry[]): Promise<void> {
      const live = batch.filter((entry) => entry.channel === channel);
      if (live.length === 0) return;
      let outcomes: Outcome[];
      try {
        outcomes = await handler(live.map((entry) => toDelivery(entry.message)));
        if (outcomes.length !== live.length) {
          throw new Error(`handler answered ${outcomes.length} outcomes for ${live.length} deliveries`);
        }
      } catch (error) {
        failuresInRow += 1;
        const delay = backoffDelay(retryDelayMs, maxRetryDelayMs, failuresInRow);
        log.warn({ err: error, size: live.length, retryInMs: delay }, 'batch failed; it will be delivered again');
        // Waiting before handing the batch back keeps a failing dependency from turning into a hot loop.
        if (!stopping) await retryWait.wait(delay);
        for (const entry of live) settle(entry, false);
        return;
      }
      failuresInRow = 0;
      if (outcomes.every((outcome) => outcome.type === 'ack')) {
        // Every earlier delivery on this channel is settled already (one batch at a time, in order), so
        // one multiple-ack of the last settles the whole batch: one frame instead of one per message.
        const last = live[live.length - 1]!;
        if (last.channel === channel) {
          try {
            last.channel.ack(last.message, true);
          } catch {
            // The channel closed meanwhile; the broker delivers the messages again.
          }
          return;
        }
      }
      const unsettled: Entry[] = [];
      await Promise.all(
        live.map(async (entry, index) => {
          const outcome = outcomes[index]!;
          if (outcome.type !== 'ack') {
            try {
              await sendOnward(entry, outcome);
            } catch (error) {
              log.warn({ err: error }, `could not ${outcome.type} a message; it will be delivered again`);
              unsettled.push(entry);
              return;
            }
          }
          settle(entry, true);
        }),
      );
      if (unsettled.length > 0) {
        if (!stopping) await retryWait.wait(retryDelayMs);
        for (const entry of unsettled) settle(entry, false);
      }
    }

    function reattachLater(): void {
      const timer = setTimeout(() => {
        if (!stopping && !channel && link) void consumer.attach(link);
      }, retryDelayMs);
      timer.unref();
    }

    async function establish(target: Link): Promise<void> {
      if (stopping || channel) return;
      let opened: Channel | undefined;
      try {
        opened = await target.model.createChannel();
        const own = opened;
        own.on('error', (error: unknown) => log.warn({ err: error }, 'consumer channel error'));
        own.on('close', () => {
          if (channel !== own) return;
          consumer.detach();
          // The connection is fine but this channel is gone (e.g. the queue was deleted): consume again.
          if (!stopping && link === target) reattachLater();
        });
        await own.prefetch(prefetch);
        await declareWithDeadLetters(target, queue);
        channel = own;
        const reply = await own.consume(
          queue,
          (message) => {
            if (message === null) {
              log.warn('broker cancelled the consumer');
              own.close().catch(() => {});
              return;
            }
            // After stop() has begun, a delivery is left to the channel's close, which hands it back.
            if (!stopping) batches.add({ channel: own, message });
          },
          { noAck: false },
        );
        consumerTag = reply.consumerTag;
        if (stopping) await own.close().catch(() => {});
      } catch (error) {
        if (opened && channel === opened) channel = undefined;
        await opened?.close().catch(() => {});
        log.warn({ err: error }, 'could not start consuming; will retry');
        if (link === target && !stopping) reattachLater();
      }
    }

    const consumer: AmqpConsumer = {
      attach(target) {
        // The connection coming back and a retry may both ask at once; one channel per consumer.
        attaching ??= establish(target).finally(() => (attaching = undefined));
        return attaching;
      },
      detach() {
        channel = undefined;
        consumerTag = undefined;
        batches.takePending();
      },
      async stop() {
        if (stopping) return;
        stopping = true;
        consumers.delete(consumer);
        batches.takePending();
        retryWait.notify();
        const target = link;
        // Each answer of the broker is bounded on its own; the batch in the handler is not the broker's.
        if (
          !(await boundedClose(
            attaching?.catch(() => {}),
            target,
            'consumer start',
          ))
        )
          return;
        const own = channel;
        if (own && consumerTag) {
          if (
            !(await boundedClose(
              own.cancel(consumerTag).catch(() => {}),
              target,
              'consumer cancel',
            ))
          )
            return;
        }
        await batches.idle();
        consumer.detach();
        // Closing the channel hands every delivery not yet acknowledged back to the broker.
        await boundedClose(
          own?.close().catch(() => {}),
          target,
          'consumer channel close',
        );
      },
    };
    return consumer;
  }

  // Connect right away so that consumers start and `check()` answers without waiting for a first publish.
  connect().catch(() => {});

  return {
    async publish(queue, message) {
      try {
        await sendConfirmed(queue, message, (target) => declareWithDeadLetters(target, queue));
      } catch (error) {
        if (error instanceof QueueUnavailableError) throw error;
        throw new QueueUnavailableError(`publish to ${queue} failed: ${messageOf(error)}`, { cause: error });
      }
    },

    async consume(queue, handler, consumeOptions) {
      if (closed) throw new QueueUnavailableError('queue is closed');
      const consumer = consumerFor(queue, handler, consumeOptions);
      consumers.add(consumer);
      // When the broker is down the consumer starts once it is back; the service need not wait for it.
      if (link) await consumer.attach(link);
      return { stop: () => consumer.stop() };
    },

    async peekDeadLetters(queue, limit) {
      const target = await currentLink();
      // A throwaway channel: closing it puts back every message read without acknowledging it.
      const reader = await target.model.createChannel();
      reader.on('error', () => {});
      try {
        const deadLetters = deadLetterQueueName(queue);
        await declare(target, deadLetters);
        const found: DeadLetter[] = [];
        while (found.length < limit) {
          const message = await reader.get(deadLetters, { noAck: false });
          if (!message) break;
          const headers = headersOf(message);
          found.push({
            id: message.properties.messageId ?? '',
            body: message.content,
            reason: headers[DEAD_LETTER_REASON_HEADER] ?? '',
          });
        }
        return found;
      } finally {
        await reader.close().catch(() => {});
      }
    },

    async depth(queue) {
      const target = await currentLink();
      await declare(target, queue);
      const reply = await target.publisher.checkQueue(queue);
      return reply.messageCount;
    },

    async check() {
      await deadline(currentLink(), checkTimeoutMs, `broker did not answer within ${checkTimeoutMs} ms`);
      const probed = probe();
      if (confirmsFailing) {
        // Said at once; the probe goes on, and its confirm is what makes the queue look up again.
        probed.catch(() => {});
        throw new QueueUnavailableError('broker is not confirming publishes');
      }
      await probed;
    },

    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      // An attempt under way on a frozen link ends by its own connect timeout; it is not waited for past the bound.
      await boundedClose(
        connecting?.catch(() => {}),
        undefined,
        'connect',
      );
      const last = link;
      link = undefined;
      if (last)
        await boundedClose(
          last.model.close().catch(() => {}),
          last,
          'connection close',
        );
    },
  };
}

/**
 * amqplib writes each message's frames to the socket on their own, one system call (and one wake-up of
 * the broker's reader) per message, even when a busy gateway publishes many in one event-loop turn.
 * Corking the socket for the rest of the turn sends them in one write
 * (docs/decisions/0005-one-write-log-batching.md). Not the platform batcher: amqplib does the writing.
 *
 * amqplib offers no way to do this, so it reaches into its connection for the socket (`stream`), and
 * does nothing if that is ever missing. The order matters: amqplib moves frames to the socket in a
 * `setImmediate` that it schedules from a `nextTick` queued by the publish; called after the publish,
 * this queues its own `nextTick` behind that one, so the uncork runs after the move. Were it to run
 * first, the frames would simply be written one by one, as without it. Nothing waits past the turn.
 */
function batchWrites(model: ChannelModel): () => void {
  const socket = (model.connection as unknown as { stream?: Socket }).stream;
  if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return () => {};
  let held = false;
  const release = () => {
    held = false;
    socket.uncork();
  };
  const releaseAfterAmqplibWrites = () => setImmediate(release);
  return () => {
    if (held) return;
    held = true;
    socket.cork();
    process.nextTick(releaseAfterAmqplibWrites);
  };
}

function toDelivery(message: ConsumeMessage): Delivery {
  const headers = headersOf(message);
  return {
    id: message.properties.messageId ?? '',
    body: message.content,
    headers,
    redelivered: message.fields.redelivered,
    attempts: attemptsOf(headers),
  };
}

function attemptsOf(headers: Record<string, string>): number {
  const attempts = Number(headers[ATTEMPTS_HEADER] ?? 0);
  return Number.isSafeInteger(attempts) && attempts > 0 ? attempts : 0;
}

/** AMQP header values may be numbers, booleans or byte arrays; the interface promises strings. */
function headersOf(message: { properties: { headers?: Record<string, unknown> } }): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.properties.headers ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name] = Buffer.isBuffer(value)
      ? value.toString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  }
  return headers;
}

/** Rejects with `QueueUnavailableError` when `promise` has not settled within `ms`, or has failed. */
async function deadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  try {
    return await withTimeout(promise, ms, () => new QueueUnavailableError(message));
  } catch (error) {
    if (error instanceof QueueUnavailableError) throw error;
    throw new QueueUnavailableError(messageOf(error), { cause: error });
  }
}

function withHeartbeat(url: string, seconds: number): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
    return parsed.toString();
  } catch {
    return url;
  }
}
