/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005): at most
 * `capacity` counters, whatever the number of distinct keys. A new key that
 * finds the summary full takes over the smallest counter, inheriting its
 * count as error, so every count is an overestimate by at most `error`,
 * and `error <= total / capacity`. Any key with more than total / capacity
 * occurrences is guaranteed to be present.
 *
 * A min-heap over the counters makes each update O(log capacity).
 */

/** What the summary needs from an entry; callers keep their own fields beside. */
export interface Counted {
  /** Estimated occurrences (an overestimate by at most `error`). */
  events: number;
  /** Occurrences inherited from the key it replaced. */
  error: number;
}

interface Node<T> {
  key: string;
  entry: T;
  /** Position in the heap, kept here so a swap needs no map update. */
  slot: number;
}

export class SpaceSaving<T extends Counted> {
  private readonly nodes = new Map<string, Node<T>>();
  private readonly heap: Node<T>[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1 (got ${capacity})`);
  }

  get size(): number {
    return this.heap.length;
  }

  /**
   * Counts `weight` occurrences of `key` and returns its entry. `make`
   * creates a fresh entry for a new key (events and error are set here).
   */
  offer(key: string, weight: number, make: (key: string) => T): T {
    const known = this.nodes.get(key);
    if (known) {
      known.entry.events += weight;
      this.siftDown(known.slot);
      return known.entry;
    }
    const entry = make(key);
    if (this.heap.length < this.capacity) {
      entry.events = weight;
      entry.error = 0;
      const node: Node<T> = { key, entry, slot: this.heap.length };
      this.heap.push(node);
      this.nodes.set(key, node);
      this.siftUp(node.slot);
      return entry;
    }
    // Full: the key takes over the smallest counter and inherits its count as error.
    const smallest = this.heap[0]!;
    this.nodes.delete(smallest.key);
    entry.events = smallest.entry.events + weight;
    entry.error = smallest.entry.events;
    smallest.key = key;
    smallest.entry = entry;
    this.nodes.set(key, smallest);
    this.siftDown(0);
    return entry;
  }

  /** The entry held for `key`, if any. */
  get(key: string): T | undefined {
    return this.nodes.get(key)?.entry;
  }

  /** Every (key, entry) held. */
  *[Symbol.iterator](): IterableIterator<[string, T]> {
    for (const node of this.heap) yield [node.key, node.entry];
  }

  private place(node: Node<T>, slot: number): void {
    this.heap[slot] = node;
    node.slot = slot;
  }

  private siftUp(i: number): void {
    const node = this.heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = this.heap[parent]!;
      if (above.entry.events <= node.entry.events) break;
      this.place(above, i);
      i = parent;
    }
    this.place(node, i);
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    const node = this.heap[i]!;
    const events = node.entry.events;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.heap[right]!.entry.events < this.heap[left]!.entry.events ? right : left;
      if (this.heap[child]!.entry.events >= events) break;
      this.place(this.heap[child]!, i);
      i = child;
    }
    this.place(node, i);
  }
}
