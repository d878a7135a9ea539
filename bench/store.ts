/** Rows/s into ClickHouse by batch size and format: bench/child-store.ts in its own process. */
import { rmSync } from 'node:fs';
import type { StoreResult } from './child-store.js';
import { spawnChild } from './lib/child.js';
import { progress, tempDir } from './lib/util.js';

export type { StoreResult };

export async function runStore(options: { rows: number; seconds: number; sizes: string }): Promise<{ results: StoreResult[]; clickhouse: string }> {
  progress('store: inserts by batch size and format');
  const dir = tempDir('store');
  const child = spawnChild('child-store.ts', { env: { DATA_DIR: dir, ROWS: String(options.rows), SECONDS: String(options.seconds), SIZES: options.sizes } });
  try {
    const done = await child.next<{ type: 'done'; results: StoreResult[]; clickhouse: string }>('done', 900_000);
    return { results: done.results, clickhouse: done.clickhouse };
  } finally {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
