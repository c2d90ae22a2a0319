/**
 * `npm run start:native` as a user runs it: one launcher that creates its databases when missing,
 * starts a process per service against the real servers, and stops them all on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deleteQueues,
  getFreePort,
  postgresAvailable,
  rabbitMqAvailable,
  testServers,
  uniqueName,
  waitFor,
} from '@shipshape/testkit';
import { anyMetricsPorts, request, scripts, storedOrderCount } from './stack.js';

const realServers = (await postgresAvailable()) && (await rabbitMqAvailable());

describe.skipIf(!realServers)('native mode launcher (real servers)', () => {
  const databases = [uniqueName('shipshape_native_inventory'), uniqueName('shipshape_native_billing')];
  const queueName = uniqueName('native_billing_queue');

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: testServers.postgres });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await deleteQueues([queueName]);
  });

  it('creates its databases, serves the API through the gateway, and stops every service on SIGINT', async () => {
    const [gatewayPort, inventoryPort, billingPort] = [await getFreePort(), await getFreePort(), await getFreePort()];
    const launcher = spawn(process.execPath, [scripts.native], {
      env: {
        ...process.env,
        POSTGRES_URL: testServers.postgres,
        AMQP_URL: testServers.amqp,
        INVENTORY_DATABASE: databases[0],
        BILLING_DATABASE: databases[1],
        BILLING_QUEUE: queueName,
        GATEWAY_PORT: String(gatewayPort),
        INVENTORY_PORT: String(inventoryPort),
        BILLING_PORT: String(billingPort),
        ...anyMetricsPorts,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', resolve));
    const base = `http://127.0.0.1:${gatewayPort}`;
    try {
      await waitFor('the gateway to be ready', async () => (await fetch(`${base}/ready`)).status === 200, 60_000, 250);
      const movie = await request(base, 'POST', '/api/movies', { title: 'Native' });
      expect(movie.status).toBe(201);
      const order = await request(base, 'POST', '/api/billing', { user_id: 1, number_of_items: 1, total_amount: 1 });
      expect(order.status).toBe(202);
      await waitFor('the order to be stored', async () => (await storedOrderCount(base)) === 1);
    } catch (error) {
      throw new Error(`${String(error)}\nlauncher output:\n${output}`);
    } finally {
      launcher.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    // Every service is gone with it: nothing answers on their ports.
    for (const port of [gatewayPort, inventoryPort, billingPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    }
  }, 90_000);
});
