import type { Logger } from 'pino';

export type Closer = () => Promise<void>;

/**
 * Runs closers in order (stop accepting → finish in-flight work → close pools), going on past a
 * failing one so that a broken channel does not keep a database pool open.
 */
export async function closeInOrder(closers: Closer[], logger?: Logger): Promise<void> {
  let firstError: unknown;
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      logger?.error({ err: error }, 'error while closing');
      firstError ??= error;
    }
  }
  if (firstError) throw firstError;
}

/**
 * On SIGTERM or SIGINT, runs `close` and exits 0; exits 1 if it fails or takes longer than
 * `timeoutMs`. A second signal exits at once, for the operator who really means it.
 */
export function exitOnSignal(logger: Logger, timeoutMs: number, close: Closer): void {
  let closingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closingSince !== undefined) {
      // One Ctrl-C under `npm start` arrives twice (from the terminal, and forwarded by npm): only a
      // signal that comes later is the operator insisting.
      if (Date.now() - closingSince < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    closingSince = Date.now();
    logger.info({ signal, timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
