import { randomInt } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { api, compose, containers, eventually, waitForHealthy } from './docker.js';

const stack = inject('stack');

interface Order {
  message_id: string;
  user_id: number;
}

describe.skipIf(!stack.available)('audit scenario: orders accepted while billing is stopped', () => {
  it('stores all 50 orders once billing is started again', async () => {
    const userId = randomInt(1_000_000, 2_000_000_000);
    const ids: string[] = [];
    await compose(stack, ['stop', 'billing']);
    try {
      expect((await containers(stack)).has('billing')).toBe(false);

      for (let n = 1; n <= 50; n++) {
        const accepted = await api<{ id: string }>(stack, 'POST', '/api/billing', {
          user_id: userId,
          number_of_items: n,
          total_amount: `${n}.50`,
        });
        expect(accepted.status, `order ${n}: ${JSON.stringify(accepted.body)}`).toBe(202);
        ids.push(accepted.body.id);
      }
      expect(new Set(ids).size).toBe(50);
    } finally {
      await compose(stack, ['start', 'billing']);
    }
    await waitForHealthy(stack, ['billing']);

    const stored = await eventually(
      'all 50 orders in /api/orders',
      async () => {
        const response = await api<Order[]>(stack, 'GET', '/api/orders?limit=1000');
        if (response.status !== 200) return undefined;
        const ours = response.body.filter((order) => order.user_id === userId);
        return ours.length >= 50 ? ours : undefined;
      },
      120_000,
    );
    expect(stored).toHaveLength(50);
    expect(stored.map((order) => order.message_id).sort()).toEqual([...ids].sort());
  });
});
