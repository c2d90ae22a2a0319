/**
 * The voting application through the gateway, as a browser uses it: in the embedded mode (one
 * process, the vote log in PGlite) and against the real Redis and PostgreSQL (a process per service).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@shipshape/testkit';
import { request, stackModes, type Stack } from './stack.js';
import { countsOf, issuedVoterId, openResultsStream, results, Voter } from './votes.js';

const modes = await stackModes();

describe.each(modes)('voting through the gateway (%s)', (_mode, start, enabled) => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    if (!enabled) return;
    stack = await start();
    base = stack.gatewayUrl;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** Waits until the results count `total` voters. */
  const counted = (total: number) =>
    waitFor(`${total} voters counted`, async () => (await results(base)).total === total, 15_000, 25);

  it.skipIf(!enabled)('serves the poll', async () => {
    const poll = await request(base, 'GET', '/api/poll');
    expect(poll.status).toBe(200);
    expect(poll.body).toEqual({
      question: 'Cats or dogs?',
      options: [
        { id: 'a', label: 'Cats' },
        { id: 'b', label: 'Dogs' },
      ],
    });
  });

  it.skipIf(!enabled)('issues the voter cookie once, keeps the voter, and replaces the earlier vote', async () => {
    const before = countsOf(await results(base));
    const first = await request(base, 'POST', '/api/votes', { option: 'a' });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ message: 'Vote accepted', id: expect.stringMatching(/^\d+-\d+$/), option: 'a' });
    const cookie = first.headers.getSetCookie();
    expect(cookie).toHaveLength(1);
    const attributes = cookie[0]!.split('; ');
    expect(attributes[0]).toMatch(/^voter_id=[A-Za-z0-9_-]{22,43}$/);
    expect(attributes.slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=31536000', 'Path=/', 'SameSite=Lax']);
    const voter = new Voter(base, issuedVoterId(first));
    await counted((before.a ?? 0) + (before.b ?? 0) + 1);
    expect(countsOf(await results(base))).toEqual({ a: before.a! + 1, b: before.b });

    const second = await voter.vote('b');
    expect(second.status).toBe(202);
    expect(second.headers.getSetCookie()).toEqual([]);
    expect(second.body.id > first.body.id || second.body.id.length > first.body.id.length).toBe(true);
    await waitFor('the vote to move', async () => countsOf(await results(base)).b === before.b! + 1, 15_000, 25);
    const after = await results(base);
    expect(countsOf(after)).toEqual({ a: before.a, b: before.b! + 1 });
    expect(after.total).toBe(before.a! + before.b! + 1);
  });

  it.skipIf(!enabled)('gives a new voter id for a malformed cookie', async () => {
    const before = await results(base);
    const response = await request(base, 'POST', '/api/votes', { option: 'a' }, { cookie: 'voter_id=short' });
    expect(response.status).toBe(202);
    expect(issuedVoterId(response)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await counted(before.total + 1);
  });

  it.skipIf(!enabled)('refuses bad votes with a 400 naming the field, and stores none of them', async () => {
    const before = await results(base);
    const voter = new Voter(base);
    const cases: Array<[string, string, string]> = [
      ['{"option":"z"}', 'body.option', 'option must be one of "a", "b"'],
      ['{}', 'body.option', 'option is required (a string)'],
      ['{"option":1}', 'body.option', 'option must be a string'],
      ['{"option":"a","weight":10}', 'body.weight', 'Unrecognized key: "weight"'],
      ['{"option":', '', ''],
      ['["a"]', '', ''],
    ];
    for (const [body, path, message] of cases) {
      const response = await voter.vote(undefined, body);
      expect(response.status, body).toBe(400);
      expect(typeof response.body.error, body).toBe('string');
      if (path) expect(response.body.details, body).toContainEqual({ path, message });
    }
    // A good vote after them is counted alone: none of the bad ones got through.
    expect((await voter.vote('a')).status).toBe(202);
    await counted(before.total + 1);
    expect(countsOf(await results(base))).toEqual({ ...countsOf(before), a: countsOf(before).a! + 1 });
  });

  it.skipIf(!enabled)('streams the results at once, then after a vote, and as they are', async () => {
    const stream = await openResultsStream(base);
    try {
      // The first event comes at once; it is the results as last read, which a vote being counted
      // may follow within moments: wait for the event that matches what GET answers.
      expect(await stream.next(() => true)).toMatchObject({ question: 'Cats or dogs?' });
      const current = await results(base);
      const first = await stream.next((value) => JSON.stringify(value) === JSON.stringify(current));
      expect((await new Voter(base).vote('b')).status).toBe(202);
      const updated = await stream.next((value) => value.total === first.total + 1);
      expect(countsOf(updated)).toEqual({ ...countsOf(first), b: countsOf(first).b! + 1 });
      expect(updated).toEqual(await results(base));
    } finally {
      stream.close();
    }
  });

  it.skipIf(!enabled)('answers the stream with the headers a proxy needs not to buffer it', async () => {
    const response = await fetch(`${base}/api/results/stream`);
    try {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    } finally {
      await response.body?.cancel();
    }
  });
});
