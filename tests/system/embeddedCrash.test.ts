/**
 * The embedded mode keeps the same promise as the servers: the whole process killed with SIGKILL while
 * orders pour in, then started again on the same data directory, stores every order it answered 202
 * for, once — and keeps the movies it had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@shipshape/testkit';
import { listAllOrders, request, startEmbeddedStack, storedOrderCount, type EmbeddedStack } from './stack.js';

describe('embedded mode after a crash', () => {
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores every accepted order exactly once and keeps its movies', async () => {
    const movie = await request(stack.gatewayUrl, 'POST', '/api/movies', { title: 'Survivor' });
    expect(movie.status).toBe(201);

    const accepted: string[] = [];
    let posted = 0;
    let killing: Promise<void> | undefined;
    const worker = async () => {
      while (posted < 600) {
        posted++;
        if (posted === 300) killing = stack.kill();
        try {
          const response = await request<{ id: string }>(stack.gatewayUrl, 'POST', '/api/billing', {
            user_id: 1,
            number_of_items: 2,
            total_amount: '3.50',
          });
          if (response.status === 202) accepted.push(response.body.id);
        } catch {
          // The process is gone: the client saw no answer, so nothing was promised.
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
    await killing;
    expect(accepted.length).toBeGreaterThan(0);

    await stack.restart();
    await waitFor(
      'every accepted order to be stored',
      async () => (await storedOrderCount(stack.gatewayUrl)) >= accepted.length,
      60_000,
    );
    const stored = (await listAllOrders(stack.gatewayUrl)).map((order) => order.message_id);
    expect(new Set(stored).size).toBe(stored.length);
    // Orders whose 202 was lost with the process may be stored too; every 202 must be.
    const storedIds = new Set(stored);
    expect(accepted.filter((id) => !storedIds.has(id))).toEqual([]);

    expect((await request(stack.gatewayUrl, 'GET', `/api/movies/${movie.body.id}`)).body).toEqual(movie.body);
  }, 180_000);
});
