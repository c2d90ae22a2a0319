import { statusSchema, type ServiceStatus } from '@shipshape/contracts';
import { messageOf, SERVICE_VERSION, withTimeout, type AppServer } from '@shipshape/platform';
import type { Upstream } from '../upstream.js';
import { clientErrors } from './schemas.js';

export interface StatusOptions {
  /** Every service behind the gateway, in the order the overview lists them. */
  upstreams: readonly Upstream[];
  /** The gateway's own dependency (the broker), checked as its `/ready` does. */
  queueCheck: () => Promise<void>;
  /** Longest wait for any one service: a hanging one is `down` after this, the others still answer. */
  timeoutMs: number;
}

interface ReadyBody {
  version?: unknown;
  checks?: unknown;
}

function parseReady(body: Buffer | string | undefined): ReadyBody {
  try {
    const parsed: unknown = JSON.parse(String(body ?? ''));
    return typeof parsed === 'object' && parsed !== null ? (parsed as ReadyBody) : {};
  } catch {
    return {};
  }
}

function checksOf(body: ReadyBody): Record<string, string> {
  if (typeof body.checks !== 'object' || body.checks === null) return {};
  return Object.fromEntries(Object.entries(body.checks).map(([name, value]) => [name, String(value)]));
}

/** One service's `/ready`, asked with a bound: never rejects, a failure is its `down` state. */
async function statusOf(upstream: Upstream, timeoutMs: number): Promise<ServiceStatus> {
  const started = performance.now();
  try {
    const answer = await withTimeout(
      upstream.get('/ready', {}),
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms`),
    );
    const latencyMs = Math.round(performance.now() - started);
    const body = parseReady(answer.body);
    const checks = checksOf(body);
    const version = typeof body.version === 'string' ? body.version : null;
    if (answer.statusCode === 200) return { name: upstream.name, state: 'up', version, checks, latencyMs, error: null };
    const failing = Object.entries(checks).filter(([, result]) => result !== 'ok');
    const error =
      failing.length > 0
        ? failing.map(([name, result]) => `${name}: ${result}`).join('; ')
        : `/ready answered ${answer.statusCode}`;
    const state = answer.statusCode === 503 ? 'not ready' : 'down';
    return { name: upstream.name, state, version, checks, latencyMs, error };
  } catch (error) {
    return { name: upstream.name, state: 'down', version: null, checks: {}, latencyMs: null, error: messageOf(error) };
  }
}

/**
 * `GET /api/status`: the dashboard's overview of every service, asked in parallel, so the answer comes
 * within `timeoutMs` however many services hang.
 */
export function registerStatusRoute(app: AppServer, { upstreams, queueCheck, timeoutMs }: StatusOptions): void {
  app.get(
    '/api/status',
    {
      schema: {
        tags: ['status'],
        summary: 'Every service’s state',
        description:
          'Each service’s `/ready` as the gateway sees it, asked in parallel: `up` (ready), `not ready` (it ' +
          'answers, a dependency of its own does not; `error` says which) or `down` (no answer within ' +
          `the bound, ${timeoutMs} ms by default: STATUS_TIMEOUT_MS), with its version. The gateway is first.`,
        response: { 200: statusSchema, 429: clientErrors[429] },
      },
    },
    async () => {
      const gatewayStarted = performance.now();
      const [queue, ...services] = await Promise.all([
        withTimeout(queueCheck(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`)).then(
          () => null,
          (error: unknown) => messageOf(error),
        ),
        ...upstreams.map((upstream) => statusOf(upstream, timeoutMs)),
      ]);
      const gateway: ServiceStatus = {
        name: 'gateway',
        state: queue === null ? 'up' : 'not ready',
        version: SERVICE_VERSION,
        checks: { queue: queue ?? 'ok' },
        latencyMs: Math.round(performance.now() - gatewayStarted),
        error: queue === null ? null : `queue: ${queue}`,
      };
      return { checkedAt: new Date().toISOString(), services: [gateway, ...services] };
    },
  );
}
