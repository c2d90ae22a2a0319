import { destination, pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Past this many characters gathered in one turn, they are written at once rather than at its end. */
const MAX_PENDING = 64 * 1024;

/**
 * Every logger of the process writes to stdout through this: the lines of one event-loop turn are
 * gathered and handed to pino's own stdout destination (synchronous, safe with pipes) in one write
 * when the turn is over. At `info` every request logs a line, and a write per line measured 13 µs
 * more CPU per request in the gateway and 6 µs in inventory (movies.get, docs/performance.md). One
 * buffer for the process, because the embedded mode runs several services' loggers side by side.
 */
let turnBufferedStdout: DestinationStream | undefined;

function processStdout(): DestinationStream {
  if (!turnBufferedStdout) {
    const stdout = destination({ dest: 1, sync: true });
    let pending = '';
    const flush = () => {
      if (pending === '') return;
      const text = pending;
      pending = '';
      stdout.write(text);
    };
    // A line logged just before `process.exit` (a fatal error, the end of a shutdown) is still written.
    process.on('exit', flush);
    turnBufferedStdout = {
      write(line: string) {
        if (pending === '') setImmediate(flush);
        pending += line;
        if (pending.length > MAX_PENDING) flush();
      },
    };
  }
  return turnBufferedStdout;
}

/** JSON lines on stdout, one `service` field per line so the logs of the embedded mode stay apart. */
export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    processStdout(),
  );
}
