import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import {
  builtServices,
  containerId,
  containers,
  docker,
  inspect,
  parseEnvFile,
  services,
  type ContainerState,
} from './docker.js';

const stack = inject('stack');

/**
 * Tries a TCP connection to each `host:port` from inside a container and prints a JSON object
 * `{ "host:port": "open" | "<error code>" }`. Runs with the node of our own images (no other image needed).
 */
const probeScript = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
const attempt = (target) => new Promise((resolve) => {
  const [host, port] = target.split(':');
  const socket = net.connect({ host, port: Number(port), timeout: 3000 });
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

describe.skipIf(!stack.available)('isolation of the data tier', () => {
  it('publishes only the gateway port, on the loopback address', async () => {
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
    expect(published).toEqual([`gateway 3000/tcp -> 127.0.0.1:${stack.gatewayPort}`]);
  });

  it('marks the backend and data networks internal, and lets only their users join them', async () => {
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
      [`${stack.project}_data`]: ['billing', 'billing-db', 'inventory', 'inventory-db'],
      [`${stack.project}_backend`]: ['billing', 'gateway', 'inventory', 'rabbit-queue'],
      [`${stack.project}_edge`]: ['gateway'],
    });
    expect(await internal('data')).toBe(true);
    expect(await internal('backend')).toBe(true);
    expect(await internal('edge')).toBe(false);
  });

  it('keeps databases and broker out of reach of a container on the non-internal network', async () => {
    const addresses: string[] = [];
    for (const [service, port] of [
      ['inventory-db', 5432],
      ['billing-db', 5432],
      ['rabbit-queue', 5672],
    ] as const) {
      const [state] = await inspect<ContainerState>([await containerId(stack, service)]);
      for (const network of Object.values(state!.NetworkSettings.Networks))
        addresses.push(`${network.IPAddress}:${port}`);
    }
    const targets = ['inventory-db:5432', 'billing-db:5432', 'rabbit-queue:5672', ...addresses];

    // The probe itself works: from the data network the databases answer.
    const fromData = await probeFromNetwork(`${stack.project}_data`, ['inventory-db:5432', 'billing-db:5432']);
    expect(fromData).toEqual({ 'inventory-db:5432': 'open', 'billing-db:5432': 'open' });

    const fromEdge = await probeFromNetwork(`${stack.project}_edge`, targets);
    for (const target of targets) expect(fromEdge[target], target).not.toBe('open');
    expect(Object.keys(fromEdge).sort()).toEqual([...targets].sort());

    // Nor does the gateway itself (edge and backend) reach the databases: it has no business there.
    const gateway = await containerId(stack, 'gateway');
    const { stdout } = await docker([
      'exec',
      gateway,
      'node',
      '-e',
      probeScript,
      JSON.stringify(['inventory-db:5432', 'billing-db:5432']),
    ]);
    expect(Object.values(JSON.parse(stdout) as Record<string, string>)).not.toContain('open');
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
    expect(secrets.length, 'secrets found in .env').toBeGreaterThanOrEqual(3);

    // A string that is only in a layer's file contents: finding it shows the scan reads the layers.
    const marker = 'Container health probe shared by every Node service image';
    for (const service of builtServices) {
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
      expect(markerSeen, `${image}: the layer scan did not see healthcheck.mjs`).toBe(true);
      expect([...found], `${image} contains secrets`).toEqual([]);
    }
  });

  it('tags each image with the project version and latest, labels it, runs it as node with a healthcheck', async () => {
    for (const service of builtServices) {
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
      expect(Object.keys(versioned!.Config.ExposedPorts)).toEqual([service === 'gateway' ? '3000/tcp' : '8080/tcp']);
    }
  });
});
