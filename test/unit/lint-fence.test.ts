/**
 * The fence around the pure core (eslint.config.js): code placed in
 * src/windows or src/detect that reaches for I/O or the wall clock is an
 * error, the same code in an adapter folder is not. Lints text as if it
 * were at those paths, with the project's own configuration.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function rulesBroken(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

const IO_CODE = `
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { openClickHouse } from '../store/client.js';
export const uses = [readFileSync, connect, openClickHouse];
`;
const CLOCK_CODE = `
export const now = () => [Date.now(), new Date(), setTimeout(() => 0, 1), Math.random()];
`;

describe('lint: the pure core stays pure', () => {
  it('refuses I/O modules and adapters in src/windows and src/detect', { timeout: 30_000 }, async () => {
    for (const folder of ['src/windows', 'src/detect']) {
      expect(await rulesBroken(IO_CODE, `${folder}/fence-probe.ts`)).toEqual(['no-restricted-imports', 'no-restricted-imports', 'no-restricted-imports']);
    }
  });

  it('refuses the wall clock and timers there', async () => {
    expect((await rulesBroken(CLOCK_CODE, 'src/detect/fence-probe.ts')).sort()).toEqual([
      'no-restricted-globals',
      'no-restricted-properties',
      'no-restricted-properties',
      'no-restricted-syntax',
    ]);
  });

  it('lets src/pipeline take the adapters\' types, not the adapters', async () => {
    expect(await rulesBroken(IO_CODE, 'src/pipeline/fence-probe.ts')).toEqual(['no-restricted-imports', 'no-restricted-imports', 'no-restricted-imports']);
    const TYPES_CODE = `
import type { NatsConnection } from '@nats-io/nats-core';
import type { ClickHouse } from '../store/client.js';
export type Adapters = [NatsConnection, ClickHouse];
`;
    expect(await rulesBroken(TYPES_CODE, 'src/pipeline/fence-probe.ts')).toEqual([]);
  });

  it('lets the adapters and the detector evaluation tool do I/O', async () => {
    expect(await rulesBroken(IO_CODE, 'src/ingest/fence-probe.ts')).toEqual([]);
    expect(await rulesBroken(CLOCK_CODE, 'src/cli/eval/fence-probe.ts')).toEqual([]);
  });
});
