/**
 * A bounded memory of recently seen event ids, so a redelivered event is not
 * counted twice in the live windows. Two generations of `capacity` ids each:
 * when the current one fills, the older is dropped. Memory stays under
 * 2 x capacity ids; an id is remembered for at least `capacity` later ids.
 */
export class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records `id`; false when it was already seen. */
  add(id: string): boolean {
    if (this.current.has(id) || this.previous.has(id)) return false;
    if (this.current.size >= this.capacity) {
      this.previous = this.current;
      this.current = new Set();
    }
    this.current.add(id);
    return true;
  }

  /** Forgets `id`, so it counts again when it comes back (its counting failed). */
  forget(id: string): void {
    this.current.delete(id);
    this.previous.delete(id);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
