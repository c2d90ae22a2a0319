/**
 * Native mode: every service of the registry as its own process against real servers (PostgreSQL,
 * RabbitMQ), as in production but without containers. Creates the services' databases when missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { createLogger, env, loadConfig, redactUrl } from '@shipshape/platform';
import { envPrefix, localEnvironment, portVariables, services, type ServiceEntry } from './registry.js';

/** `<NAME>_DATABASE` of every service that keeps data in PostgreSQL: its database on the server. */
const databaseVariables = Object.fromEntries(
  services
    .filter((service) => service.needs.includes('db'))
    .map((service) => [
      `${envPrefix(service.name)}_DATABASE`,
      z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case identifier')
        .default(`shipshape_${service.name.replace(/-/g, '_')}`),
    ]),
);

const config = loadConfig(
  z.object({
    POSTGRES_URL: env.url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/postgres'),
    AMQP_URL: env.url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
    ...databaseVariables,
    ...portVariables,
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
  };
}

const serviceScript = (name: string) =>
  fileURLToPath(new URL(`../../../services/${name}/dist/main.js`, import.meta.url));

try {
  await ensureDatabases(services.filter((service) => service.needs.includes('db')).map(databaseOf));
} catch (error) {
  logger.fatal({ err: error, url: redactUrl(config.POSTGRES_URL) }, 'PostgreSQL is not reachable; is it running?');
  process.exit(1);
}

const children = new Map<string, ChildProcess>();
let stopping = false;

function stopAll(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}

for (const service of services) {
  const child = spawn(process.execPath, [serviceScript(service.name)], {
    env: { ...process.env, ...environmentOf(service) },
    stdio: 'inherit',
    // A group of its own: Ctrl-C in a terminal signals the whole foreground group, and a service that got
    // both the terminal's SIGINT and the launcher's SIGTERM would take the second as "exit now".
    detached: true,
  });
  children.set(service.name, child);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      logger.error({ service: service.name, code, signal }, 'service exited; stopping the others');
      process.exitCode = 1;
      stopAll('SIGTERM');
    }
    if (children.size === 0) process.exit();
  });
}

process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));
// Should the launcher itself end some other way, it takes its services with it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM');
});

logger.info(
  Object.fromEntries(services.map((service) => [service.name, environmentOf(service).PORT])),
  'native mode: services starting (Ctrl-C stops them)',
);
