/**
 * `npm run start:native` as a user runs it: one launcher that creates its databases when missing,
 * starts a process per service against the real servers, and stops them all on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteQueues, deleteRedisKeys, getFreePort, testServers, uniqueName, waitFor } from '@shipshape/testkit';
import { anyMetricsPorts, request, scripts, storedOrderCount, realServersAvailable } from './stack.js';

const realServers = await realServersAvailable();

describe.skipIf(!realServers)('native mode launcher (real servers)', () => {
  const databases = [
    uniqueName('shipshape_native_inventory'),
    uniqueName('shipshape_native_billing'),
    uniqueName('shipshape_native_votes'),
  ];
  const queueName = uniqueName('native_billing_queue');
  const voteStream = uniqueName('native_votes');

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: testServers.postgres });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await deleteQueues([queueName]);
    await deleteRedisKeys([voteStream, `${voteStream}.dead-letter`]);
  });

  it('creates its databases, serves the API through the gateway, and stops every service on SIGINT', async () => {
    const [
      gatewayPort,
      inventoryPort,
      billingPort,
      votePort,
      workerPort,
      resultPort,
      systemPort,
      predictPort,
      webPort,
    ] = await Promise.all(Array.from({ length: 9 }, () => getFreePort()));
    const launcher = spawn(process.execPath, [scripts.native], {
      env: {
        ...process.env,
        POSTGRES_URL: testServers.postgres,
        AMQP_URL: testServers.amqp,
        INVENTORY_DATABASE: databases[0],
        BILLING_DATABASE: databases[1],
        WORKER_DATABASE: databases[2],
        RESULT_DATABASE: databases[2],
        BILLING_QUEUE: queueName,
        REDIS_URL: testServers.redis,
        VOTE_STREAM: voteStream,
        GATEWAY_PORT: String(gatewayPort),
        INVENTORY_PORT: String(inventoryPort),
        BILLING_PORT: String(billingPort),
        VOTE_PORT: String(votePort),
        WORKER_PORT: String(workerPort),
        RESULT_PORT: String(resultPort),
        SYSTEM_PORT: String(systemPort),
        PREDICT_PORT: String(predictPort),
        WEB_PORT: String(webPort),
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
    const launcherLines = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.service === 'launcher');
    try {
      await waitFor('the gateway to be ready', async () => (await fetch(`${base}/ready`)).status === 200, 60_000, 250);
      const movie = await request(base, 'POST', '/api/movies', { title: 'Native' });
      expect(movie.status).toBe(201);
      const order = await request(base, 'POST', '/api/billing', { user_id: 1, number_of_items: 1, total_amount: 1 });
      expect(order.status).toBe(202);
      await waitFor('the order to be stored', async () => (await storedOrderCount(base)) === 1);
      // The worker writes the votes database that result reads.
      expect((await request(base, 'POST', '/api/votes', { option: 'b' })).status).toBe(202);
      await waitFor('the vote to be counted', async () => {
        const results = await request(base, 'GET', '/api/results');
        return (results.body as { total: number }).total === 1;
      });

      // A service that dies is started again; the others go on.
      const started = () =>
        launcherLines().filter((line) => line.msg === 'service started' && line.child === 'inventory');
      const inventoryPid = Number(started()[0]!.pid);
      process.kill(inventoryPid, 'SIGKILL');
      await waitFor('inventory to be started again', async () => started().length === 2, 20_000);
      await waitFor('the gateway to be ready again', async () => (await fetch(`${base}/ready`)).status === 200, 30_000);
      const movies = await request(base, 'GET', '/api/movies');
      expect((movies.body as Array<{ title: string }>).map((m) => m.title)).toEqual(['Native']);
      expect(launcherLines().find((line) => line.msg === 'service exited; restarting it')).toMatchObject({
        child: 'inventory',
        signal: 'SIGKILL',
      });
    } catch (error) {
      throw new Error(`${String(error)}\nlauncher output:\n${output}`);
    } finally {
      launcher.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    // The gateway stops first, each service once the one before it has exited.
    const stopping = launcherLines().filter(
      (line) => line.msg === 'stopping service' || line.msg === 'service stopped',
    );
    expect(stopping.map((line) => `${String(line.msg)} ${String(line.child)}`)).toEqual([
      'stopping service gateway',
      'service stopped gateway',
      'stopping service predict',
      'service stopped predict',
      'stopping service system',
      'service stopped system',
      'stopping service result',
      'service stopped result',
      'stopping service worker',
      'service stopped worker',
      'stopping service vote',
      'service stopped vote',
      'stopping service billing',
      'service stopped billing',
      'stopping service inventory',
      'service stopped inventory',
    ]);
    // One `service` key per log line, whoever wrote it.
    for (const line of output.split('\n').filter((text) => text.startsWith('{'))) {
      expect(line.match(/"service":/g) ?? [], line).toHaveLength(1);
    }
    // Every service is gone with it: nothing answers on their ports.
    for (const port of [
      gatewayPort,
      inventoryPort,
      billingPort,
      votePort,
      workerPort,
      resultPort,
      systemPort,
      predictPort,
    ]) {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    }
  }, 90_000);
});
