/**
 * Memory of the live windows with N distinct search queries in one 5-minute
 * window: bench/window-memory.ts in a child with a 320 MB old-space cap (so
 * a leak fails loudly rather than swapping), once per N.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { scriptCommand } from './lib/child.js';
import { progress } from './lib/util.js';

export interface MemoryResult {
  readonly distinct: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly eventsPerSec: number;
  /** Space-Saving keys reported for the window. */
  readonly queryKeysInWindow: number;
  /** The heavy queries came out exact or within the error bound. */
  readonly topWithinBound: boolean;
}

const run = promisify(execFile);

export async function runMemory(distinct: number): Promise<MemoryResult> {
  progress(`memory: ${distinct.toLocaleString()} distinct queries in one window`);
  const { file, execArgv } = scriptCommand('window-memory.ts');
  const { stdout } = await run(process.execPath, ['--max-old-space-size=320', ...execArgv, file, '--distinct', String(distinct)], {
    maxBuffer: 1 << 20,
    timeout: 300_000,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
    rssMb: number;
    heapUsedMb: number;
    eventsPerSec: number;
    queryKeysInWindow: number;
    errorBound: number;
    top: { events: number; error: number; truth: number }[];
  };
  return {
    distinct,
    rssMb: r.rssMb,
    heapUsedMb: r.heapUsedMb,
    eventsPerSec: r.eventsPerSec,
    queryKeysInWindow: r.queryKeysInWindow,
    topWithinBound: r.top.every((t) => t.events >= t.truth && t.events - t.truth <= r.errorBound),
  };
}
