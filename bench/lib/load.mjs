import autocannon from 'autocannon';
import { LatencyHistogram } from './histogram.mjs';
import { formatCount } from './progress.mjs';

/**
 * Runs autocannon once and answers what the report needs. `perSecond` counts only 2xx answers: a
 * 4xx, 5xx, timeout or socket error is counted apart (non2xx, errors) and reported, never as done work.
 *
 * options: url, connections, and either durationSeconds or amount; optional method, path, body,
 * headers, requests (a list of autocannon requests that each connection walks in turn, see below),
 * onSuccess(time) per 2xx.
 *
 * autocannon starts every connection at the head of its request list, so 50 connections walking one
 * list ask for the same movie at the same moment, and a service that merges identical lookups would
 * look better than it is (seen here: five requests per distinct id). With a list, each connection is
 * therefore an autocannon instance of its own that starts at a different place in the list.
 *
 * `perConnection` (instead of `requests`) gives each connection options of its own, as a list with
 * one entry per connection: its `requests`, `headers` (a voter's cookie, say) and, with `amount`, its
 * own `amount` (then `amount` is the sum, for the progress line). Each is an autocannon instance of
 * one connection, so no two connections share a request list.
 */
export async function runLoad({
  label,
  phase,
  progress,
  onSuccess,
  durationSeconds,
  amount,
  requests,
  perConnection,
  ...options
}) {
  const connections = perConnection?.length ?? options.connections ?? 10;
  const spread = requests && requests.length > 1 && connections > 1 && !amount;
  const shares = perConnection
    ? perConnection.map((share) => ({ ...share, connections: 1 }))
    : spread
      ? Array.from({ length: connections }, (_, index) => ({
          connections: 1,
          requests: rotate(requests, Math.floor((index * requests.length) / connections)),
        }))
      : [{ connections, requests }];

  const latencies = new LatencyHistogram();
  let answeredThisSecond = 0;
  const instances = shares.map(({ amount: shareAmount, ...share }) => {
    const instance = autocannon({
      pipelining: 1,
      timeout: 10,
      ...options,
      ...share,
      ...(shareAmount || amount ? { amount: shareAmount ?? amount } : { duration: durationSeconds }),
    });
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      answeredThisSecond += 1;
      if (statusCode < 200 || statusCode >= 300) return;
      latencies.record(responseTimeMs);
      onSuccess?.(Date.now());
    });
    return instance;
  });

  let seconds = 0;
  let answered = 0;
  const ticker = setInterval(() => {
    seconds += 1;
    answered += answeredThisSecond;
    const position = amount ? `${formatCount(answered)}/${formatCount(amount)}` : `${seconds}s/${durationSeconds}s`;
    progress?.update(
      `  ${label.padEnd(14)} ${phase.padEnd(10)} ${position.padStart(15)}  ${formatCount(answeredThisSecond)} req/s`,
    );
    answeredThisSecond = 0;
  }, 1_000);
  let results;
  try {
    results = await Promise.all(instances);
  } finally {
    clearInterval(ticker);
  }

  const statusCodes = {};
  for (const result of results) {
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
    }
  }
  const sum = (field) => results.reduce((total, result) => total + (result[field] ?? 0), 0);
  const ok = sum('2xx');
  const duration = Math.max(...results.map((result) => result.duration));
  return {
    ok,
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    statusCodes,
    durationSeconds: duration,
    perSecond: duration > 0 ? ok / duration : 0,
    // Latency of the 2xx answers, the ones perSecond counts.
    p50Ms: latencies.percentile(0.5),
    p99Ms: latencies.percentile(0.99),
  };
}

function rotate(list, start) {
  return [...list.slice(start), ...list.slice(0, start)];
}

/** A short description of what went wrong in a run, or '' when every answer was 2xx. */
export function describeFailures(run) {
  const parts = [];
  const bad = Object.entries(run.statusCodes).filter(([code]) => !code.startsWith('2'));
  if (bad.length) parts.push(bad.map(([code, count]) => `${formatCount(count)}×${code}`).join(' '));
  if (run.errors) parts.push(`${formatCount(run.errors)} errors${run.timeouts ? ` (${run.timeouts} timeouts)` : ''}`);
  return parts.join(', ');
}
