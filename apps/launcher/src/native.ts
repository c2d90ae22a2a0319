/**
 * Native mode: every service of the registry as its own process against real servers (PostgreSQL,
 * RabbitMQ, Redis), as in production but without containers. Creates the services' databases when missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { backoffDelay, createLogger, env, loadConfig, redactUrl } from '@shipshape/platform';
import {
  envPrefix,
  localEnvironment,
  nativeDefaults,
  portVariables,
  services,
  webVariables,
  type ServiceEntry,
} from './registry.js';
import { startWebFront, type WebFront } from './webFront.js';

/**
 * `<NAME>_DATABASE` of every service that keeps data in PostgreSQL: its database on the server,
 * shared by the services that name the same `database` in the registry (worker and result).
 */
const databaseVariables = Object.fromEntries(
  services
    .filter((service) => service.needs.includes('db'))
    .map((service) => [
      `${envPrefix(service.name)}_DATABASE`,
      z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case identifier')
        .default(`shipshape_${(service.database ?? service.name).replace(/-/g, '_')}`),
    ]),
);

const config = loadConfig(
  z.object({
    POSTGRES_URL: env.url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/postgres'),
    AMQP_URL: env.url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
    REDIS_URL: env.url(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    ...databaseVariables,
    ...portVariables,
    ...webVariables,
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: env.logLevel(),
  }),
);
const settings = config as unknown as Record<string, string & number>;
const logger = createLogger('launcher', 'info');

const databaseOf = (service: ServiceEntry) => settings[`${envPrefix(service.name)}_DATABASE`]!;

function databaseUrl(name: string): string {
  const url = new URL(config.POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function ensureDatabases(names: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: config.POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    for (const name of names) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) {
        await client.query(`CREATE DATABASE ${name}`);
        logger.info({ database: name }, 'created database');
      }
    }
  } finally {
    await client.end();
  }
}

/** What `service` is started with: where it listens, where the others are, and its connections. */
function environmentOf(service: ServiceEntry): Record<string, string> {
  return {
    LOG_LEVEL: config.LOG_LEVEL,
    ...localEnvironment(service, settings, config.HOST),
    ...(service.needs.includes('db') ? { DATABASE_URL: databaseUrl(databaseOf(service)) } : {}),
    ...(service.needs.includes('queue') ? { AMQP_URL: config.AMQP_URL } : {}),
    ...(service.needs.includes('voteLog') ? { REDIS_URL: config.REDIS_URL } : {}),
  };
}

const serviceScript = (name: string) =>
  fileURLToPath(new URL(`../../../services/${name}/dist/main.js`, import.meta.url));

try {
  await ensureDatabases([...new Set(services.filter((service) => service.needs.includes('db')).map(databaseOf))]);
} catch (error) {
  logger.fatal({ err: error, url: redactUrl(config.POSTGRES_URL) }, 'PostgreSQL is not reachable; is it running?');
  process.exit(1);
}

/** A service that dies is started again after this, doubled per quick death, up to 30 s. */
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A service that stayed up this long is healthy again: its next death restarts it at once. */
const STABLE_AFTER_MS = 30_000;

const children = new Map<string, ChildProcess>();
const restartTimers = new Set<NodeJS.Timeout>();
let stopping = false;

function start(service: ServiceEntry, quickDeaths = 0): void {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [serviceScript(service.name)], {
    env: { ...nativeDefaults, ...process.env, ...environmentOf(service) },
    stdio: 'inherit',
    // A group of its own: Ctrl-C in a terminal signals the whole foreground group, and a service that got
    // both the terminal's SIGINT and the launcher's SIGTERM would take the second as "exit now".
    detached: true,
  });
  children.set(service.name, child);
  logger.info({ child: service.name, pid: child.pid }, 'service started');
  child.on('exit', (code, signal) => {
    if (children.get(service.name) === child) children.delete(service.name);
    if (stopping) return;
    // The others go on serving; this one comes back, with a growing delay while it keeps dying at once.
    const deaths = Date.now() - startedAt >= STABLE_AFTER_MS ? 0 : quickDeaths + 1;
    const retryInMs = deaths === 0 ? 0 : backoffDelay(FIRST_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, deaths);
    logger.error({ child: service.name, code, signal, retryInMs }, 'service exited; restarting it');
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (!stopping) start(service, deaths);
    }, retryInMs);
    restartTimers.add(timer);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Stops the services in the reverse order of the registry: the gateway first, so that no request
 * reaches a service that has already gone, then the others once it has exited.
 */
async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const timer of restartTimers) clearTimeout(timer);
  await web?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the dashboard failed'));
  for (const service of [...services].reverse()) {
    const child = children.get(service.name);
    if (!child) continue;
    logger.info({ child: service.name }, 'stopping service');
    child.kill('SIGTERM');
    await exited(child);
    logger.info({ child: service.name, code: child.exitCode, signal: child.signalCode }, 'service stopped');
  }
  process.exit(process.exitCode ?? 0);
}

for (const service of services) start(service);

// The dashboard is served by this process: the gateway it forwards to may start after it, a page's
// request meanwhile gets 503 from the proxy, as it would from nginx in compose.
const gatewayUrl = localEnvironment(services[0]!, settings, config.HOST).GATEWAY_URL!;
let web: WebFront | undefined;
try {
  web = await startWebFront(config, gatewayUrl, createLogger('web', config.LOG_LEVEL));
} catch (error) {
  logger.error({ err: error, port: config.WEB_PORT }, 'the dashboard could not start; the API still runs');
}

process.on('SIGINT', () => void stopAll());
process.on('SIGTERM', () => void stopAll());
// Should the launcher itself end some other way, it takes its services with it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM');
});

logger.info(
  {
    ...Object.fromEntries(services.map((service) => [service.name, environmentOf(service).PORT])),
    dashboard: web ? `http://${config.HOST}:${config.WEB_PORT}` : null,
  },
  'native mode: services starting (Ctrl-C stops them)',
);
