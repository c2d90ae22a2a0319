import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON lines on stdout, one `service` field per line so the logs of the embedded mode stay apart. */
export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
