/**
 * A bounded memo of a pure function's results, in two generations: when the
 * current one holds `capacity` keys it becomes the previous one (the older
 * is dropped), and a key found only in the previous generation moves back
 * into the current one. Keys in use stay cached whatever the number of
 * distinct keys, unlike a cache emptied when full (which, with more distinct
 * keys than room, misses on everything once per round). At most
 * 2 x capacity entries.
 */
export class Memo<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  constructor(
    private readonly capacity: number,
    private readonly compute: (key: string) => V,
  ) {}

  get(key: string): V {
    let value = this.current.get(key);
    if (value !== undefined) return value;
    value = this.previous.get(key);
    if (value === undefined) value = this.compute(key);
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
    return value;
  }

  /** Forgets everything (the function's inputs changed). */
  clear(): void {
    this.current.clear();
    this.previous.clear();
  }
}
