import { destination, pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { createBatcher } from './batcher.js';

export type { Logger };

/** Past this many lines gathered in one turn, they are written at once rather than at its end. */
const MAX_LINES_PER_WRITE = 256;

/**
 * Every logger of the process writes to stdout through this: the lines of one event-loop turn are
 * handed to pino's own stdout destination (synchronous, safe with pipes) in one write when the turn is
 * over, since a write per line was a measurable share of a request's CPU at `info`
 * (docs/decisions/0005-one-write-log-batching.md). One buffer for the process, because the embedded
 * mode runs several services' loggers side by side.
 */
let turnBufferedStdout: DestinationStream | undefined;

function processStdout(): DestinationStream {
  if (!turnBufferedStdout) {
    const stdout = destination({ dest: 1, sync: true });
    const lines = createBatcher<string>({
      send: (batch) => void stdout.write(batch.join('')),
      maxBatchSize: MAX_LINES_PER_WRITE,
    });
    // A line logged just before `process.exit` (a fatal error, the end of a shutdown) is still written.
    process.on('exit', () => lines.flush());
    turnBufferedStdout = { write: (line: string) => lines.add(line) };
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
