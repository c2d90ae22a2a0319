import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_PORTS } from '@shipshape/contracts';
import {
  createTestDatabase,
  deleteQueues,
  deleteRedisKeys,
  getFreePort,
  postgresAvailable,
  rabbitMqAvailable,
  redisAvailable,
  startNodeProcess,
  testServers,
  uniqueName,
  type ServiceProcess,
  type TestDatabase,
} from '@shipshape/testkit';

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const scripts = {
  inventory: path.join(root, 'services/inventory/dist/main.js'),
  billing: path.join(root, 'services/billing/dist/main.js'),
  gateway: path.join(root, 'services/gateway/dist/main.js'),
  vote: path.join(root, 'services/vote/dist/main.js'),
  worker: path.join(root, 'services/worker/dist/main.js'),
  result: path.join(root, 'services/result/dist/main.js'),
  system: path.join(root, 'services/system/dist/main.js'),
  predict: path.join(root, 'services/predict/dist/main.js'),
  embedded: path.join(root, 'apps/launcher/dist/embedded.js'),
  native: path.join(root, 'apps/launcher/dist/native.js'),
};

/** Every service's prefix in the launchers' variables (`INVENTORY_PORT`, …). */
const launcherNames = Object.keys(LOCAL_PORTS).map((name) => name.toUpperCase());

/** The launchers' metrics ports, each on any free port, so that stacks side by side do not collide. */
export const anyMetricsPorts = Object.fromEntries(launcherNames.map((name) => [`${name}_METRICS_PORT`, '0']));

export interface Stack {
  gatewayUrl: string;
  stop(): Promise<void>;
}

/** A restartable service process with fixed settings. */
export class ManagedProcess {
  process: ServiceProcess | undefined;
  constructor(
    readonly script: string,
    readonly env: Record<string, string>,
    readonly port: number,
  ) {}
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.process = await startNodeProcess(
      this.script,
      { ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      `${this.url}/health`,
    );
    return this;
  }
  async stop() {
    await this.process?.stop();
  }
  async kill() {
    await this.process?.kill();
  }
}

export interface NativeStack extends Stack {
  inventory: ManagedProcess;
  billing: ManagedProcess;
  vote: ManagedProcess;
  worker: ManagedProcess;
  result: ManagedProcess;
  gateway: ManagedProcess;
  billingDatabase: TestDatabase;
  votesDatabase: TestDatabase;
  queueName: string;
  voteStream: string;
}

export interface NativeStackOptions {
  /** Lets a test put a relay between the gateway and the broker. */
  amqpUrlForGateway?: string;
  /** Lets a test put a relay between vote and Redis, or give it a Redis of its own. */
  redisUrlForVote?: string;
  /** The worker's Redis, when not the machine's. */
  redisUrlForWorker?: string;
  /** Settings of the worker on top of the stack's (a short claim time, say). */
  workerEnv?: Record<string, string>;
}

/**
 * Each service as its own process against the real PostgreSQL, RabbitMQ and Redis, with databases,
 * a queue and a vote stream of its own.
 */
export async function startNativeStack(options: NativeStackOptions = {}): Promise<NativeStack> {
  const [inventoryDatabase, billingDatabase, votesDatabase] = await Promise.all([
    createTestDatabase('shipshape_inventory'),
    createTestDatabase('shipshape_billing'),
    createTestDatabase('shipshape_votes'),
  ]);
  const queueName = uniqueName('billing_queue');
  const voteStream = uniqueName('votes');
  const [inventoryPort, billingPort, votePort, workerPort, resultPort, systemPort, predictPort, gatewayPort] =
    (await Promise.all(Array.from({ length: 8 }, () => getFreePort()))) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
  const inventory = new ManagedProcess(scripts.inventory, { DATABASE_URL: inventoryDatabase.url }, inventoryPort);
  const billing = new ManagedProcess(
    scripts.billing,
    { DATABASE_URL: billingDatabase.url, AMQP_URL: testServers.amqp, BILLING_QUEUE: queueName },
    billingPort,
  );
  const vote = new ManagedProcess(
    scripts.vote,
    { REDIS_URL: options.redisUrlForVote ?? testServers.redis, VOTE_STREAM: voteStream, REDIS_TIMEOUT_MS: '1000' },
    votePort,
  );
  const worker = new ManagedProcess(
    scripts.worker,
    {
      DATABASE_URL: votesDatabase.url,
      REDIS_URL: options.redisUrlForWorker ?? testServers.redis,
      VOTE_STREAM: voteStream,
      ...options.workerEnv,
    },
    workerPort,
  );
  const result = new ManagedProcess(scripts.result, { DATABASE_URL: votesDatabase.url }, resultPort);
  const system = new ManagedProcess(scripts.system, {}, systemPort);
  const predict = new ManagedProcess(scripts.predict, {}, predictPort);
  const gateway = new ManagedProcess(
    scripts.gateway,
    {
      AMQP_URL: options.amqpUrlForGateway ?? testServers.amqp,
      BILLING_QUEUE: queueName,
      INVENTORY_URL: inventory.url,
      BILLING_URL: billing.url,
      VOTE_URL: vote.url,
      RESULT_URL: result.url,
      SYSTEM_URL: system.url,
      PREDICT_URL: predict.url,
      RATE_LIMIT_MAX: '0',
      PUBLISH_TIMEOUT_MS: '3000',
    },
    gatewayPort,
  );
  const upstreams = [inventory, billing, vote, worker, result, system, predict];
  await Promise.all(upstreams.map((upstream) => upstream.start()));
  await gateway.start();
  return {
    gatewayUrl: gateway.url,
    inventory,
    billing,
    vote,
    worker,
    result,
    gateway,
    billingDatabase,
    votesDatabase,
    queueName,
    voteStream,
    async stop() {
      await gateway.stop();
      await Promise.all(upstreams.map((upstream) => upstream.stop()));
      await Promise.all([
        inventoryDatabase.drop(),
        billingDatabase.drop(),
        votesDatabase.drop(),
        deleteQueues([queueName]),
        deleteRedisKeys([voteStream, `${voteStream}.dead-letter`]),
      ]);
    },
  };
}

export interface EmbeddedStack extends Stack {
  /** The dashboard (WEB_PORT), on a free port of its own. */
  webUrl: string;
  dataDir: string;
  process: ServiceProcess;
  /** SIGKILL: the process dies at whatever point it is. */
  kill(): Promise<void>;
  /** Starts the process again on the same data directory and ports. */
  restart(): Promise<void>;
}

/** The embedded mode as a user starts it: one process, PGlite in a data directory of its own. */
export async function startEmbeddedStack(): Promise<EmbeddedStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shipshape-embedded-'));
  const names = ['GATEWAY', ...launcherNames.filter((name) => name !== 'GATEWAY'), 'WEB'];
  const ports = await Promise.all(names.map(() => getFreePort()));
  const gatewayPort = ports[0]!;
  const env = {
    SHIPSHAPE_DATA_DIR: dataDir,
    ...Object.fromEntries(names.map((name, index) => [`${name}_PORT`, String(ports[index])])),
    ...anyMetricsPorts,
    RATE_LIMIT_MAX: '0',
  };
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const webUrl = `http://127.0.0.1:${ports[names.indexOf('WEB')]}`;
  const launch = () => startNodeProcess(scripts.embedded, env, `${gatewayUrl}/health`, 60_000);
  const stack: EmbeddedStack = {
    gatewayUrl,
    webUrl,
    dataDir,
    process: await launch(),
    async kill() {
      await stack.process.kill();
    },
    async restart() {
      stack.process = await launch();
    },
    async stop() {
      await stack.process.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Whether this machine's PostgreSQL, RabbitMQ and Redis all answer (a native stack needs the three). */
export async function realServersAvailable(): Promise<boolean> {
  return (await postgresAvailable()) && (await rabbitMqAvailable()) && (await redisAvailable());
}

/** The two ways a whole-system suite runs: `describe.each(await stackModes())`. */
export async function stackModes(): Promise<Array<[string, () => Promise<Stack>, boolean]>> {
  return [
    ['embedded mode', startEmbeddedStack, true],
    ['real servers', () => startNativeStack(), await realServersAvailable()],
  ];
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with a JSON (or raw string) body, answering the parsed JSON body when there is one. */
export async function request<T = any>(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(base + url, init);
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/**
 * Posts `count` valid orders through the gateway, `concurrency` at a time, and answers the ids of
 * those answered 202. `afterEach` runs after every answer, e.g. to kill a process midway.
 */
export async function postOrders(
  base: string,
  count: number,
  { concurrency = 20, afterEach }: { concurrency?: number; afterEach?: (posted: number) => Promise<void> | void } = {},
): Promise<{ accepted: string[]; statuses: number[] }> {
  const accepted: string[] = [];
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const response = await request<{ id: string }>(base, 'POST', '/api/billing', {
        user_id: String((index % 50) + 1),
        number_of_items: (index % 7) + 1,
        total_amount: `${10 + (index % 90)}.50`,
      });
      statuses.push(response.status);
      if (response.status === 202) accepted.push(response.body.id);
      await afterEach?.(statuses.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { accepted, statuses };
}

/** The orders the system stored, read through the gateway page by page. */
export async function listAllOrders(base: string): Promise<Array<{ message_id: string; id: number }>> {
  const all: Array<{ message_id: string; id: number }> = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await request<Array<{ message_id: string; id: number }>>(
      base,
      'GET',
      `/api/orders?limit=1000&offset=${offset}`,
    );
    if (page.status !== 200) throw new Error(`GET /api/orders answered ${page.status}`);
    all.push(...page.body);
    if (page.body.length < 1000) return all;
  }
}

export async function storedOrderCount(base: string): Promise<number> {
  const response = await request(base, 'GET', '/api/orders?limit=1');
  if (response.status !== 200) throw new Error(`GET /api/orders answered ${response.status}`);
  return Number(response.headers.get('x-total-count'));
}
