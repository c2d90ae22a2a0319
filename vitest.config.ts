import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites start real processes and talk to real servers; two at a time suits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    // In CI a failed test runs once more, and the report still names it: the CI host shares its 2 cores
    // (load averages of 14 to 30 seen) and the browser's page walk once met a 500 there that it did not
    // meet alone (its failure now names the request and the stack's error lines).
    retry: process.env.CI === 'true' ? 1 : 0,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: [
            'packages/*/test/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'tests/system/**/*.test.ts',
            'tests/repo/**/*.test.ts',
            'tests/faults/**/*.test.ts',
            'tests/browser/**/*.test.ts',
          ],
        },
      },
      {
        // The dashboard's component tests: a DOM of happy-dom's, React's automatic JSX runtime.
        extends: true,
        esbuild: { jsx: 'automatic' },
        test: {
          name: 'web',
          include: ['web/test/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          setupFiles: ['web/test/setup.ts'],
        },
      },
    ],
  },
});
