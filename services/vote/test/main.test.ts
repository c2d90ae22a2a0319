/**
 * The entry point as an operator runs it: `node dist/main.js` with its environment. A bad poll stops
 * it at start naming the variable; against the real Redis it takes votes and stops on SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteRedisKeys,
  getFreePort,
  redisAvailable,
  runToExit,
  startNodeProcess,
  testServers,
  uniqueName,
  type ServiceProcess,
} from '@shipshape/testkit';
import { newVoterId } from '@shipshape/contracts';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('vote entry point: configuration', () => {
  it('exits 1 naming REDIS_URL when it is missing', async () => {
    const { code, output } = await runToExit(script, {});
    expect(code).toBe(1);
    expect(output).toMatch(/REDIS_URL/);
  });

  it('exits 1 naming VOTE_OPTIONS and VOTE_QUESTION with every problem of a bad poll', async () => {
    const { code, output } = await runToExit(script, {
      REDIS_URL: 'redis://127.0.0.1:6379',
      VOTE_QUESTION: ' ',
      VOTE_OPTIONS: 'a=Cats,A=Dogs,a=Again',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/VOTE_QUESTION: must not be empty/);
    expect(output).toMatch(/VOTE_OPTIONS: option 2 has id "A"/);
    expect(output).toMatch(/VOTE_OPTIONS: option 3 repeats the id "a" of option 1/);
  });

  it('exits 1 when the poll has one option, or eleven', async () => {
    for (const [options, problem] of [
      ['a=Cats', /at least 2 needed/],
      [Array.from({ length: 11 }, (_, n) => `o${n}=Option ${n}`).join(','), /at most 10 allowed/],
    ] as const) {
      const { code, output } = await runToExit(script, { REDIS_URL: 'redis://127.0.0.1:6379', VOTE_OPTIONS: options });
      expect(code).toBe(1);
      expect(output).toMatch(problem);
    }
  });
});

describe.skipIf(!(await redisAvailable()))('vote entry point against the Redis server', () => {
  const stream = uniqueName('votes');
  let service: ServiceProcess | undefined;
  let url: string;

  beforeAll(async () => {
    const port = await getFreePort();
    url = `http://127.0.0.1:${port}`;
    service = await startNodeProcess(
      script,
      { REDIS_URL: testServers.redis, VOTE_STREAM: stream, VOTE_OPTIONS: 'x=Tea,y=Coffee', PORT: String(port) },
      `${url}/health`,
    );
  });
  afterAll(async () => {
    await service?.kill();
    await deleteRedisKeys([stream]);
  });

  it('serves its poll, takes a vote and stops on SIGTERM with exit 0', async () => {
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${url}/poll`)).json()).toEqual({
      question: 'Cats or dogs?',
      options: [
        { id: 'x', label: 'Tea' },
        { id: 'y', label: 'Coffee' },
      ],
    });
    const vote = await fetch(`${url}/votes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ voterId: newVoterId(), option: 'y' }),
    });
    expect(vote.status).toBe(202);
    expect(await service!.stop()).toBe(0);
  });
});
