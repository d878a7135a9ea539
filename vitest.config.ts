import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and browser tests start real servers and chDB (one data
    // directory per process): run files in separate forks, a few at a time.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
