import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { perUnit } from './cpu.mjs';
import { percentile, postUntilCounted } from './endToEnd.mjs';
import { runLoad } from './load.mjs';
import { formatCount } from './progress.mjs';

/** A voter id as the gateway issues it: 128 random bits, 22 base64url characters. */
export const newVoterId = () => randomBytes(16).toString('base64url');

/** The poll of the stack under test: its option ids, or an error naming why there is none. */
export async function readPoll(gatewayUrl) {
  const response = await fetch(`${gatewayUrl}/api/poll`);
  const body = await response.json().catch(() => undefined);
  if (response.status !== 200 || !Array.isArray(body?.options) || body.options.length < 1) {
    throw new Error(`GET /api/poll answered ${response.status}`);
  }
  return { question: body.question, optionIds: body.options.map((option) => option.id) };
}

/** `GET /api/results`'s total (the voters counted), through the gateway, as any client reads it. */
export async function countedVoters(gatewayUrl) {
  const response = await fetch(`${gatewayUrl}/api/results`);
  const body = await response.json().catch(() => undefined);
  if (response.status !== 200 || typeof body?.total !== 'number') {
    throw new Error(`GET /api/results answered ${response.status}`);
  }
  return body.total;
}

const bodiesOf = (optionIds) => optionIds.map((option) => JSON.stringify({ option }));

/**
 * For autocannon's `setupClient`: each connection a voter of its own, whose cookie it sends with every
 * vote, options in turn. One autocannon instance drives all the connections, as for every other
 * scenario: an instance per connection cost the load generator twice the CPU per request (63-91 µs
 * against 25), taken from the services on the same two cores.
 */
export function votersPerClient(optionIds) {
  const bodies = bodiesOf(optionIds);
  let clients = 0;
  return (client) => {
    const headers = { 'content-type': 'application/json', cookie: `voter_id=${newVoterId()}` };
    const first = clients++;
    client.setRequests(
      bodies.map((_, turn) => ({
        method: 'POST',
        path: '/api/votes',
        headers,
        body: bodies[(first + turn) % bodies.length],
      })),
    );
  };
}

/**
 * One request for autocannon that is a new voter every time it is sent (`setupRequest` makes its
 * cookie), options in turn: with `amount` votes, exactly that many voters, from one autocannon
 * instance for all connections (an instance per connection cost the load generator 79-93 µs a vote).
 */
function newVoterEachTime(optionIds) {
  const bodies = bodiesOf(optionIds);
  let sent = 0;
  return [
    {
      method: 'POST',
      path: '/api/votes',
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/json', cookie: `voter_id=${newVoterId()}` },
        body: bodies[sent++ % bodies.length],
      }),
    },
  ];
}

/**
 * Waits until the pipeline is idle: the vote stream empty (native mode, where it is ours to see) and
 * the counted total unchanged for a second.
 */
async function settleVotes({ stack, voteBacklog, progress }, label) {
  const deadline = Date.now() + 5 * 60_000;
  let last = -1;
  let stillSince = Date.now();
  for (;;) {
    const [total, backlog] = await Promise.all([
      countedVoters(stack.gatewayUrl),
      voteBacklog.backlog().catch(() => undefined),
    ]);
    if (total !== last) {
      last = total;
      stillSince = Date.now();
    } else if (!backlog && Date.now() - stillSince >= 1_000) {
      return total;
    }
    if (Date.now() > deadline) throw new Error(`the votes were not all counted within 5 minutes (${backlog} left)`);
    progress.update(
      `  ${label.padEnd(14)} ${'draining'.padEnd(10)} ${formatCount(total).padStart(15)} counted${backlog ? `, ${formatCount(backlog)} in the stream` : ''}`,
    );
    await sleep(200);
  }
}

/**
 * Posts `options.votes` votes of as many new voters through the gateway as fast as it takes them, and
 * polls `GET /api/results` until its total has grown by every accepted vote. perSecond = accepted /
 * (time the last was seen counted − first post), as orders.e2e does for orders. The total is read
 * through the API in both modes, as a client would; with --target the count is the growth from the
 * total at the start (counts cannot be reset there). p50/p99: per vote, from its 202 to the first poll
 * whose total had grown by that many, as fine as the poll (50 ms).
 */
export async function measureVotesEndToEnd(ctx) {
  const { options, progress, poll, stack } = ctx;
  const label = 'votes.e2e';
  const connections = Math.min(options.connections, options.votes);
  const post = { label, progress, url: stack.gatewayUrl, method: 'POST' };
  const warmupVotes = Math.min(2_000, Math.ceil(options.votes / 10));
  if (options.warmup > 0 && warmupVotes >= connections) {
    await runLoad({
      ...post,
      phase: 'warm-up',
      amount: warmupVotes,
      connections,
      requests: newVoterEachTime(poll.optionIds),
    });
  }
  const before = await settleVotes(ctx, label);
  const requests = newVoterEachTime(poll.optionIds);

  const { accepted, counted, cpuSeconds, pollError, failures, result } = await postUntilCounted(ctx, {
    label,
    load: { ...post, amount: options.votes, connections, requests },
    countSinceStart: async () => (await countedVoters(stack.gatewayUrl)) - before,
    pollMs: 50,
    noun: 'counted',
    phase: 'counting',
  });
  if (pollError) failures.push(`results: ${pollError.message}`);
  const { acceptPerSecond, ...measured } = result;
  return {
    ...measured,
    counted,
    acceptPerSecond,
    countedFrom: 'GET /api/results total',
    cpuMicrosPerVote: perUnit(cpuSeconds, Math.min(counted, accepted)),
    notes: failures.filter(Boolean).join(', '),
  };
}

/**
 * `options.streamClients` clients on `GET /api/results/stream` through the gateway, all in this
 * process on plain `node:http` sockets; then `options.fanoutVotes` times, a vote of a new voter, and
 * the time from its 202 until every client has had an event whose total counts it. The votes are
 * spaced so that the coalescing (at most one event per 100 ms per client) never holds one back.
 * p50/p99 are those of the per-vote "every client has it" times; also reported: the first client's,
 * and every delivery's.
 */
export async function measureResultsFanout(ctx) {
  const { options, progress, poll, stack } = ctx;
  const label = 'results.fanout';
  const bodies = bodiesOf(poll.optionIds);
  await settleVotes(ctx, label);

  const clients = [];
  let round; // { expected, votedAt, arrivals, remaining, done }
  const streamErrors = [];
  const connect = (index) =>
    new Promise((resolve, reject) => {
      const client = { index, latest: -1, request: undefined, buffer: '' };
      const timer = setTimeout(() => reject(new Error(`stream client ${index}: no first event within 30 s`)), 30_000);
      let first = true;
      client.request = http.get(
        `${stack.gatewayUrl}/api/results/stream`,
        { agent: false, headers: { accept: 'text/event-stream' } },
        (response) => {
          if (response.statusCode !== 200) {
            clearTimeout(timer);
            response.resume();
            reject(new Error(`GET /api/results/stream answered ${response.statusCode}`));
            return;
          }
          response.setEncoding('utf8');
          response.on('data', (text) => {
            const at = performance.now();
            client.buffer += text;
            let end;
            while ((end = client.buffer.indexOf('\n\n')) >= 0) {
              const block = client.buffer.slice(0, end);
              client.buffer = client.buffer.slice(end + 2);
              const total = totalOf(block);
              if (total === undefined) continue;
              client.latest = total;
              if (first) {
                first = false;
                clearTimeout(timer);
                resolve(client);
              }
              if (round && total >= round.expected && Number.isNaN(round.arrivals[index])) {
                round.arrivals[index] = at;
                if (--round.remaining === 0) round.done();
              }
            }
          });
          response.on('end', () => streamErrors.push(`client ${index}: the stream ended`));
        },
      );
      client.request.on('error', (error) => {
        clearTimeout(timer);
        if (first) reject(error);
        else streamErrors.push(`client ${index}: ${error.message}`);
      });
      clients.push(client);
    });

  try {
    // In waves, so the gateway and result are not asked for a thousand streams in one turn.
    for (let from = 0; from < options.streamClients; from += 100) {
      const wave = Array.from({ length: Math.min(100, options.streamClients - from) }, (_, k) => connect(from + k));
      await Promise.all(wave);
      progress.update(
        `  ${label.padEnd(14)} ${'connecting'.padEnd(10)} ${`${clients.length}/${options.streamClients}`.padStart(15)} streams`,
      );
    }

    const perVote = []; // ms from the 202 until every client had it
    const firstClient = [];
    const deliveries = [];
    const failures = [];
    await ctx.cpu.start();
    for (let vote = 1; vote <= options.fanoutVotes; vote++) {
      const base = await countedVoters(stack.gatewayUrl);
      // Every client has the state before the vote (they all had an event since the last change).
      await until(() => clients.every((client) => client.latest >= base), 10_000);
      let done;
      const finished = new Promise((resolve) => (done = resolve));
      round = {
        expected: base + 1,
        arrivals: new Float64Array(clients.length).fill(Number.NaN),
        remaining: clients.length,
        done,
      };
      const response = await fetch(`${stack.gatewayUrl}/api/votes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: `voter_id=${newVoterId()}` },
        body: bodies[vote % bodies.length],
      });
      const votedAt = performance.now();
      await response.arrayBuffer();
      if (response.status !== 202) {
        failures.push(`vote ${vote} answered ${response.status}`);
        round = undefined;
        continue;
      }
      const timedOut = await Promise.race([finished.then(() => false), sleep(10_000).then(() => true)]);
      const { arrivals } = round;
      round = undefined;
      const times = [...arrivals].filter((at) => !Number.isNaN(at)).map((at) => Math.max(0, at - votedAt));
      if (timedOut) failures.push(`vote ${vote}: ${times.length} of ${clients.length} clients within 10 s`);
      else perVote.push(Math.max(...times));
      if (times.length) firstClient.push(Math.min(...times));
      deliveries.push(...times);
      progress.update(
        `  ${label.padEnd(14)} ${'voting'.padEnd(10)} ${`${vote}/${options.fanoutVotes}`.padStart(15)}  last ${perVote.at(-1)?.toFixed(1)} ms`,
      );
      // Past the coalescing interval (100 ms per client), so the next vote's event goes out at once.
      await sleep(250);
    }
    const cpuSeconds = await ctx.cpu.stop(ctx.scenario.involves);
    progress.clear();
    const sorted = (list) => [...list].map((ms) => Math.round(ms * 100) / 100).sort((a, b) => a - b);
    const all = sorted(perVote);
    const delivered = sorted(deliveries);
    if (streamErrors.length) failures.push(`${streamErrors.length} streams failed (${streamErrors[0]})`);
    return {
      perSecond: null,
      p50Ms: percentile(all, 0.5),
      p99Ms: percentile(all, 0.99),
      clients: clients.length,
      votes: options.fanoutVotes,
      measured: perVote.length,
      firstClientP50Ms: percentile(sorted(firstClient), 0.5),
      deliveryP50Ms: percentile(delivered, 0.5),
      deliveryP99Ms: percentile(delivered, 0.99),
      maxMs: all.at(-1) ?? null,
      cpuMicrosPerDelivery: perUnit(cpuSeconds, deliveries.length),
      notes: failures.join(', '),
    };
  } finally {
    for (const client of clients) client.request?.destroy();
  }
}

/** The total of an SSE event block of `event: results`, or undefined for anything else (a comment). */
function totalOf(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
  }
  if (event !== 'results' || !data.length) return undefined;
  try {
    const total = JSON.parse(data.join('\n')).total;
    return typeof total === 'number' ? total : undefined;
  } catch {
    return undefined;
  }
}

async function until(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not every stream client caught up within ${timeoutMs} ms`);
    await sleep(5);
  }
}
