import autocannon from 'autocannon';
import { LatencyHistogram } from './histogram.mjs';
import { formatCount } from './progress.mjs';

/**
 * Runs autocannon once and answers what the report needs. `perSecond` counts only 2xx answers: a
 * 4xx, 5xx, timeout or socket error is counted apart (non2xx, errors) and reported, never as done work.
 *
 * options: url, connections, and either durationSeconds or amount; optional method, path, body,
 * headers, requests (autocannon request list, e.g. with setupRequest), onSuccess(time) per 2xx.
 */
export async function runLoad({ label, phase, progress, onSuccess, durationSeconds, amount, ...options }) {
  const instance = autocannon({
    pipelining: 1,
    timeout: 10,
    ...options,
    ...(amount ? { amount } : { duration: durationSeconds }),
  });
  let seconds = 0;
  let answered = 0;
  instance.on('tick', ({ counter }) => {
    seconds += 1;
    answered += counter;
    const position = amount ? `${formatCount(answered)}/${formatCount(amount)}` : `${seconds}s/${durationSeconds}s`;
    progress?.update(
      `  ${label.padEnd(14)} ${phase.padEnd(10)} ${position.padStart(15)}  ${formatCount(counter)} req/s`,
    );
  });
  const latencies = new LatencyHistogram();
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode < 200 || statusCode >= 300) return;
    latencies.record(responseTimeMs);
    onSuccess?.(Date.now());
  });
  const result = await instance;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
  );
  const ok = result['2xx'];
  return {
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    durationSeconds: result.duration,
    perSecond: result.duration > 0 ? ok / result.duration : 0,
    // Latency of the 2xx answers, the ones perSecond counts.
    p50Ms: latencies.percentile(0.5),
    p99Ms: latencies.percentile(0.99),
  };
}

/** A short description of what went wrong in a run, or '' when every answer was 2xx. */
export function describeFailures(run) {
  const parts = [];
  const bad = Object.entries(run.statusCodes).filter(([code]) => !code.startsWith('2'));
  if (bad.length) parts.push(bad.map(([code, count]) => `${formatCount(count)}×${code}`).join(' '));
  if (run.errors) parts.push(`${formatCount(run.errors)} errors${run.timeouts ? ` (${run.timeouts} timeouts)` : ''}`);
  return parts.join(', ');
}
