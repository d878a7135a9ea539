/**
 * Which stream sequences of the events stream a partition has already
 * counted, as sorted, merged ranges. Ingest instances pull contiguous runs
 * of messages, so a flush covers a handful of ranges and the set stays
 * small; the oldest ranges are forgotten past `maxRanges`.
 */
export class SeqCoverage {
  /** Flat [start0, end0, start1, end1, ...], sorted, disjoint, non-adjacent; ends inclusive. */
  private ranges: number[] = [];

  constructor(private readonly maxRanges = 100_000) {}

  /** True when `seq` was covered by an earlier batch. */
  has(seq: number): boolean {
    const i = this.lastStartAtOrBelow(seq);
    return i >= 0 && seq <= this.ranges[i + 1]!;
  }

  /** Adds the inclusive range [start, end]. */
  add(start: number, end: number): void {
    if (end < start) return;
    const r = this.ranges;
    // Common case: at or after the end (instances move forward through the stream).
    const lastEnd = r.length ? r[r.length - 1]! : -Infinity;
    if (start > lastEnd + 1) r.push(start, end);
    else {
      // Find every range that overlaps or touches [start, end] and replace them with their union.
      let first = this.lastStartAtOrBelow(start);
      if (first < 0 || r[first + 1]! + 1 < start) first += 2;
      if (first < 0) first = 0;
      let last = first;
      let lo = start;
      let hi = end;
      while (last < r.length && r[last]! <= end + 1) {
        lo = Math.min(lo, r[last]!);
        hi = Math.max(hi, r[last + 1]!);
        last += 2;
      }
      r.splice(first, last - first, lo, hi);
    }
    if (r.length > 2 * this.maxRanges) r.splice(0, r.length - 2 * this.maxRanges);
  }

  /** Number of disjoint ranges held. */
  get size(): number {
    return this.ranges.length / 2;
  }

  /** Index (even) of the last range starting at or before `seq`; -2 when none. */
  private lastStartAtOrBelow(seq: number): number {
    let lo = 0;
    let hi = this.ranges.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[2 * mid]! <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return 2 * found;
  }
}

/** Builds the ranges a batch covers from sequences added in (mostly) increasing order. */
export class RangeBuilder {
  private readonly flat: number[] = [];

  add(seq: number): void {
    const f = this.flat;
    if (f.length && f[f.length - 1]! + 1 === seq) f[f.length - 1] = seq;
    else f.push(seq, seq);
  }

  /** Flat [start, end, ...] pairs, ends inclusive. */
  get ranges(): readonly number[] {
    return this.flat;
  }
}
