#!/usr/bin/env node
/**
 * `npm run bench`: measures the hot paths against a ceiling measured on the same machine in the same
 * run, and reports ratios, which hold on a noisy machine better than raw figures. See
 * docs/performance.md. It reports; it never passes or fails on a figure.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startCeilingServer } from './lib/ceiling.mjs';
import { createCpuAccounting } from './lib/cpu.mjs';
import { seedMovies } from './lib/fixtures.mjs';
import { createProgress } from './lib/progress.mjs';
import { describeMachine, formatCpuTable, formatTable, toEntries, writeResults } from './lib/report.mjs';
import { scenarios } from './lib/scenarios.mjs';
import {
  createOrderCounter,
  createQueueDepth,
  createVoteBacklog,
  startNativeStack,
  targetStack,
} from './lib/stack.mjs';
import { readPredictInstances } from './lib/predict.mjs';
import { readPoll } from './lib/votes.mjs';

const usage = `Usage: npm run bench -- [options]

  --duration <s>       seconds measured per scenario (default 10)
  --warmup <s>         seconds of warm-up before each scenario (default 3; 0 for none)
  --connections <n>    concurrent connections of the load generator (default 50)
  --rounds <n>         run every scenario n times, interleaved, and report each one's median run
                       (default 1; 3 or more on a machine that other work shares)
  --only <names>       comma-separated scenarios: ${scenarios.map(({ name }) => name).join(', ')}
                       (the ceiling always runs, before each of them: every ratio needs it)
  --movies <n>         movies seeded for movies.get and movies.search (default 1000)
  --orders <n>         orders posted by orders.e2e (default 20000)
  --votes <n>          votes (each of a new voter) posted by votes.e2e (default 20000)
  --stream-clients <n> clients on the results stream in results.fanout (default 1000)
  --fanout-votes <n>   votes cast one after another in results.fanout, each timed (default 20)
  --target <url>       use an already running stack (e.g. http://localhost:3000 from compose) instead
                       of starting the native one; movies are seeded through its API and removed after
  --billing-db <url>   with --target: count stored orders in this database instead of GET /api/orders
  --profile <dir>      native mode: CPU-profile the services, <dir>/<service>-<pid>.cpuprofile
                       (summarise with node bench/profile-summary.mjs <dir>)
  -h, --help

Scenarios (in the order they run):
${scenarios.map(({ name, description }) => `  ${name.padEnd(15)} ${description}`).join('\n')}

Writes bench/results/latest.json and a dated copy. See docs/performance.md.`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '1' },
      only: { type: 'string' },
      movies: { type: 'string', default: '1000' },
      orders: { type: 'string', default: '20000' },
      votes: { type: 'string', default: '20000' },
      'stream-clients': { type: 'string', default: '1000' },
      'fanout-votes': { type: 'string', default: '20' },
      target: { type: 'string' },
      'billing-db': { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const number = (name, min) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min)
      throw new Error(`--${name} must be a number ≥ ${min}, got ${values[name]}`);
    return value;
  };
  const known = scenarios.map(({ name }) => name);
  const only = values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = only?.filter((name) => !known.includes(name)) ?? [];
  if (unknown.length) throw new Error(`--only: unknown scenario ${unknown.join(', ')} (known: ${known.join(', ')})`);
  if (values.target) new URL(values.target);
  if (values['billing-db'] && !values.target) throw new Error('--billing-db goes with --target');
  if (values.profile && values.target) throw new Error('--profile needs the native mode (no --target)');
  return {
    duration: number('duration', 1),
    warmup: number('warmup', 0),
    connections: Math.floor(number('connections', 1)),
    rounds: Math.floor(number('rounds', 1)),
    movies: Math.floor(number('movies', 1)),
    orders: Math.floor(number('orders', 1)),
    votes: Math.floor(number('votes', 1)),
    streamClients: Math.floor(number('stream-clients', 1)),
    fanoutVotes: Math.floor(number('fanout-votes', 1)),
    only: only ? new Set(['ceiling', ...only]) : new Set(known),
    target: values.target,
    billingDatabaseUrl: values['billing-db'],
    profile: values.profile,
  };
}

const progress = createProgress();
const cleanups = [];
let cleaning;
function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const [what, cleanup] = cleanups.pop();
      progress.update(`  cleaning up: ${what}`);
      try {
        await cleanup();
      } catch (error) {
        progress.log(`could not clean up ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    progress.clear();
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    progress.log(`${signal}: stopping and cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const selected = scenarios.filter(({ name }) => options.only.has(name));
  const needs = new Set(selected.flatMap((scenario) => scenario.needs));
  const available = new Map(); // need → true, or the reason it is missing
  const ctx = { options, progress };

  const ceiling = await startCeilingServer();
  cleanups.push(['ceiling server', ceiling.stop]);
  ctx.ceilingUrl = ceiling.url;

  if (needs.has('gateway')) {
    try {
      if (options.target) {
        ctx.stack = targetStack(options.target, { billingDatabaseUrl: options.billingDatabaseUrl });
        const health = await fetch(`${ctx.stack.gatewayUrl}/health`).then(
          (response) => `${response.status}`,
          (error) => error.message,
        );
        if (health !== '200') throw new Error(`${ctx.stack.gatewayUrl}/health did not answer 200 (${health})`);
      } else {
        progress.update(
          '  starting inventory, billing, vote, worker, result, predict and gateway against PostgreSQL, RabbitMQ and Redis',
        );
        ctx.stack = await startNativeStack({ profileDir: options.profile, progress });
        cleanups.push(['native stack (processes, databases, queue)', ctx.stack.stop]);
        progress.log(
          `native stack up: gateway ${ctx.stack.gatewayUrl}, queue ${ctx.stack.queueName}, ` +
            `vote stream ${ctx.stack.voteStream} on ${ctx.stack.redisUrl}`,
        );
      }
      available.set('gateway', true);
    } catch (error) {
      available.set('gateway', `no gateway: ${error.message}`);
    }
  }
  if (needs.has('movies') && available.get('gateway') === true) {
    try {
      progress.update(`  seeding ${options.movies} movies`);
      ctx.movies = await seedMovies(ctx.stack.gatewayUrl, options.movies, { progress });
      if (options.target) cleanups.push(['seeded movies', ctx.movies.remove]);
      progress.log(`seeded ${ctx.movies.ids.length} movies`);
      if (ctx.stack.inventoryDatabaseUrl) {
        // A steady state, as autovacuum leaves a default server in (this machine's runs with it off):
        // the seeded rows are merged into the trigram index and counted in the planner's statistics.
        progress.update('  settling the movies table (VACUUM ANALYZE, as autovacuum would)');
        const client = new pg.Client({ connectionString: ctx.stack.inventoryDatabaseUrl });
        await client.connect();
        try {
          await client.query('VACUUM ANALYZE movies');
        } finally {
          await client.end();
        }
        progress.log('vacuumed and analysed the movies table');
      }
      available.set('movies', true);
    } catch (error) {
      available.set('movies', `seeding failed: ${error.message}`);
    }
  }
  if (needs.has('orderCounter') && available.get('gateway') === true) {
    try {
      ctx.orderCounter = await createOrderCounter(ctx.stack);
      cleanups.push(['order counter', ctx.orderCounter.close]);
      await ctx.orderCounter.count();
      ctx.queueDepth = await createQueueDepth(ctx.stack);
      cleanups.push(['queue connection', ctx.queueDepth.close]);
      available.set('orderCounter', true);
    } catch (error) {
      available.set('orderCounter', `cannot count stored orders: ${error.message}`);
    }
  }

  if (needs.has('poll') && available.get('gateway') === true) {
    try {
      if (ctx.stack.votingUnavailable) throw new Error(ctx.stack.votingUnavailable);
      ctx.poll = await readPoll(ctx.stack.gatewayUrl);
      ctx.voteBacklog = await createVoteBacklog(ctx.stack);
      cleanups.push(['vote stream connection', ctx.voteBacklog.close]);
      available.set('poll', true);
    } catch (error) {
      available.set('poll', `no voting API: ${error.message}`);
    }
  }

  if (needs.has('predictInstances') && available.get('gateway') === true) {
    try {
      ctx.predict = await readPredictInstances(ctx.stack.gatewayUrl, 500);
      progress.log(`predicting with model ${ctx.predict.card.version.slice(0, 12)} (${ctx.predict.card.name})`);
      available.set('predictInstances', true);
    } catch (error) {
      available.set('predictInstances', `no prediction API: ${error.message}`);
    }
  }

  // CPU per request by process: only where the processes are ours to see (native mode).
  ctx.cpu = createCpuAccounting({
    services: { ceilingServer: ceiling.pid, ...ctx.stack?.pids },
    databases: ctx.stack?.databases ?? [],
  });

  const runs = new Map(selected.map(({ name }) => [name, []])); // name → one result per run
  const skipped = new Map(); // name → reason
  // The ceiling runs right before each scenario, and the ratios divide by the median of all its runs:
  // on a shared machine the ceiling was seen to move by half between runs minutes apart (17,800 to
  // 33,800 requests/s), far more than the scenarios, so one ceiling run per round made the ratios swing.
  const ceilingScenario = selected.find(({ name }) => name === 'ceiling');
  const measured = selected.filter((scenario) => scenario !== ceilingScenario);
  // A scenario without a ratio (results.fanout, a latency) needs no ceiling run of its own.
  const plan = measured.length
    ? measured.flatMap((scenario) => (scenario.ratio === false ? [scenario] : [ceilingScenario, scenario]))
    : [ceilingScenario];
  if (!plan.includes(ceilingScenario)) plan.unshift(ceilingScenario);
  rounds: for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) progress.log(`round ${round} of ${options.rounds}`);
    for (const scenario of plan) {
      if (skipped.has(scenario.name)) continue;
      const missing = scenario.needs.map((need) => available.get(need)).find((state) => state !== true);
      if (missing) {
        skipped.set(scenario.name, missing);
        progress.log(`  ${scenario.name.padEnd(14)} skipped: ${missing}`);
        continue;
      }
      try {
        const result = await scenario.run({ ...ctx, scenario });
        runs.get(scenario.name).push({ name: scenario.name, unit: scenario.unit, ...result });
        const rate =
          result.perSecond == null
            ? ''.padStart(8 + scenario.unit.length + 3)
            : `${Math.round(result.perSecond).toLocaleString('en-US').padStart(8)} ${scenario.unit}/s`;
        progress.log(
          `  ${scenario.name.padEnd(14)} ${rate}` +
            `  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms${result.notes ? `  (${result.notes})` : ''}`,
        );
      } catch (error) {
        skipped.set(scenario.name, `failed: ${error.message}`);
        progress.log(`  ${scenario.name.padEnd(14)} failed: ${error.stack ?? error.message}`);
        if (scenario.name === 'ceiling') break rounds;
      }
    }
  }
  const results = [...runs.values()].filter((list) => list.length).map(medianRun);

  const entries = toEntries(results);
  const report = {
    machine: describeMachine({
      mode: ctx.stack?.mode ?? 'ceiling only',
      ...(options.target ? { target: options.target } : {}),
      ...(ctx.stack ? await ctx.stack.describe() : {}),
    }),
    settings: {
      durationSeconds: options.duration,
      warmupSeconds: options.warmup,
      connections: options.connections,
      pipelining: 1,
      rounds: options.rounds,
      movies: options.movies,
      orders: options.orders,
      votes: options.votes,
      streamClients: options.streamClients,
      fanoutVotes: options.fanoutVotes,
    },
    date: new Date().toISOString(),
    scenarios: entries,
    ...(skipped.size ? { skipped: [...skipped].map(([name, reason]) => ({ name, reason })) } : {}),
  };
  await cleanUp();

  console.log(`\n${formatTable(entries)}`);
  const cpuTable = formatCpuTable(entries);
  if (cpuTable) console.log(`\n${cpuTable}`);
  for (const [name, reason] of skipped) console.log(`${name}: ${reason}`);
  for (const [name, goal] of [
    ['movies.get', 0.2],
    ['orders.e2e', 0.1],
    ['votes.accept', 0.2],
    ['votes.e2e', 0.15],
  ]) {
    const ratio = entries.find((entry) => entry.name === name)?.ratio;
    if (ratio != null)
      console.log(
        `${name}: ratio ${ratio.toFixed(3)}, goal ≥ ${goal.toFixed(2)} (${ratio >= goal ? 'met' : 'not met'})`,
      );
  }
  const { latest, dated } = await writeResults(report);
  console.log(`\nwritten: ${latest}\n         ${dated}`);
}

/**
 * With several runs (rounds, and the ceiling before every scenario), a scenario reports its median run
 * (by perSecond) as measured, with every run's perSecond beside it; failures from any run stay in the notes.
 * A scenario without a rate (results.fanout) reports its median run by p50, and lists every run's p50.
 */
function medianRun(list) {
  if (list.length === 1) return list[0];
  const byLatency = list.every((run) => run.perSecond == null);
  const key = (run) => (byLatency ? (run.p50Ms ?? Infinity) : run.perSecond);
  const sorted = [...list].sort((a, b) => key(a) - key(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const notes = [...new Set(list.map((run) => run.notes).filter(Boolean))].join('; ');
  return {
    ...median,
    non2xx: list.reduce((sum, run) => sum + (run.non2xx ?? 0), 0),
    errors: list.reduce((sum, run) => sum + (run.errors ?? 0), 0),
    rounds: list.map((run) => (byLatency ? run.p50Ms : Math.round(run.perSecond))),
    notes,
  };
}

main().catch(async (error) => {
  progress.log(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  await cleanUp();
  process.exit(1);
});
