import { backoffDelay } from '@shipshape/platform';
import pg from 'pg';
import { assertChannelName, DatabaseUnavailableError, type Listener } from './db.js';

export interface PgListenerOptions {
  connectionString: string;
  applicationName?: string;
  label: string;
  target: string;
  connectionTimeoutMs: number;
  /** First wait before reconnecting; doubles per failed attempt up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/**
 * `LISTEN` on a connection of its own: a pooled connection would be handed to other queries and its
 * subscription lost when the pool ends it. A lost connection is opened again with a growing wait, and
 * `onChange` called once it listens again, since notifications sent meanwhile went nowhere.
 */
export async function listenWithPg(
  options: PgListenerOptions,
  channel: string,
  onChange: () => void,
): Promise<Listener> {
  assertChannelName(channel);
  const base = options.reconnectDelayMs ?? 100;
  const max = options.maxReconnectDelayMs ?? 5_000;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectionTimeoutMs,
      application_name: options.applicationName,
    });
    next.on('notification', (message) => {
      if (message.channel === channel && !closed) onChange();
    });
    // 'error' comes before 'end' when the server goes away; either way the connection is done.
    next.on('error', () => {});
    next.on('end', () => {
      if (client === next) reconnectLater();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw new DatabaseUnavailableError(options.label, error, options.target);
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    failures = 0;
  }

  function reconnectLater(): void {
    client = undefined;
    if (closed) return;
    failures += 1;
    retry = setTimeout(
      () => {
        retry = undefined;
        connect().then(
          () => {
            if (!closed) onChange();
          },
          () => reconnectLater(),
        );
      },
      backoffDelay(base, max, failures),
    );
  }

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
