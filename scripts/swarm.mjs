#!/usr/bin/env node
// The system on a Docker Swarm, with Docker (and Node for npm) alone on the machine:
//
//   npm run swarm:up     [-- --no-build]                   build, create secrets, deploy, wait, print URLs
//   npm run swarm:down   [-- --volumes] [--secrets] [--leave]   remove the stack (and its data, secrets, swarm)
//
// up: makes this engine a single-node swarm when it is none; builds every image of the repository
// (services/*/Dockerfile, web/Dockerfile) as shipshape/<name>:<version>; writes .env when it is missing
// (scripts/init-env.sh) and creates the Docker secrets from it (a secret that exists is kept: secrets
// cannot change, see deploy/swarm/README.md to rotate one); labels this node shipshape.data=true when no
// node is, for the stores' placement; deploys deploy/swarm/stack.yml as the stack SWARM_STACK
// (shipshape), with deploy/swarm/lab.yml when the node has no IPVS (or SWARM_LAB=1); then waits until
// every service runs all its replicas, healthy, and then until the gateway's /api/status says every
// service is ready, printing progress, for up to SWARM_TIMEOUT_S (300) in all.
// Plain Node, no dependencies: it runs before `npm ci`.
/* global AbortSignal */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stack = process.env.SWARM_STACK ?? 'shipshape';
const timeoutSeconds = Number(process.env.SWARM_TIMEOUT_S ?? 300);
const webPort = process.env.WEB_PORT ?? '8080';
const gatewayPort = process.env.GATEWAY_PORT ?? '3000';
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;

class Failure extends Error {}

/** Runs a command; answers its output, or throws naming it with the end of what it printed. */
function run(command, args, { input, env, quiet = true, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (!quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!quiet) process.stderr.write(chunk);
    });
    child.on('error', (error) =>
      reject(new Failure(error.code === 'ENOENT' ? `${command} is not installed (or not on PATH)` : error.message)),
    );
    child.on('close', (code) => {
      if (code === 0 || allowFailure) return resolve({ code, stdout, stderr });
      const tail = (stderr || stdout).trim().split('\n').slice(-15).join('\n');
      reject(new Failure(`${command} ${args.join(' ')} exited ${code}:\n${tail}`));
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const docker = (args, options) => run('docker', args, options);
const say = (line) => console.log(`swarm: ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** KEY=value lines of the env file. */
function readEnvFile(file) {
  const values = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values[match[1]] = match[2].trim();
  }
  return values;
}

async function ensureSwarm() {
  await docker(['info', '--format', '{{.ServerVersion}}']).catch((error) => {
    throw new Failure(`no Docker engine answers: ${error.message}`);
  });
  const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
  if (state === 'active') return;
  say('this engine is in no swarm: docker swarm init');
  const plain = await docker(['swarm', 'init'], { allowFailure: true });
  if (plain.code === 0) return;
  // A machine with several addresses makes init ask which one: a single node can use the loopback.
  if (!/advertise-addr/.test(plain.stderr)) throw new Failure(`docker swarm init failed:\n${plain.stderr.trim()}`);
  say('several addresses: a single-node swarm on 127.0.0.1 (docker swarm init --advertise-addr 127.0.0.1)');
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
}

/** Every image the repository builds: [name, Dockerfile]. */
function images() {
  const found = readdirSync(path.join(root, 'services'))
    .filter((name) => existsSync(path.join(root, 'services', name, 'Dockerfile')))
    .map((name) => [name, `services/${name}/Dockerfile`]);
  return [['web', 'web/Dockerfile'], ...found];
}

async function buildImages() {
  const revision = (await run('git', ['rev-parse', '--short', 'HEAD'], { allowFailure: true })).stdout.trim();
  const all = images();
  for (const [index, [name, dockerfile]] of all.entries()) {
    const started = Date.now();
    const tag = `shipshape/${name}:${version}`;
    await docker(
      [
        'build',
        '-f',
        dockerfile,
        '-t',
        tag,
        '-t',
        `shipshape/${name}:latest`,
        '--build-arg',
        `VERSION=${version}`,
        '--build-arg',
        `REVISION=${revision || 'unknown'}`,
        '.',
      ],
      { env: { DOCKER_BUILDKIT: '1' } },
    );
    say(`built ${tag} (${index + 1}/${all.length}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

/** The secrets of stack.yml, from the values of .env. Passwords are letters and digits (init-env.sh). */
function secretsFrom(env) {
  const need = (key) => {
    if (!env[key]) throw new Failure(`.env has no ${key}: run sh scripts/init-env.sh (it adds what is missing)`);
    return env[key];
  };
  const postgres = (user, password, database, host) =>
    `postgres://${need(user)}:${need(password)}@${host}:5432/${database}`;
  return {
    inventory_db_password: need('INVENTORY_DB_PASSWORD'),
    billing_db_password: need('BILLING_DB_PASSWORD'),
    votes_db_password: need('VOTES_DB_PASSWORD'),
    redis_password: need('REDIS_PASSWORD'),
    rabbitmq_users: `default_user = ${need('RABBITMQ_USER')}\ndefault_pass = ${need('RABBITMQ_PASSWORD')}\n`,
    inventory_database_url: postgres('INVENTORY_DB_USER', 'INVENTORY_DB_PASSWORD', 'inventory', 'inventory-db'),
    billing_database_url: postgres('BILLING_DB_USER', 'BILLING_DB_PASSWORD', 'billing', 'billing-db'),
    votes_database_url: postgres('VOTES_DB_USER', 'VOTES_DB_PASSWORD', 'votes', 'votes-db'),
    amqp_url: `amqp://${need('RABBITMQ_USER')}:${need('RABBITMQ_PASSWORD')}@rabbit-queue:5672`,
    redis_url: `redis://:${need('REDIS_PASSWORD')}@redis:6379`,
  };
}

async function ensureSecrets(env) {
  const existing = new Set((await docker(['secret', 'ls', '--format', '{{.Name}}'])).stdout.trim().split('\n'));
  let created = 0;
  for (const [name, value] of Object.entries(secretsFrom(env))) {
    const secret = `shipshape_${name}`;
    if (existing.has(secret)) continue;
    // On standard input: the value is on no command line.
    await docker(['secret', 'create', '--label', `com.shipshape.stack=${stack}`, secret, '-'], { input: value });
    created += 1;
  }
  say(`secrets: ${created} created, ${Object.keys(secretsFrom(env)).length - created} kept`);
}

async function ensureDataNode() {
  const nodes = (await docker(['node', 'ls', '--format', '{{.ID}}'])).stdout.trim().split('\n');
  const labels = await docker(['node', 'inspect', '--format', '{{index .Spec.Labels "shipshape.data"}}', ...nodes]);
  if (labels.stdout.split('\n').includes('true')) return;
  const self = (await docker(['info', '--format', '{{.Swarm.NodeID}}'])).stdout.trim();
  await docker(['node', 'update', '--label-add', 'shipshape.data=true', self]);
  say('labelled this node shipshape.data=true: the stores and their volumes live here');
}

/** Whether the routing mesh and service VIPs can work: they need IPVS in the kernel. */
function needsLabOverride() {
  if (process.env.SWARM_LAB !== undefined) return process.env.SWARM_LAB === '1';
  // Linux: dockerd loads ip_vs when a swarm starts; without it /proc/net/ip_vs is missing. Elsewhere
  // (Docker Desktop) the engine runs in a VM with IPVS.
  return process.platform === 'linux' && !existsSync('/proc/net/ip_vs');
}

async function deploy(env, lab) {
  const files = ['-c', 'deploy/swarm/stack.yml', ...(lab ? ['-c', 'deploy/swarm/lab.yml'] : [])];
  const ports = lab
    ? { WEB_PUBLISHED_PORT: '0', GATEWAY_PUBLISHED_PORT: '0', PUBLISH_MODE: 'host' }
    : { WEB_PUBLISHED_PORT: webPort, GATEWAY_PUBLISHED_PORT: gatewayPort, PUBLISH_MODE: 'ingress' };
  say(`deploying ${stack}${lab ? ' with deploy/swarm/lab.yml (no IPVS: DNS round robin, host ports, a front)' : ''}`);
  await docker(['stack', 'deploy', '--prune', ...files, stack], {
    env: { ...env, SHIPSHAPE_VERSION: version, WEB_PORT: webPort, GATEWAY_PORT: gatewayPort, ...ports },
  });
}

/** Each service of the stack: replicas wanted and running healthy, and its update state. */
async function serviceStates() {
  const ids = (await docker(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).stdout
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const specs = JSON.parse((await docker(['service', 'inspect', ...ids])).stdout);
  const tasks = (
    await docker([
      'service',
      'ps',
      '--filter',
      'desired-state=running',
      '--format',
      '{{.Name}}\t{{.CurrentState}}\t{{.Error}}',
      ...ids,
    ])
  ).stdout
    .trim()
    .split('\n')
    .filter(Boolean);
  return specs.map((spec) => {
    const name = spec.Spec.Name;
    const wanted = spec.Spec.Mode.Replicated?.Replicas ?? 1;
    const mine = tasks.filter((line) => line.startsWith(`${name}.`));
    const running = mine.filter((line) => line.split('\t')[1].startsWith('Running')).length;
    const errors = mine.map((line) => line.split('\t')[2]).filter(Boolean);
    return { name, wanted, running, update: spec.UpdateStatus?.State, errors };
  });
}

/** Containers of the stack that run but are not healthy yet (a task is Running before its check passes). */
async function unhealthyContainers() {
  const { stdout } = await docker([
    'ps',
    '--filter',
    `label=com.docker.stack.namespace=${stack}`,
    '--format',
    '{{.Label "com.docker.swarm.service.name"}}\t{{.Status}}',
  ]);
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line && !line.includes('(healthy)'))
    .map((line) => line.split('\t')[0]);
}

async function waitForConvergence(deadline) {
  const started = Date.now();
  let lastLine = '';
  for (;;) {
    const states = await serviceStates();
    const unhealthy = await unhealthyContainers();
    const lagging = states.filter(
      (state) => state.running < state.wanted || unhealthy.includes(state.name) || state.update === 'updating',
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    if (states.length > 0 && lagging.length === 0) {
      say(`${states.length} services converged in ${seconds} s`);
      return;
    }
    const line = `${states.length - lagging.length}/${states.length} services converged; waiting for ${lagging
      .map((state) => `${state.name.slice(stack.length + 1)} ${state.running}/${state.wanted}`)
      .join(', ')}`;
    if (line !== lastLine) say(`${seconds} s: ${line}`);
    lastLine = line;
    if (Date.now() > deadline) {
      const errors = lagging.flatMap((state) => state.errors.map((error) => `  ${state.name}: ${error}`));
      throw new Failure(
        `not converged after ${timeoutSeconds} s (SWARM_TIMEOUT_S): ${line}` +
          (errors.length ? `\n${errors.join('\n')}` : '') +
          `\nsee: docker service ps --no-trunc ${lagging[0]?.name ?? stack}`,
      );
    }
    await sleep(3_000);
  }
}

// A converged service is healthy (/health), not yet ready: a gateway whose broker connection is still
// being made answers /ready 503. Several answers in a row, since the port reaches each gateway in turn.
const READY_ANSWERS_IN_A_ROW = 6;

/** Waits until GET /api/status, through the published gateway port, says every service is up. */
async function waitForReadiness(deadline) {
  const started = Date.now();
  const url = `http://127.0.0.1:${gatewayPort}/api/status`;
  let inARow = 0;
  let lastLine = '';
  for (;;) {
    let line;
    try {
      const answer = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const { services } = answer.ok ? await answer.json() : {};
      if (!Array.isArray(services)) {
        line = `${url} answered ${answer.status} without the services' states`;
      } else {
        const notUp = services.filter((entry) => entry.state !== 'up');
        line = notUp.map((entry) => `${entry.name} ${entry.state}: ${entry.error}`).join('; ');
      }
    } catch (error) {
      line = `${url}: ${error instanceof Error ? error.message : String(error)}`;
    }
    inARow = line === '' ? inARow + 1 : 0;
    if (inARow >= READY_ANSWERS_IN_A_ROW) {
      say(`every service ready in ${((Date.now() - started) / 1000).toFixed(0)} s more`);
      return;
    }
    if (line !== '' && line !== lastLine) say(`waiting until ready: ${line}`);
    lastLine = line;
    if (Date.now() > deadline) {
      throw new Failure(`not ready after ${timeoutSeconds} s (SWARM_TIMEOUT_S): ${line || 'answers flapping'}`);
    }
    await sleep(line === '' ? 500 : 2_000);
  }
}

async function up(args) {
  await ensureSwarm();
  if (!existsSync(path.join(root, '.env'))) say('no .env: writing one with random passwords (scripts/init-env.sh)');
  await run('sh', ['scripts/init-env.sh'], { allowFailure: false });
  const env = readEnvFile(path.join(root, '.env'));
  if (!args.includes('--no-build')) await buildImages();
  await ensureSecrets(env);
  await ensureDataNode();
  await deploy(env, needsLabOverride());
  // One bound for both waits: SWARM_TIMEOUT_S counts from the deploy.
  const deadline = Date.now() + timeoutSeconds * 1000;
  await waitForConvergence(deadline);
  await waitForReadiness(deadline);
  console.log(
    [
      '',
      `  dashboard  http://localhost:${webPort}`,
      `  API        http://localhost:${gatewayPort}/api (documentation: http://localhost:${gatewayPort}/docs)`,
      '',
      `  docker stack services ${stack}     what runs`,
      `  npm run swarm:down                 remove it (-- --volumes for its data too)`,
    ].join('\n'),
  );
}

async function down(args) {
  const present = (await docker(['stack', 'ls', '--format', '{{.Name}}'], { allowFailure: true })).stdout
    .split('\n')
    .includes(stack);
  if (present) {
    await docker(['stack', 'rm', stack]);
    say(`removing ${stack}…`);
  }
  // stack rm returns at once: the containers and networks go in the background.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const left = (await docker(['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`])).stdout.trim();
    const networks = (
      await docker(['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])
    ).stdout.trim();
    if (!left && !networks) break;
    if (Date.now() > deadline) throw new Failure(`${stack} still has containers or networks after 120 s`);
    await sleep(1_000);
  }
  say(`${stack} removed`);
  if (args.includes('--volumes')) {
    const volumes = (
      await docker(['volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])
    ).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    // A volume is freed a moment after its container goes: try again for a while.
    let removed = 0;
    for (const volume of volumes) {
      for (let attempt = 1; ; attempt += 1) {
        const result = await docker(['volume', 'rm', volume], { allowFailure: true });
        if (result.code === 0) removed += 1;
        if (result.code === 0 || /no such volume/i.test(result.stderr)) break;
        if (attempt === 30) throw new Failure(`could not remove the volume ${volume}: ${result.stderr.trim()}`);
        await sleep(1_000);
      }
    }
    say(`volumes removed: ${removed}`);
  }
  if (args.includes('--secrets')) {
    const secrets = (await docker(['secret', 'ls', '-q', '--filter', `label=com.shipshape.stack=${stack}`])).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    if (secrets.length > 0) await docker(['secret', 'rm', ...secrets]);
    say(`secrets removed: ${secrets.length}`);
  }
  if (args.includes('--leave')) {
    await docker(['swarm', 'leave', '--force']);
    await docker(['network', 'rm', 'docker_gwbridge'], { allowFailure: true });
    say('left the swarm');
  }
}

const [command, ...args] = process.argv.slice(2);
const known = { up: ['--no-build'], down: ['--volumes', '--secrets', '--leave'] };
try {
  if (!(command in known))
    throw new Failure(`usage: node scripts/swarm.mjs up [--no-build] | down [--volumes] [--secrets] [--leave]`);
  const unknown = args.find((arg) => !known[command].includes(arg));
  if (unknown) throw new Failure(`unknown option ${unknown} for ${command} (known: ${known[command].join(' ')})`);
  await (command === 'up' ? up(args) : down(args));
} catch (error) {
  console.error(`swarm: ${error instanceof Failure ? error.message : error.stack}`);
  process.exitCode = 1;
}
