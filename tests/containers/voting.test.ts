import { randomInt } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  api,
  containerId,
  docker,
  eventually,
  inspect,
  redisCli,
  sleep,
  waitForHealthy,
  type ContainerState,
} from './docker.js';

const stack = inject('stack');

interface Poll {
  question: string;
  options: { id: string; label: string }[];
}

interface Results {
  question: string;
  total: number;
  options: { id: string; label: string; votes: number }[];
}

const VOTERS = 300;
const VOTES_EACH = 4;
const TOTAL_VOTES = VOTERS * VOTES_EACH;
/** Voters posting at once; each posts its votes one after another, so its last 202 is its last vote. */
const CONCURRENCY = 20;
/**
 * Votes started per second, all voters together: the 1,200 votes then take about 12 s, long enough for
 * the worker to be killed and started again, and Redis restarted, while votes keep coming.
 */
const VOTES_PER_SECOND = 100;
/** The longest a client keeps retrying one vote answered 503 (Redis restarting). */
const RETRY_FOR_MS = 90_000;

interface Voter {
  cookie?: string;
  /** The option of the voter's last vote answered 202. */
  last?: string;
  /** Set-Cookie headers the voter received: one, with its first answer. */
  cookiesIssued: number;
}

interface LoadStats {
  accepted: number;
  unavailable: number;
  retryAfterMissing: number;
}

function voterCookie(response: Response): string | undefined {
  for (const header of response.headers.getSetCookie()) {
    const match = /^voter_id=([^;]+)/.exec(header);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * Posts one vote as a browser would (the voter's cookie, kept from the first answer), and retries it
 * after `Retry-After` while the gateway answers 503, as a client is told to. Anything but 202 or 503
 * fails the test.
 */
async function castVote(voter: Voter, option: string, stats: LoadStats): Promise<void> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    const response = await fetch(`${stack.gatewayUrl}/api/votes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(voter.cookie ? { cookie: `voter_id=${voter.cookie}` } : {}) },
      body: JSON.stringify({ option }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    const issued = voterCookie(response);
    if (issued) {
      voter.cookiesIssued++;
      voter.cookie = issued;
    }
    if (response.status === 202) {
      const body = JSON.parse(text) as { id: string; option: string };
      expect(body.option).toBe(option);
      expect(body.id).toMatch(/^\d+-\d+$/);
      voter.last = option;
      stats.accepted++;
      return;
    }
    if (response.status !== 503) throw new Error(`POST /api/votes answered ${response.status}: ${text}`);
    stats.unavailable++;
    const retryAfter = Number(response.headers.get('retry-after'));
    if (!(retryAfter > 0)) stats.retryAfterMissing++;
    if (Date.now() > deadline) throw new Error(`a vote answered 503 for ${RETRY_FOR_MS / 1000} s: ${text}`);
    await sleep(Math.min(retryAfter > 0 ? retryAfter : 1, 10) * 1_000);
  }
}

describe.skipIf(!stack.available)('voting: nothing lost when the worker is killed and Redis restarted', () => {
  it(`counts each of ${VOTERS} voters once, with the voter's last accepted vote`, async () => {
    const poll = await api<Poll>(stack, 'GET', '/api/poll');
    expect(poll.status).toBe(200);
    const optionIds = poll.body.options.map((option) => option.id);
    expect(optionIds.length).toBeGreaterThanOrEqual(2);
    // Other files of the suite vote too: this test counts on top of what is there.
    const before = await api<Results>(stack, 'GET', '/api/results');
    expect(before.status).toBe(200);

    const voters: Voter[] = Array.from({ length: VOTERS }, () => ({ cookiesIssued: 0 }));
    const stats: LoadStats = { accepted: 0, unavailable: 0, retryAfterMissing: 0 };
    const started = Date.now();
    let slots = 0;
    /** Waits for the next slot of the VOTES_PER_SECOND pace. */
    const paced = async () => {
      const at = started + (slots++ * 1_000) / VOTES_PER_SECOND;
      if (at > Date.now()) await sleep(at - Date.now());
    };

    // Voters are taken in turn by CONCURRENCY lanes; each casts its votes in order.
    let next = 0;
    const lane = async () => {
      while (next < voters.length) {
        const voter = voters[next++]!;
        for (let n = 0; n < VOTES_EACH; n++) {
          await paced();
          await castVote(voter, optionIds[randomInt(optionIds.length)]!, stats);
        }
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, lane));

    // Meanwhile: the worker killed a third of the way in, started again (Docker does not apply the
    // restart policy to `docker kill`), and Redis restarted at two thirds.
    const until = async (accepted: number) => {
      while (stats.accepted < accepted) await sleep(50);
    };
    const events: string[] = [];
    const mark = (what: string) => events.push(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
    const faults = (async () => {
      const worker = await containerId(stack, 'worker');
      await until(TOTAL_VOTES / 3);
      mark(`docker kill worker (${stats.accepted} votes accepted)`);
      await docker(['kill', worker]);
      const exited = await docker(['wait', worker], { timeoutMs: 30_000 });
      expect(exited.stdout.trim(), 'the worker died of SIGKILL').toBe('137');
      await sleep(2_000);
      if ((await inspect<ContainerState>([worker]))[0]!.State.Status !== 'running') {
        mark(`docker start worker (${stats.accepted} votes accepted)`);
        await docker(['start', worker]);
      }
      await until((2 * TOTAL_VOTES) / 3);
      mark(`docker restart redis (${stats.accepted} votes accepted)`);
      await docker(['restart', await containerId(stack, 'redis')]);
      mark(`redis restarted (${stats.accepted} votes accepted)`);
    })();
    await Promise.all([load, faults]);
    const countedAt = Date.now();
    const posted = (countedAt - started) / 1000;
    mark(`all ${TOTAL_VOTES} votes accepted`);
    await waitForHealthy(stack, ['worker', 'redis', 'vote']);

    expect(stats.accepted).toBe(TOTAL_VOTES);
    expect(stats.retryAfterMissing, '503 answers without Retry-After').toBe(0);
    for (const voter of voters) {
      expect(voter.cookie).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(voter.cookiesIssued, 'the cookie is issued once, with the first answer').toBe(1);
    }
    expect(new Set(voters.map((voter) => voter.cookie)).size).toBe(VOTERS);

    const expected = new Map(before.body.options.map((option) => [option.id, option.votes]));
    for (const voter of voters) expected.set(voter.last!, expected.get(voter.last!)! + 1);
    const want = {
      total: before.body.total + VOTERS,
      options: optionIds.map((id) => ({ id, votes: expected.get(id) })),
    };
    let last: unknown;
    await eventually(
      `the counts of ${VOTERS} voters in /api/results`,
      async () => {
        const results = await api<Results>(stack, 'GET', '/api/results');
        if (results.status !== 200) return undefined;
        last = {
          total: results.body.total,
          options: results.body.options.map(({ id, votes }) => ({ id, votes })),
        };
        return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
      },
      120_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nexpected ${JSON.stringify(want)}\nlast read ${JSON.stringify(last)}`);
    });
    const counted = (Date.now() - countedAt) / 1000;
    // Nothing left for a worker: no vote delivered and not acknowledged, none left in the stream (the
    // worker deletes what it has acknowledged), none dead-lettered. A vote the killed worker had stored
    // but not acknowledged stays pending until a worker claims it (after WORKER_CLAIM_IDLE_MS, 10 s),
    // finds it applied already, and acknowledges it.
    const pendingWhenCounted = (await redisCli(stack, ['XPENDING', 'votes', 'worker'])).split('\n')[0];
    const drained = await eventually(
      'the vote stream drained, nothing pending',
      async () => {
        const pending = (await redisCli(stack, ['XPENDING', 'votes', 'worker'])).split('\n')[0];
        const length = await redisCli(stack, ['XLEN', 'votes']);
        return pending === '0' && length === '0' ? { pending, length } : undefined;
      },
      60_000,
    );
    expect(drained).toEqual({ pending: '0', length: '0' });
    expect(await redisCli(stack, ['XLEN', 'votes.dead-letter'])).toBe('0');
    console.log(
      `voting: ${TOTAL_VOTES} votes of ${VOTERS} voters accepted in ${posted.toFixed(1)} s ` +
        `(${stats.unavailable} answers 503, retried), all counted ${counted.toFixed(1)} s ` +
        `(${pendingWhenCounted} then pending) and none pending ` +
        `${((Date.now() - countedAt) / 1000).toFixed(1)} s after the last 202\n  ${events.join('\n  ')}`,
    );
  });

  it('starts a worker that crashed again by its restart policy, and it counts on', async () => {
    const worker = await containerId(stack, 'worker');
    const [before] = await inspect<ContainerState>([worker]);
    // SIGKILL to the node process (tini's child), as a crash: tini exits with its status, and Docker
    // restarts the container (`docker kill` would count as stopping it by hand). The bracket keeps the
    // pattern from matching this shell's own command line.
    await docker(
      [
        'exec',
        worker,
        'sh',
        '-c',
        'for p in /proc/[0-9]*; do grep -q "worker/dist/mai[n].js" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}"; done; true',
      ],
      { allowFailure: true },
    ); // the exec may end with its container
    await eventually('the worker restarted by Docker', async () => {
      const [state] = await inspect<ContainerState>([worker]);
      return state!.RestartCount > before!.RestartCount ? state : undefined;
    });
    await waitForHealthy(stack, ['worker']);

    const results = await api<Results>(stack, 'GET', '/api/results');
    const option = results.body.options[1]!;
    expect((await api(stack, 'POST', '/api/votes', { option: option.id })).status).toBe(202);
    await eventually('the vote counted by the restarted worker', async () => {
      const after = await api<Results>(stack, 'GET', '/api/results');
      return after.body.total === results.body.total + 1 ? after : undefined;
    });
  });

  it('streams the results through the gateway and pushes a change', async () => {
    const controller = new AbortController();
    const response = await fetch(`${stack.gatewayUrl}/api/results/stream`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    try {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      /** The next `event: results`, parsed. */
      const nextEvent = async (): Promise<Results> => {
        for (;;) {
          const end = buffer.indexOf('\n\n');
          if (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const lines = block.split('\n');
            if (!lines.includes('event: results')) continue;
            const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
            return JSON.parse(data.join('\n')) as Results;
          }
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buffer += decoder.decode(value, { stream: true });
        }
      };
      const first = await nextEvent();
      const voted = await api(stack, 'POST', '/api/votes', { option: first.options[0]!.id });
      expect(voted.status).toBe(202);
      // What the stream must come to: the results once the vote is counted. (The first event can lag
      // behind GET /api/results by a notification, and events coalesce, so no fixed total is waited for.)
      const counted = await eventually('the vote counted', async () => {
        const results = await api<Results>(stack, 'GET', '/api/results');
        return results.status === 200 && results.body.total > first.total ? results.body : undefined;
      });
      const timeout = setTimeout(() => controller.abort(), 30_000);
      let update = await nextEvent();
      while (JSON.stringify(update) !== JSON.stringify(counted)) update = await nextEvent();
      clearTimeout(timeout);
      expect(update.options[0]!.votes).toBeGreaterThan(first.options[0]!.votes);
    } finally {
      controller.abort();
    }
  });
});
