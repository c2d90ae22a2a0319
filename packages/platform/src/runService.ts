import type { z } from 'zod';
import { loadConfig, type BaseServiceConfig } from './config.js';
import { ServiceUnavailableError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import type { Service } from './server.js';
import { closeInOrder, exitOnSignal } from './shutdown.js';
import { backoffDelay } from './signal.js';
import { settlesWithin } from './timeouts.js';

/** Longest wait for one connection to close before it is abandoned. */
const CONNECTION_CLOSE_TIMEOUT_MS = 2_000;

/** A connection a service is given: a database pool, a broker connection, a cache client. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * What every `create<Name>Service` takes: its parsed config, a logger, and the connections it is
 * given. The lifecycle rule (docs/adding-a-service.md): whoever creates a connection closes it, so a
 * service's `close()` stops its own work and never closes what it was given.
 */
export type ServiceDeps<Config, C extends object = Record<never, never>> = {
  config: Config;
  logger: Logger;
} & C;

/** The connections part of a service's dependencies: everything but its config and logger. */
export type ConnectionsOf<Deps> = Omit<Deps, 'config' | 'logger'>;

export interface ServiceDefinition<Config extends BaseServiceConfig, Deps extends ServiceDeps<unknown>> {
  /** The service's name: its `service` field in logs and metrics. */
  name: string;
  /** Its whole environment as a process of its own: its settings and those of its connections. */
  configSchema: z.ZodType<Config>;
  /** Opens the connections the service is given; `runService` closes them after the service. */
  connect(config: NoInfer<Config>, logger: Logger): ConnectionsOf<Deps> | Promise<ConnectionsOf<Deps>>;
  create(deps: Deps): Promise<Service>;
}

/**
 * A service's `main.ts`: config, logger, connections, service, signal handler, start, one
 * "<name> listening" line; any failure on the way is logged as fatal and exits 1 after closing what
 * was opened (an orchestrator restarts the process).
 */
export async function runService<Config extends BaseServiceConfig, Deps extends ServiceDeps<unknown>>(
  definition: ServiceDefinition<Config, Deps> &
    // The parsed environment must hold every setting the service reads.
    (Config extends Deps['config'] ? unknown : { configSchema: 'lacks settings that create() reads' }),
): Promise<void> {
  const { name } = definition;
  const config = loadConfig(definition.configSchema);
  const logger = createLogger(name, config.LOG_LEVEL);
  let connections: Record<string, Closable> | undefined;
  let service: Service | undefined;
  // Connections close in the reverse order of their opening, after the service that uses them. One
  // whose peer does not answer (a partitioned broker) is abandoned after a bound of its own, so that the
  // process still exits 0 within SHUTDOWN_TIMEOUT_MS.
  const closeBoundMs = Math.max(100, Math.min(CONNECTION_CLOSE_TIMEOUT_MS, config.SHUTDOWN_TIMEOUT_MS / 4));
  const closeConnections = () =>
    closeInOrder(
      Object.entries(connections ?? {})
        .reverse()
        .map(
          ([key, connection]) =>
            () =>
              closeWithin(key, connection, closeBoundMs, logger),
        ),
      logger,
    );
  const closeAll = () => closeInOrder([async () => service?.close(), closeConnections], logger);
  // On a signal, first SHUTDOWN_DELAY_MS of serving while /ready says 503, so that routing stops
  // sending here before the server stops accepting (a rolling update then fails no request).
  const drainThenCloseAll = async () => {
    if (service && config.SHUTDOWN_DELAY_MS > 0) {
      service.app.drain();
      logger.info({ delayMs: config.SHUTDOWN_DELAY_MS }, 'draining: not ready, still serving');
      await new Promise((resolve) => setTimeout(resolve, config.SHUTDOWN_DELAY_MS));
    }
    await closeAll();
  };

  exitOnSignal(logger, config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS, drainThenCloseAll);
  try {
    const opened = await definition.connect(config, logger);
    connections = opened as Record<string, Closable>;
    service = await createWhenReachable(
      () => definition.create({ config, logger, ...opened } as unknown as Deps),
      config.STARTUP_TIMEOUT_MS,
      logger,
    );
    const url = await service.start(config.PORT, config.HOST);
    logger.info({ url, metrics: service.app.metricsUrl() }, `${name} listening`);
  } catch (error) {
    const target = targetOf(error);
    const message = target
      ? `${name} failed to start: ${target} did not answer within ${config.STARTUP_TIMEOUT_MS} ms`
      : `${name} failed to start`;
    logger.fatal({ err: error, target }, message);
    await closeAll().catch(() => {});
    process.exit(1);
  }
}

/** Where an unavailable dependency was looked for (a redacted URL), when the error says. */
function targetOf(error: unknown): string | undefined {
  const target = (error as { target?: unknown } | undefined)?.target;
  return error instanceof ServiceUnavailableError && typeof target === 'string' ? target : undefined;
}

/**
 * Builds the service, trying again with backoff while a dependency it needs at start (the database of
 * its migrations) cannot be reached, for up to `timeoutMs`: containers and processes start in any
 * order. Any other failure (a wrong password, a bad migration) stops at once.
 */
async function createWhenReachable(create: () => Promise<Service>, timeoutMs: number, logger: Logger) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await create();
    } catch (error) {
      const left = deadline - Date.now();
      if (!(error instanceof ServiceUnavailableError) || left <= 0) throw error;
      // The last attempt falls on the deadline itself, so the service waits the whole time it was given.
      const retryInMs = Math.min(backoffDelay(250, 5_000, attempt), left);
      const target = targetOf(error) ?? 'a dependency';
      logger.warn({ attempt, retryInMs, target, reason: error.message }, `waiting for ${target}`);
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}

async function closeWithin(name: string, connection: Closable, ms: number, logger: Logger): Promise<void> {
  if (!(await settlesWithin(connection.close(), ms))) {
    logger.warn({ connection: name, timeoutMs: ms }, 'a connection did not close in time; abandoned');
  }
}
