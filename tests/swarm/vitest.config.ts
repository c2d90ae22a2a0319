import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Swarm tests: `npm run test:swarm` (scripts/ci-containers.sh runs it after the container tests).
// One stack, deployed by `npm run swarm:up` in the global setup, serves every file, one after another.
export default defineConfig({
  root: path.resolve(fileURLToPath(new URL('../..', import.meta.url))),
  test: {
    include: ['tests/swarm/**/*.test.ts'],
    globalSetup: ['tests/swarm/globalSetup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
