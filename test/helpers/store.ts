/** Embedded ClickHouse (chDB) in a temporary directory, migrated, for store tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClickHouse, type ClickHouse } from '../../src/store/client.js';
import { migrate } from '../../src/store/schema.js';

export const TEST_DATABASE = 'trendmon';

export interface TempStore extends ClickHouse {
  readonly dir: string;
  /** Closes the store and removes its directory. */
  dispose(): Promise<void>;
}

/** A fresh store under a new temporary directory, with every migration applied. */
export async function openTempStore(name: string): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), `trendmon-${name}-`));
  const store = await openClickHouse({ dataDir: dir });
  await migrate(store.client, { database: TEST_DATABASE });
  return {
    ...store,
    dir,
    async dispose() {
      await store.close();
      // chDB may still be finishing a background merge in this process: retry ENOTEMPTY.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
