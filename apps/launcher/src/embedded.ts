/**
 * Embedded mode: gateway, inventory and billing in one Node process, on one embedded PostgreSQL
 * (PGlite, persisted in a data directory) that also holds the queue. Same ports and API as the other
 * modes; needs nothing but Node.js.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { createBillingService } from '@shipshape/billing';
import { type Db } from '@shipshape/db';
import { createPgliteDb } from '@shipshape/db/pglite';
import { createGatewayService, gatewayConfigSchema } from '@shipshape/gateway';
import { createInventoryService } from '@shipshape/inventory';
import { closeInOrder, createLogger, env, exitOnSignal, loadConfig, parseConfig } from '@shipshape/platform';
import { createEmbeddedQueue } from '@shipshape/queue';

const config = loadConfig(
  z.object({
    SHIPSHAPE_DATA_DIR: z.string().min(1).default('.data/embedded'),
    GATEWAY_PORT: env.port(3000),
    INVENTORY_PORT: env.port(3001),
    BILLING_PORT: env.port(3002),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: env.logLevel(),
    SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
  }),
);
const logger = createLogger('launcher', config.LOG_LEVEL);
const serviceLogger = (service: string) => createLogger(service, config.LOG_LEVEL);
const local = (port: number) => `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;

const dataDir = path.resolve(config.SHIPSHAPE_DATA_DIR);
await mkdir(dataDir, { recursive: true });
process.stderr.write(`Starting the embedded database in ${dataDir} …\n`);
const db = await createPgliteDb(dataDir);
// Services close what they are given; here the database and the queue are shared, so each service gets
// a handle whose close() leaves them open, and they are closed once, after every service.
const sharedDb: Db = { ...db, close: async () => {} };
// This process is the only consumer: messages a crash left unacknowledged come back at once on restart.
const queue = await createEmbeddedQueue(db, { exclusive: true, logger: serviceLogger('queue') });

const gatewayConfig = parseConfig(gatewayConfigSchema, {
  ...process.env,
  PORT: String(config.GATEWAY_PORT),
  HOST: config.HOST,
  INVENTORY_URL: local(config.INVENTORY_PORT),
  BILLING_URL: local(config.BILLING_PORT),
});

const inventory = await createInventoryService({ db: sharedDb, logger: serviceLogger('inventory') });
const billing = await createBillingService({
  db: sharedDb,
  queue,
  logger: serviceLogger('billing'),
  closeDependencies: false,
});
const gateway = await createGatewayService({ config: gatewayConfig, queue, logger: serviceLogger('gateway') });

await inventory.start(config.INVENTORY_PORT, config.HOST);
await billing.start(config.BILLING_PORT, config.HOST);
await gateway.start(config.GATEWAY_PORT, config.HOST);

exitOnSignal(logger, config.SHUTDOWN_TIMEOUT_MS, () =>
  closeInOrder(
    [() => gateway.close(), () => billing.close(), () => inventory.close(), () => queue.close(), () => db.close()],
    logger,
  ),
);

const api = local(config.GATEWAY_PORT);
process.stderr.write(
  [
    '',
    'Shipshape is running (embedded mode: one process, PGlite, embedded queue)',
    `  API            ${api}/api/movies, ${api}/api/billing, ${api}/api/orders`,
    `  API docs       ${api}/docs`,
    `  health         ${api}/health, ${api}/ready, ${api}/metrics`,
    `  data           ${dataDir}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
