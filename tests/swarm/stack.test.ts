/**
 * The Swarm stack as `npm run swarm:up` leaves it: every service converged with its replicas, the API
 * through the published gateway port, passwords only in secrets; then a rolling update of the gateway
 * and of inventory under a load of reads and orders, with every request counted, and a killed gateway
 * task replaced.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { docker, eventually, parseEnvFile, repoRoot, sleep } from '../containers/docker.js';

const swarm = inject('swarm');

interface Answer<T = unknown> {
  status: number;
  body: T;
}

async function call<T = unknown>(
  base: string,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const response = await fetch(`${base}${urlPath}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the assertion shows the text
  }
  return { status: response.status, body: parsed as T };
}

const service = (name: string) => `${swarm.stack}_${name}`;

/** The running tasks of a service: their ids and container ids. */
async function runningTasks(name: string): Promise<{ id: string; container: string }[]> {
  const { stdout } = await docker(['service', 'ps', '-q', '--filter', 'desired-state=running', service(name)]);
  const ids = stdout.trim().split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const tasks = JSON.parse((await docker(['inspect', ...ids])).stdout) as {
    ID: string;
    Status: { State: string; ContainerStatus?: { ContainerID?: string } };
  }[];
  return tasks
    .filter((task) => task.Status.State === 'running')
    .map((task) => ({ id: task.ID, container: task.Status.ContainerStatus?.ContainerID ?? '' }));
}

async function updateState(name: string): Promise<string | undefined> {
  const { stdout } = await docker(['service', 'inspect', '--format', '{{json .UpdateStatus}}', service(name)]);
  const status = JSON.parse(stdout.trim() || 'null') as { State?: string; Message?: string } | null;
  return status?.State;
}

/** A rolling update that replaces every task (`--force`), as a new image would; waits for its end. */
async function rollOver(name: string): Promise<void> {
  const before = new Set((await runningTasks(name)).map((task) => task.id));
  await docker(['service', 'update', '--force', '--detach', service(name)]);
  const state = await eventually(
    `the rolling update of ${name}`,
    async () => {
      const now = await updateState(name);
      return now && now !== 'updating' ? now : undefined;
    },
    240_000,
  );
  if (state !== 'completed') {
    // What went wrong, in the failure's message: each task's state and error, and the update's message.
    const tasks = await docker([
      'service',
      'ps',
      '--no-trunc',
      '--format',
      '{{.Name}} {{.CurrentState}} {{.Error}}',
      service(name),
    ]);
    const status = await docker(['service', 'inspect', '--format', '{{json .UpdateStatus}}', service(name)]);
    expect.fail(`${name}'s update ended ${state}: ${status.stdout.trim()}\n${tasks.stdout}`);
  }
  // Completed once the last new task has started: it may still be on its way to running.
  const after = await eventually(`two new ${name} tasks running`, async () => {
    const tasks = await runningTasks(name);
    return tasks.length >= 2 ? tasks : undefined;
  });
  for (const task of after) expect(before.has(task.id), `${name} task ${task.id} was not replaced`).toBe(false);
}

describe.skipIf(!swarm.available)('the Swarm stack', () => {
  const userId = randomInt(1_000_000, 2_000_000_000);

  it('runs the stateless services at two replicas or more and each store once, on the data node', async () => {
    const { stdout } = await docker([
      'service',
      'ls',
      '--filter',
      `label=com.docker.stack.namespace=${swarm.stack}`,
      '--format',
      '{{.Name}} {{.Replicas}}',
    ]);
    const replicas = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [name, count] = line.split(' ');
          return [name!.slice(swarm.stack.length + 1), count!.split(' ')[0]!];
        }),
    );
    for (const name of ['web', 'gateway', 'inventory', 'billing', 'vote', 'worker', 'result', 'predict']) {
      const [running, wanted] = replicas[name]!.split('/').map(Number);
      expect(wanted, name).toBeGreaterThanOrEqual(2);
      expect(running, name).toBe(wanted);
    }
    for (const name of ['inventory-db', 'billing-db', 'votes-db', 'redis', 'rabbit-queue']) {
      expect(replicas[name], name).toBe('1/1');
      const constraints = (
        await docker([
          'service',
          'inspect',
          '--format',
          '{{json .Spec.TaskTemplate.Placement.Constraints}}',
          service(name),
        ])
      ).stdout;
      expect(JSON.parse(constraints), name).toEqual(['node.labels.shipshape.data == true']);
    }
  });

  it('answers the API through the gateway port: every service up, a movie, an order stored, a vote counted', async () => {
    const status = await call<{ services: { name: string; state: string }[] }>(swarm.gatewayUrl, 'GET', '/api/status');
    expect(status.status).toBe(200);
    expect(status.body.services.filter((entry) => entry.state !== 'up')).toEqual([]);

    const movie = await call<{ id: number }>(swarm.gatewayUrl, 'POST', '/api/movies', {
      title: `Swarm ${userId}`,
      description: 'made by tests/swarm',
    });
    expect(movie.status).toBe(201);
    expect((await call(swarm.gatewayUrl, 'GET', `/api/movies/${movie.body.id}`)).status).toBe(200);

    const order = await call<{ id: string }>(swarm.gatewayUrl, 'POST', '/api/billing', {
      user_id: userId,
      number_of_items: 1,
      total_amount: 9.5,
    });
    expect(order.status).toBe(202);
    await eventually('the order stored by billing', async () => {
      const orders = await call<{ message_id: string }[]>(swarm.gatewayUrl, 'GET', '/api/orders?limit=50');
      return orders.body.some((stored) => stored.message_id === order.body.id) ? true : undefined;
    });

    const before = await call<{ total: number }>(swarm.gatewayUrl, 'GET', '/api/results');
    expect((await call(swarm.gatewayUrl, 'POST', '/api/votes', { option: 'a' })).status).toBe(202);
    await eventually('the vote counted', async () => {
      const after = await call<{ total: number }>(swarm.gatewayUrl, 'GET', '/api/results');
      return after.body.total === before.body.total + 1 ? true : undefined;
    });
  });

  it('keeps every password in Docker secrets: none in a service specification', async () => {
    const env = parseEnvFile(await readFile(path.join(repoRoot, '.env'), 'utf8'));
    const passwords = [...env].filter(([key]) => key.endsWith('_PASSWORD')).map(([, value]) => value);
    expect(passwords.length).toBeGreaterThanOrEqual(5);
    const ids = (
      await docker(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${swarm.stack}`])
    ).stdout
      .trim()
      .split('\n');
    const specs = (await docker(['service', 'inspect', ...ids])).stdout;
    for (const password of passwords) expect(specs.includes(password)).toBe(false);
    expect(specs).toContain('"DATABASE_URL_FILE=/run/secrets/database_url"');
  });

  it('rolls the gateway and inventory over under a load of reads and orders: no failed request, no order lost', async () => {
    // Orders of a user of its own, so that the count does not rest on what the API test stored.
    const orderUserId = userId + 1;
    const movies: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await call<{ id: number }>(swarm.gatewayUrl, 'POST', '/api/movies', {
        title: `Rolling ${userId} ${i}`,
        description: 'read during the rolling update',
      });
      expect(created.status).toBe(201);
      movies.push(created.body.id);
    }

    const failures: string[] = [];
    const accepted: string[] = [];
    let requests = 0;
    let running = true;
    // Four clients, one request at a time each: reads through the gateway's port and through the web
    // port (front, web's nginx, gateway), and orders with an idempotency key.
    const client = async (index: number) => {
      while (running) {
        requests += 1;
        const pick = requests % 4;
        try {
          if (pick === 0) {
            const order = await call<{ id: string }>(
              swarm.gatewayUrl,
              'POST',
              '/api/billing',
              { user_id: orderUserId, number_of_items: 1 + (requests % 5), total_amount: 12.5 },
              { 'idempotency-key': randomUUID() },
            );
            if (order.status === 202) accepted.push(order.body.id);
            else failures.push(`POST /api/billing: ${order.status} ${JSON.stringify(order.body)}`);
          } else {
            const base = pick === 1 ? swarm.webUrl : swarm.gatewayUrl;
            const target = pick === 3 ? '/api/movies?limit=5' : `/api/movies/${movies[requests % movies.length]}`;
            const read = await call(base, 'GET', target);
            if (read.status !== 200) failures.push(`GET ${base}${target}: ${read.status} ${JSON.stringify(read.body)}`);
          }
        } catch (error) {
          failures.push(`client ${index}: ${(error as Error).message}`);
        }
        await sleep(20);
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    try {
      await sleep(2_000);
      await rollOver('gateway');
      await rollOver('inventory');
      await sleep(2_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    console.log(
      `swarm: ${requests} requests during the rolling updates of gateway and inventory, ${accepted.length} orders accepted, ${failures.length} failed`,
    );
    // Grouped by what went wrong (ids and numbers left out), with how many times.
    const grouped: Record<string, number> = {};
    for (const failure of failures) {
      const kind = failure.replace(/\d+/g, 'N');
      grouped[kind] = (grouped[kind] ?? 0) + 1;
    }
    expect(grouped).toEqual({});
    expect(accepted.length).toBeGreaterThan(10);

    const stored = await eventually(
      `all ${accepted.length} accepted orders stored`,
      async () => {
        const ours = new Set<string>();
        for (let offset = 0; ; offset += 1000) {
          const page = await call<{ message_id: string; user_id: number }[]>(
            swarm.gatewayUrl,
            'GET',
            `/api/orders?limit=1000&offset=${offset}`,
          );
          for (const order of page.body) if (order.user_id === orderUserId) ours.add(order.message_id);
          if (page.body.length < 1000) break;
        }
        return accepted.every((id) => ours.has(id)) ? ours : undefined;
      },
      120_000,
    );
    // Each once: the stored ones are the accepted ones, none more (message_id is unique in the table).
    expect(stored.size).toBe(accepted.length);
  });

  it('replaces a gateway task whose container is killed', async () => {
    const [victim] = await runningTasks('gateway');
    expect(victim?.container).toBeTruthy();
    await docker(['kill', victim!.container]);
    const replaced = await eventually(
      'a new gateway task in the killed one’s place',
      async () => {
        const tasks = await runningTasks('gateway');
        return tasks.length >= 2 && !tasks.some((task) => task.id === victim!.id) ? tasks : undefined;
      },
      120_000,
    );
    expect(replaced.length).toBeGreaterThanOrEqual(2);
    expect((await call(swarm.gatewayUrl, 'GET', '/api/status')).status).toBe(200);
  });
});
