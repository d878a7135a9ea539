import { defineConfig } from 'vitest/config';

/**
 * Tests whose assertions wait for a running app to keep up with live
 * traffic (a pump publishing hundreds of events a second, several app
 * instances, a browser). Two of them side by side on a loaded 2-core
 * machine starve each other: one app fell 20,000 messages behind while
 * four scale-out instances ran beside it, and its alert came too late. So
 * they run one at a time, after the rest.
 */
const LIVE = [
  'test/e2e/wall.test.ts',
  'test/integration/alertmanager.test.ts',
  'test/integration/alerts.test.ts',
  'test/integration/crash.test.ts',
  'test/integration/nats-outage.test.ts',
  'test/integration/planning.test.ts',
  'test/integration/redelivery-rollups.test.ts',
  'test/integration/scale-out-kill.test.ts',
  'test/integration/scale-out.test.ts',
  'test/integration/store-outage.test.ts',
  'test/integration/window-memory.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and browser tests start real servers and chDB (one data
    // directory per process): run files in separate forks.
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: LIVE, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'live', include: LIVE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
