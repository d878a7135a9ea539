/**
 * 1M distinct search queries inside one window: the sketched dimensions keep
 * memory fixed and the top queries come out right within the Space-Saving
 * error bound. Runs bench/window-memory.ts in a child process with a capped
 * heap, so RSS measures what the windows hold rather than garbage V8 has not
 * yet collected; a window state that did not fit would crash it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', '..', 'bench', 'window-memory.ts');

describe('window memory under 1M distinct queries', () => {
  it('stays under 512 MB RSS and keeps the heavy hitters', { timeout: 180_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--max-old-space-size=320', '--import', 'tsx', SCRIPT, '--distinct', '1000000'], {
      maxBuffer: 1 << 20,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      rssMb: number;
      queryKeysInWindow: number;
      capacity: number;
      errorBound: number;
      top: { key: string; events: number; error: number; truth: number }[];
    };
    expect(result.rssMb).toBeLessThan(512);
    expect(result.queryKeysInWindow).toBeLessThanOrEqual(30 * result.capacity);
    expect(result.top.map((t) => t.key).sort()).toEqual(['black boots', 'linen dress', 'merino jumper', 'silk scarf', 'trench coat']);
    for (const t of result.top) {
      expect(t.events).toBeGreaterThanOrEqual(t.truth);
      expect(t.events - t.truth).toBeLessThanOrEqual(result.errorBound);
    }
    console.log(`window memory: ${stdout.trim()}`);
  });
});
