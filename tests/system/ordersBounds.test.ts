/**
 * "Accepted means storable": every bounded field of an order, just inside and just outside its bound,
 * posted through the gateway. Inside is answered 202 and lands in the orders table as posted; outside
 * is a 400 naming the field and never reaches the queue. In the embedded mode (one process) and
 * against the real PostgreSQL and RabbitMQ (a process per service).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, rabbitMqAvailable, waitFor } from '@shipshape/testkit';
import { listAllOrders, request, startEmbeddedStack, startNativeStack, type Stack } from './stack.js';

const realServers = (await postgresAvailable()) && (await rabbitMqAvailable());

const base = { user_id: 7, number_of_items: 3, total_amount: 12.5 };
type Field = keyof typeof base;

/** Values the orders table stores (integer columns with CHECK > 0, numeric(12,2) with CHECK > 0). */
const inside: Array<[Field, number | string, number]> = [
  ['user_id', 1, 1],
  ['user_id', 2_147_483_647, 2_147_483_647],
  ['user_id', '2147483647', 2_147_483_647],
  ['number_of_items', 1, 1],
  ['number_of_items', 10_000, 10_000],
  ['number_of_items', '10000', 10_000],
  ['total_amount', 0.01, 0.01],
  ['total_amount', '0.01', 0.01],
  ['total_amount', '0.10', 0.1],
  ['total_amount', '19.990', 19.99],
  ['total_amount', 999_999_999.99, 999_999_999.99],
  ['total_amount', 1_000_000_000, 1_000_000_000],
  ['total_amount', '1000000000.00', 1_000_000_000],
];

/** Values just past a bound: the table would refuse or round them, so the gateway must. */
const outside: Array<[Field, unknown]> = [
  ['user_id', 0],
  ['user_id', 2_147_483_648],
  ['user_id', '2147483648'],
  ['user_id', 1.5],
  ['user_id', '1.5'],
  ['number_of_items', 0],
  ['number_of_items', 10_001],
  ['number_of_items', '10001'],
  ['number_of_items', 2.5],
  ['total_amount', 0],
  ['total_amount', '0.00'],
  ['total_amount', 0.009],
  ['total_amount', '0.009'],
  ['total_amount', '0.000000001'],
  ['total_amount', 1e-9],
  ['total_amount', 0.005],
  ['total_amount', '19.999'],
  ['total_amount', 0.1 + 0.2],
  ['total_amount', 1_000_000_000.01],
  ['total_amount', '1000000000.01'],
  ['total_amount', '1' + '0'.repeat(400)],
];

const modes: Array<[string, () => Promise<Stack>, boolean]> = [
  ['embedded mode', startEmbeddedStack, true],
  ['real servers', () => startNativeStack(), realServers],
];

describe.each(modes)('order bounds through the gateway into the table (%s)', (_mode, start, enabled) => {
  let stack: Stack;

  beforeAll(async () => {
    if (enabled) stack = await start();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it.skipIf(!enabled)('refuses each value just outside a bound with a 400 naming the field', async () => {
    const answers = [];
    for (const [field, value] of outside) {
      const answer = await request(stack.gatewayUrl, 'POST', '/api/billing', { ...base, [field]: value });
      answers.push({
        field,
        value,
        status: answer.status,
        paths: [...new Set(answer.body?.details?.map((d: any) => d.path))],
      });
    }
    expect(answers).toEqual(outside.map(([field, value]) => ({ field, value, status: 400, paths: [`body.${field}`] })));
  });

  it.skipIf(!enabled)(
    'stores each value just inside a bound as it was posted',
    async () => {
      const expected = new Map<string, { field: Field; value: number }>();
      for (const [field, posted, value] of inside) {
        const answer = await request(stack.gatewayUrl, 'POST', '/api/billing', { ...base, [field]: posted });
        expect({ field, posted, status: answer.status }).toEqual({ field, posted, status: 202 });
        expected.set(answer.body.id, { field, value });
      }
      const stored = await waitFor(
        'every accepted order in the table',
        async () => {
          const all = (await listAllOrders(stack.gatewayUrl)) as unknown as Array<Record<string, unknown>>;
          const ours = all.filter((order) => expected.has(order.message_id as string));
          return ours.length === expected.size ? ours : undefined;
        },
        30_000,
      );
      for (const order of stored) {
        const { field, value } = expected.get(order.message_id as string)!;
        expect({ field, stored: order[field] }).toEqual({ field, stored: value });
      }
    },
    60_000,
  );
});
