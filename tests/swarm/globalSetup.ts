import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { getFreePort } from '@shipshape/testkit';
import { docker, repoRoot, run, tail } from '../containers/docker.js';

/** What the global setup hands to every file. */
export interface SwarmInfo {
  available: boolean;
  stack: string;
  gatewayUrl: string;
  webUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    swarm: SwarmInfo;
  }
}

const swarmScript = path.join(repoRoot, 'scripts/swarm.mjs');

/**
 * Deploys the stack as a user does, `npm run swarm:up` (a single-node swarm made when the engine is in
 * none, the images built, the secrets created, convergence awaited), on free host ports; removes it
 * with its volumes and secrets at the end, and leaves the swarm when it made it. Without an engine the
 * suite is skipped with one line, except in CI with the container lab present.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = 'shipshape';
  const unavailable: SwarmInfo = { available: false, stack, gatewayUrl: '', webUrl: '' };
  const engine = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'], {
    allowFailure: true,
    timeoutMs: 20_000,
  }).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  if (engine.code !== 0) {
    const reason = `no Docker engine answers (${tail(engine.stderr, 1) || 'docker info failed'})`;
    if (process.env.CI === 'true' && existsSync(path.resolve(repoRoot, '../shared/lab'))) {
      throw new Error(`swarm tests: ${reason}`);
    }
    console.warn(`skipping swarm tests: ${reason}`);
    project.provide('swarm', unavailable);
    return async () => {};
  }
  const madeSwarm = engine.stdout.trim() !== 'active';
  const envFile = path.join(repoRoot, '.env');
  const madeEnvFile = !existsSync(envFile);
  // getFreePort picks below the kernel's ephemeral range (32768 and up), where Docker also picks the host
  // ports of lab.yml's host-mode tasks: a port from there could be taken by a web task before front binds it.
  const webPort = await getFreePort();
  const gatewayPort = await getFreePort();
  // Every request of the tests comes from this one address: the gateway's limit per client is raised
  // (not turned off), as in the container tests.
  const env = {
    ...process.env,
    WEB_PORT: String(webPort),
    GATEWAY_PORT: String(gatewayPort),
    SWARM_TIMEOUT_S: '420',
    RATE_LIMIT_MAX: '100000',
  };

  const teardown = async () => {
    const args = ['down', '--volumes', '--secrets', ...(madeSwarm ? ['--leave'] : [])];
    const down = await run(process.execPath, [swarmScript, ...args], { allowFailure: true, timeoutMs: 300_000 });
    if (down.code !== 0) console.warn(`swarm tests: removing the stack failed:\n${tail(down.stderr, 10)}`);
    if (madeEnvFile) await rm(envFile, { force: true });
  };

  const started = Date.now();
  const up = await run(process.execPath, [swarmScript, 'up'], { env, allowFailure: true, timeoutMs: 900_000 });
  console.log(
    `swarm tests: npm run swarm:up in ${((Date.now() - started) / 1000).toFixed(0)} s\n${tail(up.stdout, 12)}`,
  );
  if (up.code !== 0) {
    const ps = await docker(['stack', 'ps', '--no-trunc', stack], { allowFailure: true });
    console.error(`swarm tests: swarm:up failed:\n${tail(up.stderr, 30)}\n${tail(ps.stdout, 40)}`);
    await teardown();
    throw new Error('swarm:up failed');
  }
  project.provide('swarm', {
    available: true,
    stack,
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    webUrl: `http://127.0.0.1:${webPort}`,
  });
  return teardown;
}
