import { createClient } from 'redis';
import { messageOf, redactUrl, withTimeout, type Logger } from '@shipshape/platform';
import {
  compareEntryIds,
  deadLetterKey,
  entryFromFields,
  fieldsOf,
  voteFields,
  VoteLogUnavailableError,
  type LogEntry,
  type VoteLog,
} from './voteLog.js';

export interface RedisVoteLogOptions {
  url: string;
  /** The stream's key; the dead letters go to `<key>.dead-letter`. */
  key: string;
  /** The consumer group the worker reads with. One group per key: acknowledged entries are deleted. */
  group: string;
  logger: Logger;
  /** Longest an append waits (for the connection, then Redis's reply) before it rejects. */
  appendTimeoutMs?: number;
  /** The same bound for every other command; a blocking read gets its `blockMs` on top. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** First wait before reconnecting; doubles per failed attempt up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

function newClient(url: string, connectTimeout: number, reconnectDelay: (retries: number) => number) {
  return createClient({
    url,
    // RESP2 replies are the stream shapes node-redis has typed the longest (`{ name, messages }[]`).
    RESP: 2,
    // Commands issued while the connection is down fail at once instead of waiting in a queue with
    // no bound; `ready()` below gives a reconnect that is under way its short chance first.
    disableOfflineQueue: true,
    // No timer of node-redis's own per command (by default an AbortSignal.timeout of 5 s for each,
    // several % of the vote service's CPU: docs/performance.md): `run` below bounds every call already.
    commandOptions: { timeout: 0 },
    socket: { connectTimeout, reconnectStrategy: reconnectDelay },
  });
}

type Client = ReturnType<typeof newClient>;

interface StreamMessage {
  id: string;
  message: Record<string, string>;
}

/**
 * The vote log on a Redis stream. An append is an `XADD`, answered once Redis has written it: with
 * `appendonly yes` and `appendfsync always` on the server that is after the fsync of the append-only
 * file, and node-redis writes the commands issued in one event-loop turn together, so concurrent
 * appends share one fsync. The worker reads with `XREADGROUP` on a connection of its own (a blocking
 * read would hold up every command behind it), and `ack` deletes what it acknowledges.
 */
export function createRedisVoteLog(options: RedisVoteLogOptions): VoteLog {
  const { key, group } = options;
  const deadKey = deadLetterKey(key);
  const safeUrl = redactUrl(options.url);
  const logger = options.logger.child({ component: 'redis-vote-log', key });
  const appendTimeoutMs = options.appendTimeoutMs ?? 2_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 100;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 5_000;

  let closed = false;
  let groupReady: Promise<void> | undefined;
  // XAUTOCLAIM scans the pending entries from a cursor; kept so each call goes on where the last stopped.
  let claimCursor = '0-0';

  function open(role: string): Client {
    let failures = 0;
    const client = newClient(options.url, options.connectTimeoutMs ?? 5_000, (retries) =>
      Math.min(maxReconnectDelayMs, reconnectDelayMs * 2 ** Math.min(retries, 16)),
    );
    // Without a listener an error event would crash the process; reconnection follows by itself.
    client.on('error', (error: unknown) => {
      failures += 1;
      const level = failures === 1 || failures % 10 === 0 ? 'warn' : 'debug';
      logger[level]({ err: error, url: safeUrl, role, attempt: failures }, 'redis connection error');
    });
    client.on('ready', () => {
      if (failures > 0) logger.info({ url: safeUrl, role }, 'reconnected to redis');
      failures = 0;
    });
    client.connect().catch((error: unknown) => {
      if (!closed) logger.warn({ err: error, url: safeUrl, role }, 'cannot connect to redis');
    });
    return client;
  }

  const commands = open('commands');
  // Only a worker reads, so the vote service never opens this second connection.
  let reader: Client | undefined;

  function unavailable(what: string, error: unknown): VoteLogUnavailableError {
    if (error instanceof VoteLogUnavailableError) return error;
    return new VoteLogUnavailableError(`vote log at ${safeUrl}: ${what} failed: ${messageOf(error)}`, { cause: error });
  }

  /** Resolves once `client` is connected, or rejects when it is not within `ms`. */
  async function ready(client: Client, ms: number): Promise<void> {
    if (closed) throw new VoteLogUnavailableError('vote log is closed');
    if (client.isReady) return;
    let onReady: (() => void) | undefined;
    try {
      await withTimeout(
        new Promise<void>((resolve) => client.once('ready', (onReady = resolve))),
        ms,
        () => new VoteLogUnavailableError(`vote log at ${safeUrl}: redis is not connected`),
      );
    } finally {
      if (onReady) client.off('ready', onReady);
    }
  }

  /** One operation, bounded: waiting for the connection counts against the same `ms`. */
  async function run<T>(what: string, client: Client, ms: number, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      await ready(client, ms);
      return await withTimeout(
        work(),
        Math.max(1, ms - (Date.now() - started)),
        () => new Error(`redis did not answer within ${ms} ms`),
      );
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  function isNoGroup(error: unknown): boolean {
    return messageOf(error).includes('NOGROUP');
  }

  /** Creates the group from the start of the stream (id 0), so votes appended before any worker count. */
  function ensureGroup(): Promise<void> {
    groupReady ??= commands.xGroupCreate(key, group, '0', { MKSTREAM: true }).then(
      () => undefined,
      (error: unknown) => {
        if (messageOf(error).includes('BUSYGROUP')) return;
        groupReady = undefined;
        throw error;
      },
    );
    return groupReady;
  }

  /** Runs `work` with the group in place, creating it again if the stream was deleted meanwhile. */
  async function withGroup<T>(work: () => Promise<T>): Promise<T> {
    await ensureGroup();
    try {
      return await work();
    } catch (error) {
      if (!isNoGroup(error)) throw error;
      groupReady = undefined;
      await ensureGroup();
      return work();
    }
  }

  function toEntries(messages: readonly (StreamMessage | null)[], deliveries: Map<string, number>): LogEntry[] {
    return messages
      .filter((message): message is StreamMessage => message !== null)
      .map((message) => entryFromFields(message.id, { ...message.message }, deliveries.get(message.id) ?? 1));
  }

  return {
    append(vote) {
      if (closed) return Promise.reject(new VoteLogUnavailableError('vote log is closed'));
      return run('append', commands, appendTimeoutMs, () => commands.xAdd(key, '*', voteFields(vote)));
    },

    async read(consumer, { count, blockMs }) {
      reader ??= open('reader');
      const client = reader;
      return run('read', client, commandTimeoutMs + blockMs, async () => {
        // The group is created on the other connection, which may still be connecting too.
        await ready(commands, commandTimeoutMs);
        await ensureGroup();
        const reply = (await withGroup(() =>
          client.xReadGroup(
            group,
            consumer,
            { key, id: '>' },
            { COUNT: count, ...(blockMs > 0 ? { BLOCK: blockMs } : {}) },
          ),
        )) as { name: string; messages: StreamMessage[] }[] | null;
        const messages = reply?.find((stream) => stream.name === key)?.messages ?? [];
        return toEntries(messages, new Map());
      });
    },

    async claimStale(consumer, { minIdleMs, count }) {
      return run('claim', commands, commandTimeoutMs, () =>
        withGroup(async () => {
          const claimed = new Map<string, StreamMessage>();
          // One pass over the pending entries at most: from the cursor to the end, then from the start.
          let wrapped = claimCursor === '0-0';
          while (claimed.size < count) {
            const reply = await commands.xAutoClaim(key, group, consumer, minIdleMs, claimCursor, {
              COUNT: count - claimed.size,
            });
            for (const message of reply.messages) if (message) claimed.set(message.id, message as StreamMessage);
            claimCursor = reply.nextId;
            if (claimCursor === '0-0') {
              if (wrapped) break;
              wrapped = true;
            }
          }
          if (claimed.size === 0) return [];
          // XAUTOCLAIM does not say how often an entry was delivered; its pending entry does. The
          // lookups are issued in one turn, so node-redis sends them in one write.
          const counts = await Promise.all(
            [...claimed.keys()].map((id) => commands.xPendingRange(key, group, id, id, 1)),
          );
          const deliveries = new Map(counts.flat().map((p) => [p.id, Number(p.deliveriesCounter)]));
          const messages = [...claimed.values()].sort((a, b) => compareEntryIds(a.id, b.id));
          return toEntries(messages, deliveries);
        }),
      );
    },

    async ack(ids) {
      if (ids.length === 0) return;
      // XACK and XDEL in one MULTI: an entry is never left acknowledged but stored (Redis grows) nor
      // deleted but pending. Deleting outright is right because one group reads this stream.
      await run('ack', commands, commandTimeoutMs, () => commands.multi().xAck(key, group, ids).xDel(key, ids).exec());
    },

    async deadLetter(entry, reason) {
      await run('dead-letter', commands, commandTimeoutMs, () =>
        commands
          .multi()
          .xAdd(deadKey, '*', { ...fieldsOf(entry), entryId: entry.id, reason })
          .xAck(key, group, entry.id)
          .xDel(key, entry.id)
          .exec(),
      );
    },

    async deadLetters(limit) {
      const messages = (await run('dead letters', commands, commandTimeoutMs, () =>
        commands.xRange(deadKey, '-', '+', { COUNT: limit }),
      )) as StreamMessage[] | null;
      return (messages ?? []).map(({ message }) => {
        const { entryId = '', reason = '', ...fields } = { ...message };
        return { id: entryId, reason, fields };
      });
    },

    async pending() {
      return run('pending', commands, commandTimeoutMs, async () => {
        try {
          return Number((await commands.xPending(key, group)).pending);
        } catch (error) {
          // No stream or no group yet: nothing was ever handed out.
          if (isNoGroup(error)) return 0;
          throw error;
        }
      });
    },

    async length() {
      return run('length', commands, commandTimeoutMs, () => commands.xLen(key));
    },

    async check() {
      await run('check', commands, commandTimeoutMs, () => commands.ping());
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(
        [commands, reader].map(async (client) => {
          if (!client?.isOpen) return;
          // close() lets the replies under way arrive; a Redis that does not answer is not waited for.
          await withTimeout(client.close(), commandTimeoutMs, () => new Error('redis did not close')).catch(() =>
            client.destroy(),
          );
        }),
      );
    },
  };
}
