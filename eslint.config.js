// ESLint (flat config), run by `npm test` before the tests (`npm run lint`).
//
// typescript-eslint's recommended rules without type information: the
// type-checked set needs a full program per run and `npm run typecheck`
// already does that work once.
//
// The fence: src/windows and src/detect are the pure core (README,
// "Architecture"). They get their time from an RxJS scheduler and their
// data from their callers, so virtual-time tests drive them; no I/O module,
// adapter folder or wall clock may creep in.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Modules that reach the world: network, disk, processes, logging, the adapters. */
const IO_MODULES = [
  '@nats-io/*',
  '@clickhouse/*',
  'chdb',
  'ws',
  'express',
  'express-*',
  'cors',
  'helmet',
  'pino',
  'prom-client',
  ...['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process', 'cluster', 'worker_threads', 'os', 'process', 'readline', 'inspector']
    .flatMap((name) => [name, `node:${name}`]),
];
/** trendmon's own adapters, reached by a relative path from the core. */
const ADAPTER_FOLDERS = ['ingest', 'store', 'nats', 'feed', 'api', 'alerts', 'cluster', 'cli', 'catalog'].map((folder) => `**/${folder}/**`);

const pureCore = {
  files: ['src/windows/**/*.ts', 'src/detect/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: IO_MODULES, message: 'src/windows and src/detect are the pure core: no I/O here; pass data in from src/app.ts.' },
          { group: [...ADAPTER_FOLDERS, '**/app.js', '**/metrics.js'], message: 'src/windows and src/detect must not depend on the adapters (README, "Architecture").' },
        ],
      },
    ],
    'no-restricted-globals': [
      'error',
      ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask'].map((name) => ({
        name,
        message: 'Time in the pure core comes from the RxJS scheduler it is given (virtual in tests).',
      })),
      ...['process', 'fetch', 'console', 'performance'].map((name) => ({ name, message: 'The pure core does no I/O and reads no clock.' })),
    ],
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: 'Use the scheduler\'s now() or the event time, so tests run in virtual time.' },
      { object: 'Math', property: 'random', message: 'The pure core is deterministic: take a seeded random source as a parameter.' },
    ],
    'no-restricted-syntax': [
      'error',
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: '`new Date()` reads the wall clock: use the scheduler\'s now() or the event time.' },
    ],
  },
};

/**
 * src/pipeline runs the pure core for one instance or N: the adapters it
 * needs (NATS, the store, the feed) are passed in, so it takes types from
 * them and nothing else, and virtual-time tests drive it whole.
 */
const pipeline = {
  files: ['src/pipeline/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: IO_MODULES, allowTypeImports: true, message: 'src/pipeline takes its adapters as parameters: pass them in from src/app.ts.' },
          { group: [...ADAPTER_FOLDERS, '**/app.js', '**/metrics.js'], allowTypeImports: true, message: 'src/pipeline may use the adapters\' types only (src/cluster builds on it, not the reverse).' },
        ],
      },
    ],
  },
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-results/', 'bench/results/', '.scratch/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        // Node and browser globals the code uses, declared for the JS files (TypeScript checks the rest).
        process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
      },
    },
    rules: {
      // `_`-prefixed names say "deliberately unused" (callbacks' positional parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // TypeScript already reports undefined names, with the types in view.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  pureCore,
  pipeline,
);
