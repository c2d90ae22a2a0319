import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { getFreePort } from '@shipshape/testkit';
import {
  builtServices,
  compose,
  composeEnv,
  docker,
  findCompose,
  repoRoot,
  run,
  tail,
  waitForHealthy,
  type StackInfo,
} from './docker.js';

/**
 * Builds the images and starts the whole stack once, under a compose project of its own and on a free
 * host port, for every file of the suite; removes it with its volumes at the end, also after a failure.
 * Without a Docker engine the suites are skipped with one line, except in CI with the container lab
 * present, where a missing engine is a failure.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const version = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')).version as string;
  const envFile = path.join(repoRoot, '.env');
  const unavailable: StackInfo = {
    available: false,
    compose: [],
    project: '',
    gatewayUrl: '',
    gatewayPort: 0,
    webUrl: '',
    webPort: 0,
    envFile,
    version,
  };

  const engine = await docker(['info', '--format', '{{.ServerVersion}}'], {
    allowFailure: true,
    timeoutMs: 20_000,
  }).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  if (engine.code !== 0) {
    const reason = `no Docker engine answers (${tail(engine.stderr, 1) || 'docker info failed'})`;
    const labPresent = existsSync(path.resolve(repoRoot, '../shared/lab'));
    if (process.env.CI === 'true' && labPresent) throw new Error(`container tests: ${reason}`);
    console.warn(`skipping container tests: ${reason}`);
    project.provide('stack', unavailable);
    return async () => {};
  }

  const stack: StackInfo = {
    available: true,
    compose: await findCompose(),
    project: process.env.SHIPSHAPE_CONTAINERS_PROJECT ?? `shipshape-ctest-${process.pid}`,
    gatewayPort: await getFreePort(),
    gatewayUrl: '',
    webPort: await getFreePort(),
    webUrl: '',
    envFile,
    version,
  };
  stack.gatewayUrl = `http://127.0.0.1:${stack.gatewayPort}`;
  stack.webUrl = `http://127.0.0.1:${stack.webPort}`;

  // The documented first step, when this checkout has not taken it: the images are then built with a
  // real .env next to them, which the secrets test checks did not end up in any image.
  const createdEnvFile = !existsSync(envFile);
  if (createdEnvFile) await run('sh', [path.join(repoRoot, 'scripts/init-env.sh'), envFile]);

  const teardown = async () => {
    const down = await compose(stack, ['down', '--volumes', '--remove-orphans', '--timeout', '20'], {
      allowFailure: true,
    });
    if (down.code !== 0) console.warn(`container tests: removing ${stack.project} failed:\n${tail(down.stderr, 10)}`);
    if (createdEnvFile) await rm(envFile, { force: true });
  };

  try {
    const started = Date.now();
    // The documented build command: compose build, then the :latest tags next to the version tags.
    await run('sh', [path.join(repoRoot, 'scripts/containers-build.sh')], {
      env: { ...composeEnv(stack), SHIPSHAPE_COMPOSE: stack.compose.join(' ') },
      timeoutMs: 900_000,
    });
    const built = (Date.now() - started) / 1000;
    console.log(`container tests: built ${builtServices.length} images in ${built.toFixed(0)} s`);
    await printImageSizes(version);

    const upStarted = Date.now();
    await compose(stack, ['up', '--detach'], { timeoutMs: 600_000 });
    await waitForHealthy(stack);
    console.log(`container tests: stack ${stack.project} healthy in ${((Date.now() - upStarted) / 1000).toFixed(0)} s`);
  } catch (error) {
    const logs = await compose(stack, ['logs', '--no-color', '--tail', '30'], { allowFailure: true }).catch(() => null);
    if (logs) console.error(`container tests: logs of ${stack.project}:\n${logs.stdout}${logs.stderr}`);
    await teardown();
    throw error;
  }

  project.provide('stack', stack);
  return teardown;
}

/** The size of each built image: printed, not asserted. */
async function printImageSizes(version: string): Promise<void> {
  const lines: string[] = [];
  for (const service of builtServices) {
    const image = `shipshape/${service}:${version}`;
    const { stdout } = await docker(['image', 'inspect', '--format', '{{.Size}}', image]);
    lines.push(`  ${image.padEnd(28)} ${(Number(stdout.trim()) / 1e6).toFixed(1).padStart(7)} MB`);
  }
  console.log(`container tests: image sizes\n${lines.join('\n')}`);
}
