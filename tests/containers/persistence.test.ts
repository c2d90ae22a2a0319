import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { api, compose, containers, docker, eventually, waitForHealthy } from './docker.js';

const stack = inject('stack');

interface Movie {
  id: number;
  title: string;
  description: string;
}

interface Order {
  message_id: string;
  user_id: number;
}

interface Results {
  total: number;
  options: { id: string; votes: number }[];
}

describe.skipIf(!stack.available)('persistence in named volumes', () => {
  it('keeps movies, orders and votes across `down` (volumes kept) and `up`', async () => {
    const title = `Persistent ${randomBytes(4).toString('hex')}`;
    const userId = randomInt(1_000_000, 2_000_000_000);
    const movie = await api<Movie>(stack, 'POST', '/api/movies', { title, description: 'kept on a volume' });
    expect(movie.status).toBe(201);
    const order = await api<{ id: string }>(stack, 'POST', '/api/billing', {
      user_id: userId,
      number_of_items: 2,
      total_amount: 20,
    });
    expect(order.status).toBe(202);
    await eventually('the order stored before going down', async () => {
      const orders = await api<Order[]>(stack, 'GET', '/api/orders?limit=1000');
      return orders.body.find?.((o) => o.message_id === order.body.id);
    });

    // Two votes (each a new voter: no cookie kept): the first counted in votes-db before going down, the
    // second accepted while the worker is stopped, so that it is only in Redis's append-only file.
    const votesBefore = (await api<Results>(stack, 'GET', '/api/results')).body;
    const [first, second] = votesBefore.options;
    expect((await api(stack, 'POST', '/api/votes', { option: first!.id })).status).toBe(202);
    await eventually('the first vote counted before going down', async () => {
      const results = await api<Results>(stack, 'GET', '/api/results');
      return results.body.total === votesBefore.total + 1 ? results : undefined;
    });
    await compose(stack, ['stop', 'worker']);
    expect((await api(stack, 'POST', '/api/votes', { option: second!.id })).status).toBe(202);

    await compose(stack, ['down', '--timeout', '20']);
    expect((await containers(stack)).size).toBe(0);
    const { stdout } = await docker([
      'volume',
      'ls',
      '--filter',
      `label=com.docker.compose.project=${stack.project}`,
      '-q',
    ]);
    expect(stdout.trim().split('\n').sort()).toEqual(
      ['billing-db-data', 'inventory-db-data', 'rabbit-queue-data', 'redis-data', 'votes-db-data'].map(
        (v) => `${stack.project}_${v}`,
      ),
    );

    await compose(stack, ['up', '--detach'], { timeoutMs: 600_000 });
    await waitForHealthy(stack);

    const found = await eventually('the movie after up', async () => {
      const movies = await api<Movie[]>(stack, 'GET', `/api/movies?title=${encodeURIComponent(title)}`);
      return movies.status === 200 ? movies.body : undefined;
    });
    expect(found).toEqual([{ id: movie.body.id, title, description: 'kept on a volume' }]);
    const orders = await api<Order[]>(stack, 'GET', '/api/orders?limit=1000');
    expect(orders.status).toBe(200);
    expect(orders.body.filter((o) => o.user_id === userId).map((o) => o.message_id)).toEqual([order.body.id]);

    const after = await eventually('both votes counted after up', async () => {
      const results = await api<Results>(stack, 'GET', '/api/results');
      return results.status === 200 && results.body.total === votesBefore.total + 2 ? results.body : undefined;
    });
    expect(after.options.map(({ id, votes }) => ({ id, votes }))).toEqual(
      votesBefore.options.map(({ id, votes }) => ({
        id,
        votes: votes + (id === first!.id || id === second!.id ? 1 : 0),
      })),
    );
  });
});
