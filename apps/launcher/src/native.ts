/**
 * Native mode: every service as its own process against real servers (PostgreSQL, RabbitMQ), as in
 * production but without containers. Creates the services' databases when they are missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { createLogger, env, loadConfig } from '@shipshape/platform';

const config = loadConfig(
  z.object({
    POSTGRES_URL: env.url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/postgres'),
    AMQP_URL: env.url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
    INVENTORY_DATABASE: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('shipshape_inventory'),
    BILLING_DATABASE: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .default('shipshape_billing'),
    GATEWAY_PORT: env.port(3000),
    INVENTORY_PORT: env.port(3001),
    BILLING_PORT: env.port(3002),
    HOST: z.string().default('127.0.0.1'),
    LOG_LEVEL: z.string().default('info'),
  }),
);
const logger = createLogger('launcher', 'info');

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

const serviceScript = (name: string) =>
  fileURLToPath(new URL(`../../../services/${name}/dist/main.js`, import.meta.url));
const local = (port: number) => `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;

const services: Array<{ name: string; env: Record<string, string> }> = [
  {
    name: 'inventory',
    env: { PORT: String(config.INVENTORY_PORT), DATABASE_URL: databaseUrl(config.INVENTORY_DATABASE) },
  },
  {
    name: 'billing',
    env: {
      PORT: String(config.BILLING_PORT),
      DATABASE_URL: databaseUrl(config.BILLING_DATABASE),
      AMQP_URL: config.AMQP_URL,
    },
  },
  {
    name: 'gateway',
    env: {
      PORT: String(config.GATEWAY_PORT),
      AMQP_URL: config.AMQP_URL,
      INVENTORY_URL: local(config.INVENTORY_PORT),
      BILLING_URL: local(config.BILLING_PORT),
    },
  },
];

try {
  await ensureDatabases([config.INVENTORY_DATABASE, config.BILLING_DATABASE]);
} catch (error) {
  logger.fatal({ err: error, url: config.POSTGRES_URL }, 'PostgreSQL is not reachable; is it running?');
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
    env: { ...process.env, HOST: config.HOST, LOG_LEVEL: config.LOG_LEVEL, ...service.env },
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
  {
    api: local(config.GATEWAY_PORT),
    docs: `${local(config.GATEWAY_PORT)}/docs`,
    inventory: local(config.INVENTORY_PORT),
    billing: local(config.BILLING_PORT),
  },
  'native mode: services starting (Ctrl-C stops them)',
);
