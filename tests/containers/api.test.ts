import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { api, eventually } from './docker.js';

const stack = inject('stack');

interface Movie {
  id: number;
  title: string;
  description: string;
}

interface Order {
  id: number;
  message_id: string;
  user_id: number;
  number_of_items: number;
  total_amount: number;
}

describe.skipIf(!stack.available)('crud-master API through the published gateway port', () => {
  const word = `reel${randomBytes(4).toString('hex')}`;

  it('creates, lists, searches, updates and deletes movies', async () => {
    const created = await api<Movie>(stack, 'POST', '/api/movies', {
      title: `The ${word} Matrix`,
      description: 'A hacker learns what the world is',
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['description', 'id', 'title']);
    expect(created.body).toMatchObject({
      title: `The ${word} Matrix`,
      description: 'A hacker learns what the world is',
    });
    const { id } = created.body;

    const second = await api<Movie>(stack, 'POST', '/api/movies', { title: `Back to the ${word.toUpperCase()}` });
    expect(second.status).toBe(201);
    expect(second.body.description).toBe('');

    const fetched = await api<Movie>(stack, 'GET', `/api/movies/${id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);

    const all = await api<Movie[]>(stack, 'GET', '/api/movies?limit=1000');
    expect(all.status).toBe(200);
    expect(all.body.map((movie) => movie.id)).toEqual(expect.arrayContaining([id, second.body.id]));
    expect(Number(all.headers.get('x-total-count'))).toBeGreaterThanOrEqual(2);

    const found = await api<Movie[]>(stack, 'GET', `/api/movies?title=${word}`);
    expect(found.status).toBe(200);
    expect(found.body.map((movie) => movie.id).sort()).toEqual([id, second.body.id].sort());
    expect(found.headers.get('x-total-count')).toBe('2');

    const updated = await api<Movie>(stack, 'PUT', `/api/movies/${id}`, { description: 'Red pill' });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ id, title: `The ${word} Matrix`, description: 'Red pill' });
    expect((await api<Movie>(stack, 'GET', `/api/movies/${id}`)).body.description).toBe('Red pill');

    const invalid = await api<{ error: string }>(stack, 'POST', '/api/movies', { description: 'no title' });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toContain('title');

    const deleted = await api(stack, 'DELETE', `/api/movies/${id}`);
    expect(deleted.status).toBe(204);
    expect((await api(stack, 'GET', `/api/movies/${id}`)).status).toBe(404);

    const deletedAll = await api(stack, 'DELETE', '/api/movies');
    expect(deletedAll.status).toBe(204);
    const none = await api<Movie[]>(stack, 'GET', '/api/movies');
    expect(none.body).toEqual([]);
    expect(none.headers.get('x-total-count')).toBe('0');
  });

  it('accepts orders with 202 and lists them in /api/orders once billing stored them', async () => {
    const userId = randomInt(1_000_000, 2_000_000_000);
    const accepted = await api<{ message: string; id: string }>(stack, 'POST', '/api/billing', {
      user_id: String(userId),
      number_of_items: '5',
      total_amount: '180',
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.id).toEqual(expect.any(String));

    const stored = await eventually('the order in /api/orders', async () => {
      const orders = await api<Order[]>(stack, 'GET', '/api/orders?limit=1000');
      return orders.status === 200 ? orders.body.find((order) => order.user_id === userId) : undefined;
    });
    expect(stored).toMatchObject({ message_id: accepted.body.id, number_of_items: 5, total_amount: 180 });

    const rejected = await api(stack, 'POST', '/api/billing', { user_id: '3', number_of_items: 'five' });
    expect(rejected.status).toBe(400);
  });
});
