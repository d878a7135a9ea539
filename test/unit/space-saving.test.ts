import { describe, expect, it } from 'vitest';
import { SpaceSaving, type Counted } from '../../src/windows/space-saving.js';

const make = (): Counted => ({ events: 0, error: 0 });

describe('SpaceSaving', () => {
  it('counts exactly while under capacity', () => {
    const s = new SpaceSaving(10);
    for (const key of ['a', 'b', 'a', 'c', 'a']) s.offer(key, 1, make);
    expect(Object.fromEntries([...s].map(([k, e]) => [k, e.events]))).toEqual({ a: 3, b: 1, c: 1 });
  });

  it('keeps every heavy hitter and bounds the overcount by total / capacity', () => {
    const s = new SpaceSaving(100);
    const truth = new Map<string, number>();
    let total = 0;
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 100_000; i++) {
      // Zipf-ish: a few heavy keys, a long tail of 50k rare ones
      const key = rand() < 0.3 ? `heavy-${Math.floor(rand() * 10)}` : `tail-${Math.floor(rand() * 50_000)}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
      total++;
      s.offer(key, 1, make);
    }
    expect(s.size).toBe(100);
    const held = new Map([...s].map(([k, e]) => [k, e]));
    for (const [key, count] of truth) {
      if (count > total / 100) expect(held.has(key), key).toBe(true);
      const entry = held.get(key);
      if (!entry) continue;
      expect(entry.events).toBeGreaterThanOrEqual(count);
      expect(entry.events - entry.error).toBeLessThanOrEqual(count);
      expect(entry.error).toBeLessThanOrEqual(total / 100);
    }
  });

  it('refuses a capacity below one', () => {
    expect(() => new SpaceSaving(0)).toThrow(/at least 1/);
  });
});
