/**
 * The gateway's part of voting, against stand-in upstreams: the voter cookie, what it sends the vote
 * service, and the results stream passed through as it comes, forgotten when the client goes.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageQueue } from '@shipshape/queue';
import { waitFor } from '@shipshape/testkit';
import { startGateway, startUpstream, type RunningGateway, type TestUpstream } from './helpers.js';

const VOTER = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('voting through the gateway, with stand-in upstreams', () => {
  let vote: TestUpstream;
  let result: TestUpstream;
  let gateway: RunningGateway & { queue: MessageQueue };
  const streams = new Set<http.ServerResponse>();
  let closedStreams = 0;

  beforeAll(async () => {
    // Answers the batch route as the vote service does, an item per vote; `refuse` marks an option refused.
    vote = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      response.setHeader('content-type', 'application/json; charset=utf-8');
      const votes = JSON.parse(request.body.toString()) as Array<{ option: string }>;
      response.end(
        JSON.stringify(
          votes.map(({ option }, n) =>
            option === 'refuse'
              ? { status: 400, body: { error: 'Invalid request: body.option: no', details: [] } }
              : option === 'later'
                ? { status: 503, body: { error: 'The vote log is unavailable', details: [] }, retryAfter: 2 }
                : { status: 202, body: { message: 'Vote accepted', id: `1-${n}`, option } },
          ),
        ),
      );
    });
    result = await startUpstream((request, response) => {
      if (request.url === '/health') return void response.end('{"status":"ok"}');
      if (request.url === '/results/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write('event: results\ndata: {"n":1}\n\n');
        streams.add(response);
        response.on('close', () => {
          streams.delete(response);
          closedStreams += 1;
        });
        return;
      }
      response.statusCode = 503;
      response.setHeader('content-type', 'application/json; charset=utf-8');
      response.setHeader('retry-after', '5');
      response.end('{"error":"The votes database is unavailable, try again later","details":[]}');
    });
    gateway = await startGateway({
      INVENTORY_URL: vote.url,
      BILLING_URL: vote.url,
      VOTE_URL: vote.url,
      RESULT_URL: result.url,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await vote?.close();
    await result?.close();
  });

  const post = (body: string, cookie?: string) =>
    fetch(`${gateway.url}/api/votes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body,
    });

  it('issues a voter id of 128 random bits when there is none, and sends it with the option', async () => {
    const first = await post('{"option":"a"}');
    expect(first.status).toBe(202);
    const [cookie] = first.headers.getSetCookie();
    const id = /^voter_id=([A-Za-z0-9_-]{22});/.exec(cookie ?? '')?.[1];
    expect(id).toBeDefined();
    expect(vote.received.at(-1)!.url).toBe('/internal/votes');
    expect(JSON.parse(vote.received.at(-1)!.body.toString())).toEqual([
      { voterId: id, option: 'a', requestId: first.headers.get('x-request-id') },
    ]);
    const second = await post('{"option":"a"}');
    expect(second.headers.getSetCookie()[0]).not.toContain(id!);
  });

  it('keeps a well-formed voter id as it is, among other cookies, and issues nothing', async () => {
    const answer = await post('{"option":"b"}', `theme=dark; voter_id=${VOTER}; lang=en`);
    expect(answer.status).toBe(202);
    expect(answer.headers.getSetCookie()).toEqual([]);
    expect(JSON.parse(vote.received.at(-1)!.body.toString())).toMatchObject([{ voterId: VOTER, option: 'b' }]);
  });

  it('sends the votes of one turn as one request and gives each client its own answer', async () => {
    const seen = vote.received.length;
    const options = ['a', 'refuse', 'b', 'later', 'a'];
    // Started in one turn, as requests that arrive together.
    const answers = await Promise.all(
      options.map((option) => gateway.service.app.inject({ method: 'POST', url: '/api/votes', payload: { option } })),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 400, 202, 503, 202]);
    expect(answers.map((answer) => answer.json<{ option?: string }>().option)).toEqual([
      'a',
      undefined,
      'b',
      undefined,
      'a',
    ]);
    expect(answers[3]!.headers['retry-after']).toBe('2');
    expect(answers[1]!.json()).toEqual({ error: 'Invalid request: body.option: no', details: [] });
    expect(vote.received.length - seen).toBe(1);
    expect(JSON.parse(vote.received.at(-1)!.body.toString())).toHaveLength(5);
  });

  it('refuses a body the contract does not allow before the vote service sees it', async () => {
    const seen = vote.received.length;
    for (const body of ['{"option":2}', '{"option":"a","voterId":"x"}', '{}', 'nonsense']) {
      expect((await post(body)).status, body).toBe(400);
    }
    expect(vote.received.length).toBe(seen);
  });

  it('passes the stream through as it comes, and the upstream sees the client leave at once', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/api/results/stream`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-accel-buffering')).toBe('no');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // The upstream has not ended the response: the first event arrives while the stream is open.
    expect(decoder.decode((await reader.read()).value)).toBe('event: results\ndata: {"n":1}\n\n');
    expect(streams.size).toBe(1);
    for (const upstream of streams) upstream.write(': heartbeat\n\n');
    expect(decoder.decode((await reader.read()).value)).toBe(': heartbeat\n\n');
    const closedBefore = closedStreams;
    controller.abort();
    await waitFor('the upstream stream to close', async () => closedStreams === closedBefore + 1, 2_000, 10);
    expect(streams.size).toBe(0);
  });

  it('passes a refusal of the stream on as it is, with its Retry-After', async () => {
    const answer = await fetch(`${gateway.url}/api/results`);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
  });

  it('ends the streams it holds when it stops, so stopping does not wait for clients', async () => {
    const other = await startGateway({ VOTE_URL: vote.url, RESULT_URL: result.url }, { queue: gateway.queue });
    const response = await fetch(`${other.url}/api/results/stream`);
    expect(response.status).toBe(200);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    await response.body?.cancel().catch(() => {});
  });
});
