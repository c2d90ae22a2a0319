import { createClient } from 'redis';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import amqp from 'amqplib';
import { redactUrl } from '@shipshape/platform';

/** Where the real servers are; tests never touch anything but what they create there. */
export const testServers = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  amqp: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const probes = new Map<string, Promise<boolean>>();

/**
 * True when the server answers. When it does not: with CI=true the suite must fail, so this throws
 * naming the URL; elsewhere the suite is skipped with a one-line warning.
 */
async function available(kind: string, url: string, probe: () => Promise<void>): Promise<boolean> {
  let result = probes.get(url);
  if (!result) {
    result = probe().then(
      () => true,
      (error: unknown) => {
        const message = `${kind} is not reachable at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`;
        if (process.env.CI === 'true') throw new Error(message);
        console.warn(`skipping ${kind} tests: ${message}`);
        return false;
      },
    );
    probes.set(url, result);
  }
  return result;
}

export function postgresAvailable(): Promise<boolean> {
  return available('PostgreSQL', testServers.postgres, async () => {
    const client = new pg.Client({ connectionString: testServers.postgres, connectionTimeoutMillis: 3_000 });
    await client.connect();
    await client.end();
  });
}

export function rabbitMqAvailable(): Promise<boolean> {
  return available('RabbitMQ', testServers.amqp, async () => {
    const connection = await amqp.connect(testServers.amqp, { timeout: 3_000 });
    await connection.close();
  });
}

/**
 * Redis answers PING (after AUTH when the URL has a password). Spoken over a plain socket so testkit
 * needs no Redis client of its own.
 */
export function redisAvailable(): Promise<boolean> {
  return available('Redis', testServers.redis, () => {
    const url = new URL(testServers.redis);
    const words = (...parts: string[]) =>
      `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    const auth = url.password
      ? words('AUTH', ...(url.username ? [decodeURIComponent(url.username)] : []), decodeURIComponent(url.password))
      : '';
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(url.port || 6379), url.hostname);
      let answer = '';
      socket.setTimeout(3_000, () => socket.destroy(new Error('no answer within 3000 ms')));
      socket.on('error', reject);
      socket.on('connect', () => socket.write(auth + words('PING')));
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        if (/(^|\r\n)-/.test(answer)) {
          socket.destroy();
          reject(new Error(answer.trim()));
        } else if (answer.includes('+PONG')) {
          socket.end();
          resolve();
        }
      });
    });
  });
}

/** A name no other test run uses: `prefix_<pid>_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the real server; `drop()` removes it (and ends its connections). */
export async function createTestDatabase(prefix = 'shipshape_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix).toLowerCase();
  const admin = new pg.Client({ connectionString: testServers.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testServers.postgres);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: testServers.postgres });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Deletes queues a test declared on the real broker (and their dead-letter queues). */
export async function deleteQueues(names: string[]): Promise<void> {
  const connection = await amqp.connect(testServers.amqp);
  try {
    const channel = await connection.createChannel();
    for (const name of names) {
      await channel.deleteQueue(name);
      await channel.deleteQueue(`${name}.dead-letter`);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Deletes keys a test wrote on the real Redis (a vote stream and its dead letters, say). */
export async function deleteRedisKeys(keys: string[], url = testServers.redis): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}
