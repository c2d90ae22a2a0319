import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import {
  builtServices,
  containerId,
  containers,
  docker,
  inspect,
  nodeServices,
  parseEnvFile,
  redisCli,
  services,
  type ContainerState,
  type ServiceName,
} from './docker.js';

const stack = inject('stack');

/**
 * Tries a TCP connection to each `host:port` from inside a container and prints a JSON object
 * `{ "host:port": "open" | "<error code>" }`. Runs with the node of our own images (no other image needed).
 * A name that an internal network's DNS does not know holds one of libuv's lookup threads for seconds:
 * run with UV_THREADPOOL_SIZE above the number of targets, or a known name waits behind them and times out.
 */
const probeScript = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
const attempt = (target) => new Promise((resolve) => {
  const [host, port] = target.split(':');
  const socket = net.connect({ host, port: Number(port), timeout: 10000 });
  socket.on('connect', () => { socket.destroy(); resolve('open'); });
  socket.on('timeout', () => { socket.destroy(); resolve('timeout'); });
  socket.on('error', (error) => resolve(error.code || error.message));
});
Promise.all(targets.map(attempt)).then((results) => {
  console.log(JSON.stringify(Object.fromEntries(targets.map((t, i) => [t, results[i]]))));
});
`;

async function probeFromNetwork(network: string, targets: string[]): Promise<Record<string, string>> {
  const { stdout } = await docker([
    'run',
    '--rm',
    '--env',
    'UV_THREADPOOL_SIZE=64',
    '--network',
    network,
    '--entrypoint',
    'node',
    `shipshape/gateway:${stack.version}`,
    '-e',
    probeScript,
    JSON.stringify(targets),
  ]);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
}

describe.skipIf(!stack.available)('isolation of the stores and services', () => {
  it('publishes only the web and gateway ports, on the loopback address', async () => {
    const running = await containers(stack);
    expect([...running.keys()].sort()).toEqual([...services].sort());
    const published: string[] = [];
    for (const state of await inspect<ContainerState>([...running.values()])) {
      const service = state.Config.Labels['com.docker.compose.service'];
      for (const [port, bindings] of Object.entries(state.NetworkSettings.Ports ?? {})) {
        for (const binding of bindings ?? [])
          published.push(`${service} ${port} -> ${binding.HostIp}:${binding.HostPort}`);
      }
    }
    expect(published.sort()).toEqual([
      `gateway 3000/tcp -> 127.0.0.1:${stack.gatewayPort}`,
      `web 8080/tcp -> 127.0.0.1:${stack.webPort}`,
    ]);
  });

  it('marks every network but edge internal, and lets only their users join them', async () => {
    const members = new Map<string, string[]>();
    for (const state of await inspect<ContainerState>([...(await containers(stack)).values()])) {
      for (const network of Object.keys(state.NetworkSettings.Networks)) {
        members.set(
          network,
          [...(members.get(network) ?? []), state.Config.Labels['com.docker.compose.service']!].sort(),
        );
      }
    }
    const internal = async (network: string) =>
      (await inspect<{ Internal: boolean }>([`${stack.project}_${network}`]))[0]!.Internal;

    expect(Object.fromEntries(members)).toEqual({
      // The dashboard's nginx reaches the gateway and nothing behind it.
      [`${stack.project}_edge`]: ['gateway', 'web'],
      [`${stack.project}_backend`]: [
        'billing',
        'gateway',
        'inventory',
        'predict',
        'result',
        'system',
        'vote',
        // Only for the gateway's GET /api/status: it asks the worker's /ready.
        'worker',
      ],
      // One network per store, with only the services that use it.
      [`${stack.project}_order-queue`]: ['billing', 'gateway', 'rabbit-queue'],
      [`${stack.project}_inventory-data`]: ['inventory', 'inventory-db'],
      [`${stack.project}_billing-data`]: ['billing', 'billing-db'],
      [`${stack.project}_votes-data`]: ['result', 'votes-db', 'worker'],
      [`${stack.project}_vote-log`]: ['redis', 'vote', 'worker'],
    });
    expect(await internal('edge')).toBe(false);
    for (const network of ['backend', 'order-queue', 'inventory-data', 'billing-data', 'votes-data', 'vote-log']) {
      expect(await internal(network), network).toBe(true);
    }
  });

  it('lets each service reach only the stores it uses, and a container on edge none of them', async () => {
    const stores = ['inventory-db:5432', 'billing-db:5432', 'votes-db:5432', 'rabbit-queue:5672', 'redis:6379'];
    const uses: Record<(typeof nodeServices)[number], string[]> = {
      gateway: ['rabbit-queue:5672'],
      inventory: ['inventory-db:5432'],
      billing: ['billing-db:5432', 'rabbit-queue:5672'],
      vote: ['redis:6379'],
      worker: ['votes-db:5432', 'redis:6379'],
      result: ['votes-db:5432'],
      system: [],
      predict: [],
    };
    // The stores' addresses as well as their names: a name another network's DNS does not know is
    // not enough, the address must be out of reach too.
    const addresses: string[] = [];
    for (const target of stores) {
      const [service, port] = target.split(':') as [ServiceName, string];
      const [state] = await inspect<ContainerState>([await containerId(stack, service)]);
      for (const network of Object.values(state!.NetworkSettings.Networks))
        addresses.push(`${network.IPAddress}:${port}`);
    }
    const backendServices = ['inventory:8080', 'billing:8080', 'vote:8080', 'system:8080', 'predict:8000'];

    // All at once: on an internal network a name Docker's DNS does not know takes it seconds to give
    // up on (it has no upstream resolver to ask), so one after another they would add up.
    const [fromEdge, ...fromServices] = await Promise.all([
      probeFromNetwork(`${stack.project}_edge`, [...stores, ...addresses, ...backendServices]),
      ...nodeServices.map(async (service) => {
        const { stdout } = await docker([
          'exec',
          '--env',
          'UV_THREADPOOL_SIZE=64',
          await containerId(stack, service),
          'node',
          '-e',
          probeScript,
          JSON.stringify(stores),
        ]);
        return JSON.parse(stdout) as Record<string, string>;
      }),
    ]);

    const reached = (results: Record<string, string>) =>
      Object.entries(results)
        .filter(([, result]) => result === 'open')
        .map(([target]) => target)
        .sort();
    expect(Object.fromEntries(nodeServices.map((service, index) => [service, reached(fromServices[index]!)]))).toEqual(
      Object.fromEntries(Object.entries(uses).map(([service, targets]) => [service, [...targets].sort()])),
    );
    expect(reached(fromEdge)).toEqual([]);
    expect(Object.keys(fromEdge)).toHaveLength(stores.length + addresses.length + backendServices.length);
  });
});

describe.skipIf(!stack.available)('container and image hardening', () => {
  it('runs no process as root, with capabilities dropped and no-new-privileges in every container', async () => {
    const running = await containers(stack);
    for (const [service, id] of running) {
      const { stdout } = await docker(['top', id, '-o', 'pid,uid,comm']);
      const uids = stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/)[1]);
      expect(uids.length, `${service} has processes`).toBeGreaterThan(0);
      expect(
        uids.filter((uid) => uid === '0'),
        `${service} processes running as root:\n${stdout}`,
      ).toEqual([]);
    }
    for (const state of await inspect<ContainerState>([...running.values()])) {
      const service = state.Config.Labels['com.docker.compose.service'];
      expect(state.Config.User, service).not.toMatch(/^(|root|0)(:.*)?$/);
      expect(state.HostConfig.CapDrop, service).toEqual(['ALL']);
      expect(state.HostConfig.SecurityOpt, service).toContain('no-new-privileges:true');
      expect(state.HostConfig.Memory, `${service} memory limit`).toBeGreaterThan(0);
      if (service !== 'rabbit-queue') expect(state.HostConfig.ReadonlyRootfs, `${service} read-only`).toBe(true);
    }
  });

  it('puts no secret from .env into any image: history, configuration or layers', async () => {
    const env = parseEnvFile(await readFile(stack.envFile, 'utf8'));
    const secrets = [...env].filter(([key, value]) => /PASSWORD|SECRET|TOKEN/.test(key) && value.length >= 8);
    expect(secrets.length, 'secrets found in .env').toBeGreaterThanOrEqual(5);

    // A string that is only in a layer's file contents: finding it shows the scan reads the layers.
    const markers: Record<string, string> = { web: "The web image's nginx: the dashboard's files" };
    for (const service of builtServices) {
      const marker = markers[service] ?? 'Container health probe shared by every Node service image';
      const image = `shipshape/${service}:${stack.version}`;
      const history = (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image])).stdout;
      const config = (await docker(['image', 'inspect', image])).stdout;
      const found = new Set<string>();
      let markerSeen = false;
      let carry = '';
      const keep = Math.max(marker.length, ...secrets.map(([, value]) => value.length));
      await docker(['save', image], {
        timeoutMs: 300_000,
        onStdout: (chunk) => {
          const text = carry + chunk.toString('latin1');
          for (const [key, value] of secrets) if (text.includes(value)) found.add(key);
          if (text.includes(marker)) markerSeen = true;
          carry = text.slice(-keep);
        },
      });
      for (const [key, value] of secrets) {
        if (history.includes(value)) found.add(`${key} (history)`);
        if (config.includes(value)) found.add(`${key} (image configuration)`);
      }
      expect(markerSeen, `${image}: the layer scan did not see "${marker}"`).toBe(true);
      expect([...found], `${image} contains secrets`).toEqual([]);
    }
  });

  it('tags each Node image with the project version and latest, labels it, runs it as node with a healthcheck', async () => {
    for (const service of nodeServices) {
      const [versioned, latest] = await inspect<{
        Id: string;
        Config: {
          User: string;
          Labels: Record<string, string>;
          Healthcheck?: { Test: string[] };
          ExposedPorts: Record<string, object>;
        };
      }>([`shipshape/${service}:${stack.version}`, `shipshape/${service}:latest`]);
      expect(latest!.Id).toBe(versioned!.Id);
      expect(versioned!.Config.User).toBe('node');
      expect(versioned!.Config.Labels).toMatchObject({
        'org.opencontainers.image.version': stack.version,
        'org.opencontainers.image.title': `shipshape-${service}`,
      });
      expect(versioned!.Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
      // The gateway on 3000 and predict on the seed's 8000; every other service on 8080.
      const port = { gateway: '3000/tcp', predict: '8000/tcp' }[service as string] ?? '8080/tcp';
      expect(Object.keys(versioned!.Config.ExposedPorts), service).toEqual([port]);
    }
  });

  it('builds the web image with nginx only: no Node, run as nginx on 8080, tagged, labelled, checked', async () => {
    const [versioned, latest] = await inspect<{
      Id: string;
      Config: {
        User: string;
        Labels: Record<string, string>;
        Healthcheck?: { Test: string[] };
        ExposedPorts: Record<string, object>;
      };
    }>([`shipshape/web:${stack.version}`, `shipshape/web:latest`]);
    expect(latest!.Id).toBe(versioned!.Id);
    expect(versioned!.Config.User).toBe('nginx');
    expect(versioned!.Config.Labels).toMatchObject({
      'org.opencontainers.image.version': stack.version,
      'org.opencontainers.image.title': 'shipshape-web',
    });
    expect(versioned!.Config.Healthcheck?.Test.slice(0, 2)).toEqual(['CMD', 'wget']);
    // An EXPOSE of the base image is inherited and cannot be undone (the lab's stand-in says 80 as well);
    // nginx itself listens on 8080 only (web/nginx/nginx.conf.template), which the stack publishes.
    expect(Object.keys(versioned!.Config.ExposedPorts)).toContain('8080/tcp');
    // Node built the files; none of it reached the image.
    const found = await docker(
      [
        'run',
        '--rm',
        '--entrypoint',
        'sh',
        `shipshape/web:${stack.version}`,
        '-c',
        'command -v node npm; ls /app /usr/share/nginx/html/src 2>/dev/null; ls /usr/share/nginx/html',
      ],
      { allowFailure: true },
    );
    expect(found.stdout.trim().split('\n').sort()).toEqual(['assets', 'favicon.svg', 'index.html']);
  });
});

describe.skipIf(!stack.available)('redis, the vote log', () => {
  it('fsyncs every write to its append-only file, on the named volume, and takes no snapshots', async () => {
    const config = async (name: string) => (await redisCli(stack, ['CONFIG', 'GET', name])).split('\n')[1];
    expect(await config('appendonly')).toBe('yes');
    expect(await config('appendfsync')).toBe('always');
    expect(await config('save')).toBe('');
    expect(await config('dir')).toBe('/data');
    expect(Number(await config('maxmemory'))).toBeGreaterThan(0);
    expect(await config('maxmemory-policy')).toBe('noeviction');

    const [state] = await inspect<ContainerState>([await containerId(stack, 'redis')]);
    expect(state!.Mounts.find((mount) => mount.Destination === '/data')).toMatchObject({
      Type: 'volume',
      Name: `${stack.project}_redis-data`,
    });
    expect(state!.Config.User).toBe('redis');
    expect(state!.HostConfig.ReadonlyRootfs).toBe(true);
  });

  it('refuses clients without the password, which is on no command line', async () => {
    const redis = await containerId(stack, 'redis');
    const anonymous = await docker(['exec', redis, 'redis-cli', 'ping'], { allowFailure: true });
    expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH/);
    const wrong = await docker(['exec', '-e', 'REDISCLI_AUTH=not-the-password', redis, 'redis-cli', 'ping'], {
      allowFailure: true,
    });
    expect(wrong.stdout + wrong.stderr).toMatch(/WRONGPASS|invalid password/);
    expect(await redisCli(stack, ['PING'])).toBe('PONG');

    // Not in the container's command, arguments or healthcheck, nor in what the host's ps shows.
    const password = parseEnvFile(await readFile(stack.envFile, 'utf8')).get('REDIS_PASSWORD')!;
    expect(password.length).toBeGreaterThanOrEqual(16);
    const [state] = await inspect<ContainerState>([redis]);
    const commandLine = JSON.stringify([
      state!.Args,
      state!.Config.Cmd,
      state!.Config.Entrypoint,
      state!.Config.Healthcheck,
    ]);
    expect(commandLine).not.toContain(password);
    const top = await docker(['top', redis, '-o', 'pid,args']);
    expect(top.stdout).not.toContain(password);
  });
});
