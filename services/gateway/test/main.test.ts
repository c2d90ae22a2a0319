/** The gateway as its own process (`dist/main.js`), as the native mode and the containers run it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteQueues,
  getFreePort,
  rabbitMqAvailable,
  startNodeProcess,
  testServers,
  uniqueName,
} from '@shipshape/testkit';

const script = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const brokerUp = await rabbitMqAvailable();

describe('gateway process', () => {
  it('exits 1 naming every missing or invalid variable', async () => {
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH, UPSTREAM_TIMEOUT_MS: 'soon', CORS_ORIGINS: 'not an origin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/AMQP_URL is required/);
    expect(output).toMatch(/UPSTREAM_TIMEOUT_MS/);
    expect(output).toMatch(/CORS_ORIGINS.*"not an origin" is not an origin/);
  });

  describe.skipIf(!brokerUp)('with RabbitMQ', () => {
    const queueName = uniqueName('gateway_main');
    afterAll(() => deleteQueues([queueName]));

    it('accepts an order onto the queue, and stops cleanly on SIGTERM', async () => {
      const port = await getFreePort();
      const nothing = `http://127.0.0.1:${await getFreePort()}`;
      const gateway = await startNodeProcess(
        script,
        {
          PORT: String(port),
          HOST: '127.0.0.1',
          AMQP_URL: testServers.amqp,
          BILLING_QUEUE: queueName,
          INVENTORY_URL: nothing,
          BILLING_URL: nothing,
        },
        `http://127.0.0.1:${port}/health`,
      );
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/billing`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: 1, number_of_items: 2, total_amount: '3.5' }),
        });
        expect(response.status).toBe(202);
        const { id } = (await response.json()) as { id: string };

        const connection = await amqp.connect(testServers.amqp);
        try {
          const channel = await connection.createChannel();
          const message = await channel.get(queueName, { noAck: true });
          expect(message && message.properties.messageId).toBe(id);
          expect(message && JSON.parse(message.content.toString())).toEqual({
            user_id: 1,
            number_of_items: 2,
            total_amount: 3.5,
          });
        } finally {
          await connection.close();
        }
      } finally {
        expect(await gateway.stop('SIGTERM')).toBe(0);
      }
    });
  });
});
