import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Cross-process tests spawn bandsim/bandctl from dist/; 2 cores on CI.
    pool: 'forks',
    maxWorkers: 2,
  },
});
