import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The container tests: `npm run test:containers` (scripts/ci-containers.sh in CI). Kept out of the root
// config so that `npm test` does not build images. One stack serves every file; the files run one
// after another because some of them stop and restart its containers.
export default defineConfig({
  root: path.resolve(fileURLToPath(new URL('../..', import.meta.url))),
  test: {
    include: ['tests/containers/**/*.test.ts'],
    globalSetup: ['tests/containers/globalSetup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
