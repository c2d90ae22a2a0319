/**
 * The services of the local modes, in the order they start (the gateway last, once its upstreams
 * listen; stopping goes the other way). Both launchers are driven by this list alone: adding a
 * service to `npm start` and `npm run start:native` is one entry here (docs/adding-a-service.md).
 */
import { billingConfigSchema, createBillingService } from '@shipshape/billing';
import { LOCAL_PORTS, type ServiceName } from '@shipshape/contracts';
import type { Db } from '@shipshape/db';
import { createGatewayService, gatewayConfigSchema } from '@shipshape/gateway';
import { createInventoryService, inventoryConfigSchema } from '@shipshape/inventory';
import {
  env,
  METRICS_PORT_OFFSET,
  parseConfig,
  type Logger,
  type Service,
  type ServiceDeps,
} from '@shipshape/platform';
import type { MessageQueue } from '@shipshape/queue';
import { createPredictService, predictConfigSchema } from '@shipshape/predict';
import { createResultService, resultConfigSchema } from '@shipshape/result';
import { createSystemService, systemConfigSchema } from '@shipshape/system';
import { createVoteService, voteConfigSchema } from '@shipshape/vote';
import type { VoteLog } from '@shipshape/votelog';
import { createWorkerService, workerConfigSchema } from '@shipshape/worker';
import { z } from 'zod';

/**
 * What a service may need from outside. The embedded mode gives each the one PGlite database and the
 * queue and vote log kept in it; the native mode gives `db` a PostgreSQL database (`DATABASE_URL`),
 * `queue` the broker (`AMQP_URL`) and `voteLog` Redis (`REDIS_URL`).
 */
export interface LocalConnections {
  db: Db;
  queue: MessageQueue;
  voteLog: VoteLog;
}
export type Need = keyof LocalConnections;

export interface ServiceEntry {
  /** Its folder under `services/` (where the native mode finds `dist/main.js`) and its log name. */
  name: ServiceName;
  needs: readonly Need[];
  /** The database it keeps its data in, when it shares one with another service; else its name. */
  database?: string;
  /** The public paths it serves through the gateway, for the start-up banner. */
  paths: readonly string[];
  /** Builds it in this process from `env` and the connections it needs (the embedded mode). */
  embed(env: NodeJS.ProcessEnv, connections: LocalConnections, logger: Logger): Promise<Service>;
}

function defineService<Config, N extends Need>(definition: {
  name: ServiceName;
  needs: readonly N[];
  database?: string;
  paths: readonly string[];
  configSchema: z.ZodType<Config>;
  create(deps: ServiceDeps<Config, Pick<LocalConnections, N>>): Promise<Service>;
}): ServiceEntry {
  const { name, needs, database, paths, configSchema, create } = definition;
  return {
    name,
    needs,
    ...(database === undefined ? {} : { database }),
    paths,
    embed(environment, connections, logger) {
      const given = Object.fromEntries(needs.map((need) => [need, connections[need]])) as Pick<LocalConnections, N>;
      return create({ config: parseConfig(configSchema, environment), logger, ...given });
    },
  };
}

export const services: readonly ServiceEntry[] = [
  defineService({
    name: 'inventory',
    needs: ['db'],
    paths: ['/api/movies'],
    configSchema: inventoryConfigSchema,
    create: createInventoryService,
  }),
  defineService({
    name: 'billing',
    needs: ['db', 'queue'],
    paths: ['/api/billing', '/api/orders'],
    configSchema: billingConfigSchema,
    create: createBillingService,
  }),
  defineService({
    name: 'vote',
    needs: ['voteLog'],
    paths: ['/api/poll', '/api/votes'],
    configSchema: voteConfigSchema,
    create: createVoteService,
  }),
  // The worker writes the votes database and result reads it: one database for both.
  defineService({
    name: 'worker',
    needs: ['db', 'voteLog'],
    database: 'votes',
    paths: [],
    configSchema: workerConfigSchema,
    create: createWorkerService,
  }),
  defineService({
    name: 'result',
    needs: ['db'],
    database: 'votes',
    paths: ['/api/results', '/api/results/stream'],
    configSchema: resultConfigSchema,
    create: createResultService,
  }),
  defineService({
    name: 'system',
    needs: [],
    paths: ['/api/system', '/api/system/stream', '/api/system/hogs'],
    configSchema: systemConfigSchema,
    create: createSystemService,
  }),
  defineService({
    name: 'predict',
    needs: [],
    paths: ['/api/predict', '/api/predict/model'],
    configSchema: predictConfigSchema,
    create: createPredictService,
  }),
  defineService({
    name: 'gateway',
    needs: ['queue'],
    paths: ['/docs', '/health', '/ready'],
    configSchema: gatewayConfigSchema,
    create: createGatewayService,
  }),
];

/**
 * What every service of the native mode gets unless the environment sets it: a queue of its own, so
 * that the native mode does not share `billing_queue` (or the `votes` stream) with whatever else uses this machine's broker
 * (a compose stack publishing to it, another checkout).
 */
export const nativeDefaults: Record<string, string> = {
  BILLING_QUEUE: 'shipshape_native.billing_queue',
  VOTE_STREAM: 'shipshape_native.votes',
};

/** `inventory` → `INVENTORY`, the prefix of its variables in the launchers (`INVENTORY_PORT`, …). */
export const envPrefix = (name: string) => name.toUpperCase().replace(/-/g, '_');

/**
 * `<NAME>_PORT` and `<NAME>_METRICS_PORT` of every service, defaulting to its local port and that
 * port plus `METRICS_PORT_OFFSET` (0 takes any free port).
 */
export const portVariables = Object.fromEntries(
  services.flatMap((service) => [
    [`${envPrefix(service.name)}_PORT`, env.port(LOCAL_PORTS[service.name])],
    [
      `${envPrefix(service.name)}_METRICS_PORT`,
      z.coerce
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(LOCAL_PORTS[service.name] + METRICS_PORT_OFFSET),
    ],
  ]),
);

/** The dashboard's port and files in both local modes (webFront.ts). */
export const webVariables = {
  WEB_PORT: env.port(8080),
  WEB_DIST_DIR: z.string().min(1).optional(),
};

/**
 * What every service of a local mode is started with: where it listens, and `<NAME>_URL` for every
 * service, which is how the gateway finds its upstreams.
 */
export function localEnvironment(
  service: ServiceEntry,
  ports: Record<string, number>,
  host: string,
): Record<string, string> {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host;
  const port = (name: string) => ports[`${envPrefix(name)}_PORT`]!;
  return {
    ...Object.fromEntries(
      services.map((other) => [`${envPrefix(other.name)}_URL`, `http://${reachable}:${port(other.name)}`]),
    ),
    PORT: String(port(service.name)),
    METRICS_PORT: String(ports[`${envPrefix(service.name)}_METRICS_PORT`]),
    HOST: host,
  };
}
