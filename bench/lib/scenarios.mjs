import { setTimeout as sleep } from 'node:timers/promises';
import { perUnit } from './cpu.mjs';
import { orderBody } from './fixtures.mjs';
import { postUntilCounted } from './endToEnd.mjs';
import { describeFailures, runLoad } from './load.mjs';
import { formatCount } from './progress.mjs';
import { measureResultsFanout, measureVotesEndToEnd, votersPerClient } from './votes.mjs';

const jsonHeaders = { 'content-type': 'application/json' };
/** Instances per request of predict.batch. */
const PREDICT_BATCH = 100;

/**
 * The scenarios in the order they run. Each `run(ctx)` answers { perSecond, p50Ms, p99Ms, ... }; the
 * ratio to the ceiling is added by the caller. `needs` lists what must be there for it to run.
 */
export const scenarios = [
  {
    name: 'ceiling',
    unit: 'requests',
    description: 'bare node:http server in a child process answering a fixed JSON body',
    // The processes whose CPU time this scenario is charged with.
    involves: ['loadGenerator', 'ceilingServer'],
    needs: [],
    run: (ctx) => measureHttp(ctx, 'ceiling', { url: ctx.ceilingUrl }),
  },
  {
    name: 'movies.get',
    unit: 'requests',
    description: 'GET /api/movies/:id through the gateway, ids spread over the seeded movies',
    involves: ['loadGenerator', 'gateway', 'inventory', 'postgres'],
    needs: ['gateway', 'movies'],
    run: (ctx) => {
      const { ids } = ctx.movies;
      // A prime stride walks every id in a scrambled order. The requests are built once: a
      // setupRequest per request would cost the load generator more than the ceiling's whole request.
      const paths = ids.map((_, index) => `/api/movies/${ids[(index * 7919) % ids.length]}`);
      return measureHttp(ctx, 'movies.get', { url: ctx.stack.gatewayUrl, requests: () => getRequests(paths) });
    },
  },
  {
    name: 'movies.search',
    unit: 'requests',
    description: 'GET /api/movies?title=<word> through the gateway, each term matching 1 in 50 of the seeded movies',
    involves: ['loadGenerator', 'gateway', 'inventory', 'postgres'],
    needs: ['gateway', 'movies'],
    run: (ctx) => {
      const paths = ctx.movies.searchTerms.map((term) => `/api/movies?title=${encodeURIComponent(term)}`);
      return measureHttp(ctx, 'movies.search', { url: ctx.stack.gatewayUrl, requests: () => getRequests(paths) });
    },
  },
  {
    name: 'orders.accept',
    unit: 'orders',
    description: 'POST /api/billing answered 202 (broker confirmed) per second',
    involves: ['loadGenerator', 'gateway', 'rabbitmq'],
    needs: ['gateway'],
    run: (ctx) =>
      measureHttp(ctx, 'orders.accept', {
        url: `${ctx.stack.gatewayUrl}/api/billing`,
        method: 'POST',
        headers: jsonHeaders,
        body: orderBody,
      }),
  },
  {
    name: 'orders.e2e',
    unit: 'orders',
    description: 'N orders posted, until all are stored in PostgreSQL: orders per second, accepted→stored latency',
    involves: ['loadGenerator', 'gateway', 'rabbitmq', 'billing', 'postgres'],
    needs: ['gateway', 'orderCounter'],
    run: measureOrdersEndToEnd,
  },
  {
    name: 'votes.accept',
    unit: 'votes',
    description: 'POST /api/votes answered 202 (fsynced in Redis) per second, each connection a voter',
    involves: ['loadGenerator', 'gateway', 'vote', 'redis', 'worker', 'result', 'postgres'],
    needs: ['gateway', 'poll'],
    run: (ctx) =>
      measureHttp(ctx, 'votes.accept', {
        url: ctx.stack.gatewayUrl,
        setupClient: votersPerClient(ctx.poll.optionIds),
      }),
  },
  {
    name: 'votes.e2e',
    unit: 'votes',
    description: 'N votes of N voters posted, until GET /api/results counts all: votes per second',
    involves: ['loadGenerator', 'gateway', 'vote', 'redis', 'worker', 'result', 'postgres'],
    needs: ['gateway', 'poll'],
    run: measureVotesEndToEnd,
  },
  {
    name: 'results.fanout',
    unit: 'events',
    description: 'clients on GET /api/results/stream; a vote: ms from its 202 until every client has it',
    // A latency, not a rate: no ratio, so no ceiling run before it.
    ratio: false,
    involves: ['loadGenerator', 'gateway', 'vote', 'redis', 'worker', 'result', 'postgres'],
    needs: ['gateway', 'poll'],
    run: measureResultsFanout,
  },
  {
    name: 'predict.one',
    unit: 'predictions',
    description: 'POST /api/predict with { features }, one penguin per request, through the gateway',
    involves: ['loadGenerator', 'gateway', 'predict'],
    needs: ['gateway', 'predictInstances'],
    run: (ctx) =>
      measureHttp(ctx, 'predict.one', {
        url: ctx.stack.gatewayUrl,
        requests: () =>
          postRequests(
            '/api/predict',
            ctx.predict.instances.map((features) => ({ features })),
          ),
      }),
  },
  {
    name: 'predict.batch',
    unit: 'instances',
    description: `POST /api/predict with { instances } of ${PREDICT_BATCH}, through the gateway: instances per second`,
    involves: ['loadGenerator', 'gateway', 'predict'],
    needs: ['gateway', 'predictInstances'],
    run: async (ctx) => {
      const { instances } = ctx.predict;
      // Ten different batches, each a window of the instance list.
      const bodies = Array.from({ length: 10 }, (_, batch) => ({
        instances: Array.from(
          { length: PREDICT_BATCH },
          (_, index) => instances[(batch * 37 + index) % instances.length],
        ),
      }));
      const run = await measureHttp(ctx, 'predict.batch', {
        url: ctx.stack.gatewayUrl,
        requests: () => postRequests('/api/predict', bodies),
      });
      // Counted per instance, the scenario's unit: the rate, and the CPU time of each process.
      const { cpuMicrosPerRequest, ...rest } = run;
      return {
        ...rest,
        perSecond: run.perSecond * PREDICT_BATCH,
        requestsPerSecond: run.perSecond,
        cpuMicrosPerInstance:
          cpuMicrosPerRequest &&
          Object.fromEntries(
            Object.entries(cpuMicrosPerRequest).map(([group, micros]) => [
              group,
              Math.round((micros * 10) / PREDICT_BATCH) / 10,
            ]),
          ),
      };
    },
  },
];

/** POST requests of JSON bodies for autocannon, built once, walked like getRequests'. */
function postRequests(path, bodies) {
  return bodies.map((body) => ({ method: 'POST', path, headers: jsonHeaders, body: JSON.stringify(body) }));
}

/** GET requests for autocannon, built once; each connection walks the list from its own place in it (load.mjs). */
function getRequests(paths) {
  return paths.map((path) => ({ method: 'GET', path }));
}

/** Warm-up, then the measured run; both through autocannon in this process. */
async function measureHttp(ctx, label, { requests, perConnection, ...load }) {
  const { options, progress } = ctx;
  const common = { label, progress, connections: options.connections, ...load };
  if (options.warmup > 0) {
    await runLoad({
      ...common,
      phase: 'warm-up',
      durationSeconds: options.warmup,
      requests: requests?.(),
      perConnection: perConnection?.(),
    });
  }
  await ctx.cpu.start();
  const run = await runLoad({
    ...common,
    phase: 'measuring',
    durationSeconds: options.duration,
    requests: requests?.(),
    perConnection: perConnection?.(),
  });
  const cpuSeconds = await ctx.cpu.stop(ctx.scenario.involves);
  return {
    perSecond: run.perSecond,
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    ok: run.ok,
    non2xx: run.non2xx,
    errors: run.errors,
    durationSeconds: run.durationSeconds,
    cpuMicrosPerRequest: perUnit(cpuSeconds, run.ok + run.non2xx),
    notes: describeFailures(run),
  };
}

/**
 * Posts `options.orders` orders through the gateway as fast as it takes them, and polls the stored
 * count until every accepted order is there. perSecond = accepted / (last stored − first posted).
 * p50/p99: per order, from its 202 to the first poll that saw it stored, pairing the k-th 202 with the
 * k-th stored order (the queue is first in, first out) — as fine as the poll interval.
 */
async function measureOrdersEndToEnd(ctx) {
  const { options, progress, orderCounter } = ctx;
  const label = 'orders.e2e';
  const post = {
    label,
    progress,
    url: `${ctx.stack.gatewayUrl}/api/billing`,
    method: 'POST',
    headers: jsonHeaders,
    body: orderBody,
    connections: Math.min(options.connections, options.orders),
  };
  const warmupOrders = Math.min(2_000, Math.ceil(options.orders / 10));
  if (options.warmup > 0 && warmupOrders >= post.connections) {
    await runLoad({ ...post, phase: 'warm-up', amount: warmupOrders });
  }
  await settle(ctx, label);
  const storedSinceStart = await orderCounter.countFromHere();

  const { accepted, counted, cpuSeconds, pollError, failures, result } = await postUntilCounted(ctx, {
    label,
    load: { ...post, amount: options.orders },
    countSinceStart: storedSinceStart,
    pollMs: ctx.stack.billingDatabaseUrl ? 50 : 100,
    noun: 'stored',
    phase: 'storing',
  });
  if (pollError) failures.push(`count: ${pollError.message}`);
  const { acceptPerSecond, ...measured } = result;
  return {
    ...measured,
    stored: counted,
    acceptPerSecond,
    countedFrom: orderCounter.source,
    cpuMicrosPerOrder: perUnit(cpuSeconds, Math.min(counted, accepted)),
    notes: failures.filter(Boolean).join(', '),
  };
}

/** Waits until nothing is queued and the stored count stood still for a second. */
async function settle({ orderCounter, queueDepth, progress }, label) {
  const deadline = Date.now() + 5 * 60_000;
  let last = -1;
  let stillSince = Date.now();
  for (;;) {
    const [count, depth] = await Promise.all([orderCounter.count(), queueDepth.depth().catch(() => undefined)]);
    if (count !== last) {
      last = count;
      stillSince = Date.now();
    } else if (!depth && Date.now() - stillSince >= 1_000) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`the billing queue did not drain within 5 minutes (${depth} queued)`);
    progress.update(
      `  ${label.padEnd(14)} ${'draining'.padEnd(10)} ${formatCount(count).padStart(15)} stored${depth ? `, ${formatCount(depth)} queued` : ''}`,
    );
    await sleep(200);
  }
}
