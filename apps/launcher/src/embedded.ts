/**
 * Embedded mode: every service of the registry in one Node process, on one embedded PostgreSQL
 * (PGlite, persisted in a data directory) that also holds the queue and the vote log. Same ports and API as the other
 * modes; needs nothing but Node.js. The launcher creates the database and the queue, so it closes
 * them, after every service (docs/adding-a-service.md, the lifecycle rule).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { createPgliteDb } from '@shipshape/db/pglite';
import { closeInOrder, createLogger, env, exitOnSignal, loadConfig, type Service } from '@shipshape/platform';
import { createEmbeddedQueue } from '@shipshape/queue';
import { createEmbeddedVoteLog, VOTE_GROUP, VOTE_STREAM } from '@shipshape/votelog';
import { localEnvironment, portVariables, services, webVariables } from './registry.js';
import { startWebFront, type WebFront } from './webFront.js';

const config = loadConfig(
  z.object({
    SHIPSHAPE_DATA_DIR: z.string().min(1).default('.data/embedded'),
    ...portVariables,
    ...webVariables,
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: env.logLevel(),
    SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
  }),
);
const ports = config as unknown as Record<string, number>;
const logger = createLogger('launcher', config.LOG_LEVEL);
const serviceLogger = (service: string) => createLogger(service, config.LOG_LEVEL);

const dataDir = path.resolve(config.SHIPSHAPE_DATA_DIR);
await mkdir(dataDir, { recursive: true });
process.stderr.write(`Starting the embedded database in ${dataDir} …\n`);
const db = await createPgliteDb(dataDir);
// This process is the only consumer: messages a crash left unacknowledged come back at once on restart.
const queue = await createEmbeddedQueue(db, { exclusive: true, logger: serviceLogger('queue') });
const voteLog = await createEmbeddedVoteLog(db, { key: VOTE_STREAM, group: VOTE_GROUP });

const started: Service[] = [];
let web: (WebFront & { url: string }) | undefined;
// The gateway, last in the registry, stops first: no request reaches a service that has gone.
const stopAll = () =>
  closeInOrder(
    [
      async () => web?.close(),
      ...started.map((service) => () => service.close()).reverse(),
      () => queue.close(),
      () => voteLog.close(),
      () => db.close(),
    ],
    logger,
  );

try {
  for (const entry of services) {
    const local = localEnvironment(entry, ports, config.HOST);
    const environment = { ...process.env, LOG_LEVEL: config.LOG_LEVEL, ...local };
    const service = await entry.embed(environment, { db, queue, voteLog }, serviceLogger(entry.name));
    started.push(service);
    const url = await service.start(Number(local.PORT), config.HOST);
    serviceLogger(entry.name).info({ url, metrics: service.app.metricsUrl() }, `${entry.name} listening`);
  }
  web = await startWebFront(
    config,
    localEnvironment(services[0]!, ports, config.HOST).GATEWAY_URL!,
    serviceLogger('web'),
  );
} catch (error) {
  logger.fatal({ err: error }, 'embedded mode failed to start');
  await stopAll().catch(() => {});
  process.exit(1);
}
exitOnSignal(logger, config.SHUTDOWN_TIMEOUT_MS, stopAll);

const api = localEnvironment(services[0]!, ports, config.HOST).GATEWAY_URL;
process.stderr.write(
  [
    '',
    'Shipshape is running (embedded mode: one process, PGlite, embedded queue and vote log)',
    ...(web ? [`  dashboard      ${web.url}`] : []),
    ...services.flatMap((entry) =>
      entry.paths.length > 0 ? [`  ${entry.name.padEnd(14)} ${entry.paths.map((p) => `${api}${p}`).join(', ')}`] : [],
    ),
    `  metrics        ${started.map((service) => service.app.metricsUrl()).join(', ')}`,
    `  data           ${dataDir}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n'),
);
