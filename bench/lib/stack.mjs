import { mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import amqp from 'amqplib';
import pg from 'pg';
import { connectRedis, startRedisServer } from './redis.mjs';
import {
  createTestDatabase,
  deleteQueues,
  getFreePort,
  startNodeProcess,
  testServers,
  uniqueName,
} from '@shipshape/testkit';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = (service) => path.join(root, 'services', service, 'dist', 'main.js');

/**
 * The native mode as the benchmark needs it: inventory, billing, vote, worker, result, predict and gateway each
 * in its own process, against this machine's PostgreSQL and RabbitMQ and a Redis server of the
 * benchmark's own (append-only file fsynced on every write, as a vote's 202 promises; the machine's
 * Redis keeps nothing on disk), with databases, a queue and a vote stream of their own (so a run never
 * touches anyone's data), warn-level logs and no rate limit. `stop()` removes all of it; it is safe to
 * call twice and after a failed start.
 */
export async function startNativeStack({ profileDir, progress } = {}) {
  const cleanups = [];
  const stop = async () => {
    while (cleanups.length) {
      const cleanup = cleanups.pop();
      try {
        await cleanup();
      } catch (error) {
        progress?.log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  try {
    const queueName = uniqueName('bench_billing_queue');
    cleanups.push(() => deleteQueues([queueName]));
    const voteStream = uniqueName('bench_votes');
    const [inventoryDatabase, billingDatabase, votesDatabase] = await Promise.all([
      createTestDatabase('shipshape_bench_inventory'),
      createTestDatabase('shipshape_bench_billing'),
      createTestDatabase('shipshape_bench_votes'),
    ]);
    cleanups.push(() => Promise.all([inventoryDatabase.drop(), billingDatabase.drop(), votesDatabase.drop()]));
    // Stopped after the services (cleanups run last first), then its folder goes. Without a
    // redis-server on this machine the rest still runs, and the voting scenarios say why they cannot.
    let redis;
    let votingUnavailable;
    try {
      redis = await startRedisServer();
      cleanups.push(redis.stop);
    } catch (error) {
      votingUnavailable = `no Redis of the benchmark's own (${error.message})`;
      progress?.log(`voting scenarios will be skipped: ${votingUnavailable}`);
    }

    const ports = {};
    for (const service of ['inventory', 'billing', 'vote', 'worker', 'result', 'predict', 'gateway']) {
      ports[service] = await getFreePort();
    }
    const url = (service) => `http://127.0.0.1:${ports[service]}`;
    const start = async (service, env) => {
      const profileEnv = {};
      if (profileDir) {
        // Node 20 refuses --cpu-prof in NODE_OPTIONS; a preloaded module does the same through the inspector.
        const dir = path.resolve(profileDir);
        await mkdir(dir, { recursive: true });
        profileEnv.BENCH_PROFILE_DIR = dir;
        profileEnv.NODE_OPTIONS = `--import=${pathToFileURL(path.join(root, 'bench/lib/cpu-profile-preload.mjs')).href}`;
      }
      // A port from getFreePort is free when it is handed out, not when the service listens: another
      // process's connection or port-0 listener (this stack's metrics, other test runs) may take it
      // meanwhile. Then the service exits with EADDRINUSE, and its health check may even have been
      // answered by whoever took the port; so the port must be seen to be the child's own.
      for (let attempt = 1; ; attempt++) {
        if (attempt > 1) ports[service] = await getFreePort();
        let child;
        try {
          child = await startNodeProcess(
            script(service),
            {
              ...env,
              PORT: String(ports[service]),
              METRICS_PORT: '0',
              HOST: '127.0.0.1',
              LOG_LEVEL: 'warn',
              ...profileEnv,
            },
            `${url(service)}/health`,
            60_000,
          );
        } catch (error) {
          if (attempt < 3 && String(error.message).includes('EADDRINUSE')) {
            progress?.log(`${service}: port ${ports[service]} was taken (EADDRINUSE); starting it on another`);
            continue;
          }
          throw error;
        }
        const owned = await ownsPort(child, ports[service]);
        if (!owned) {
          await child.kill();
          const why = child.output().includes('EADDRINUSE') ? 'EADDRINUSE' : 'not listening on it';
          progress?.log(`${service}: port ${ports[service]} is not its own (${why}); starting it on another`);
          if (attempt < 3) continue;
          throw new Error(`${service} did not get port ${ports[service]}:\n${child.output().slice(-2_000)}`);
        }
        cleanups.push(async () => {
          const code = await child.stop();
          if (code) progress?.log(`${service} exited with ${code}:\n${child.output().slice(-2_000)}`);
        });
        return child;
      }
    };

    const [inventory, billing, vote, worker, result, predict] = await Promise.all([
      start('inventory', { DATABASE_URL: inventoryDatabase.url }),
      start('billing', { DATABASE_URL: billingDatabase.url, AMQP_URL: testServers.amqp, BILLING_QUEUE: queueName }),
      redis && start('vote', { REDIS_URL: redis.url, VOTE_STREAM: voteStream }),
      redis && start('worker', { DATABASE_URL: votesDatabase.url, REDIS_URL: redis.url, VOTE_STREAM: voteStream }),
      redis && start('result', { DATABASE_URL: votesDatabase.url }),
      // The model of services/predict/model/, which `npm run bench` builds (and trains when stale) first.
      start('predict', {}),
    ]);
    const gateway = await start('gateway', {
      AMQP_URL: testServers.amqp,
      BILLING_QUEUE: queueName,
      INVENTORY_URL: url('inventory'),
      BILLING_URL: url('billing'),
      VOTE_URL: url('vote'),
      RESULT_URL: url('result'),
      PREDICT_URL: url('predict'),
      RATE_LIMIT_MAX: '0',
    });
    const processes = Object.fromEntries(
      Object.entries({ inventory, billing, vote, worker, result, predict, gateway }).filter(([, child]) => child),
    );

    return {
      mode: 'native',
      gatewayUrl: url('gateway'),
      billingDatabaseUrl: billingDatabase.url,
      inventoryDatabaseUrl: inventoryDatabase.url,
      votesDatabaseUrl: votesDatabase.url,
      redisUrl: redis?.url,
      votingUnavailable,
      voteStream,
      queueName,
      processes,
      pids: {
        ...Object.fromEntries(Object.entries(processes).map(([name, child]) => [name, child.child.pid])),
        ...(redis ? { redis: redis.pid } : {}),
      },
      databases: [inventoryDatabase.name, billingDatabase.name, votesDatabase.name],
      describe: async () => ({
        ...(await describeServers()),
        ...(redis
          ? {
              redis: `${redis.version} (the benchmark's own: appendonly yes, appendfsync always, in ${tmpdirOf(redis.dir)})`,
            }
          : {}),
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A stack someone else started (compose, Kubernetes, another machine): only its public API is used. */
export function targetStack(gatewayUrl, { billingDatabaseUrl } = {}) {
  return {
    mode: 'target',
    gatewayUrl: gatewayUrl.replace(/\/+$/, ''),
    billingDatabaseUrl,
    queueName: undefined,
    voteStream: undefined,
    processes: {},
    pids: undefined,
    databases: [],
    describe: async () => ({}),
    stop: async () => {},
  };
}

async function describeServers() {
  const described = {};
  try {
    const client = new pg.Client({ connectionString: testServers.postgres });
    await client.connect();
    described.postgres = (await client.query('SHOW server_version')).rows[0].server_version;
    await client.end();
  } catch {
    // the figures stand without it
  }
  try {
    const connection = await amqp.connect(testServers.amqp);
    described.rabbitmq = String(connection.connection.serverProperties?.version ?? '');
    await connection.close();
  } catch {
    // the figures stand without it
  }
  return described;
}

/**
 * Counts stored orders (`count()`: all of them; `countFromHere()`: a counter of those stored from now
 * on): straight from the billing database when the benchmark can reach it (native mode, or
 * --billing-db), otherwise through the gateway's X-Total-Count.
 */
export async function createOrderCounter(stack) {
  if (stack.billingDatabaseUrl) {
    const client = new pg.Client({ connectionString: stack.billingDatabaseUrl });
    await client.connect();
    return {
      source: 'billing database',
      count: async () => (await client.query('SELECT count(*)::int AS count FROM orders')).rows[0].count,
      // Polled every 50 ms while orders.e2e runs: a count over the whole table (which grows with every
      // scenario and round) would cost PostgreSQL milliseconds each time, CPU taken from the pipeline
      // being measured. Ids come from a sequence, so every order stored after the mark has a larger id
      // whatever the order of commits, and the primary key index counts just those.
      async countFromHere() {
        const mark = (await client.query('SELECT coalesce(max(id), 0)::int AS mark FROM orders')).rows[0].mark;
        return async () =>
          (await client.query('SELECT count(*)::int AS count FROM orders WHERE id > $1', [mark])).rows[0].count;
      },
      close: () => client.end(),
    };
  }
  const count = async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/orders?limit=1`);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET /api/orders answered ${response.status}`);
    return Number(response.headers.get('x-total-count'));
  };
  return {
    source: 'GET /api/orders X-Total-Count',
    count,
    async countFromHere() {
      const mark = await count();
      return async () => (await count()) - mark;
    },
    close: async () => {},
  };
}

/** Ready messages left on the benchmark's own queue, or undefined when the queue is not ours to see. */
export async function createQueueDepth(stack) {
  if (!stack.queueName) return { depth: async () => undefined, close: async () => {} };
  const connection = await amqp.connect(testServers.amqp);
  const channel = await connection.createChannel();
  return {
    depth: async () => (await channel.checkQueue(stack.queueName)).messageCount,
    close: async () => {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

const tmpdirOf = (dir) => path.dirname(dir);

/**
 * Entries on the benchmark's own vote stream not yet stored and acknowledged by the worker (it
 * deletes what it acknowledges), or undefined when the stream is not ours to see (--target).
 */
export async function createVoteBacklog(stack) {
  if (!stack.redisUrl || !stack.voteStream) return { backlog: async () => undefined, close: async () => {} };
  const client = await connectRedis(stack.redisUrl);
  return {
    backlog: () => client.command('XLEN', stack.voteStream),
    close: async () => client.close(),
  };
}

/**
 * Whether `child` listens on `port` itself (Linux: a listening socket on that port among its file
 * descriptors), waiting while it starts; false once it has exited. Elsewhere: whether it is still
 * running half a second after its health check answered.
 */
async function ownsPort({ child }, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (process.platform !== 'linux') {
      await sleep(500);
      return child.exitCode === null && child.signalCode === null;
    }
    const listening = new Set(); // socket inodes in state LISTEN (0A) on the port
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const text = await readFile(table, 'utf8').catch(() => '');
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3] === '0A') listening.add(fields[9]);
      }
    }
    const descriptors = await readdir(`/proc/${child.pid}/fd`).catch(() => []);
    for (const descriptor of descriptors) {
      const target = await readlink(`/proc/${child.pid}/fd/${descriptor}`).catch(() => '');
      if (listening.has(/^socket:\[(\d+)\]$/.exec(target)?.[1])) return true;
    }
    await sleep(50);
  }
  return false;
}
