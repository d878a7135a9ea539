/**
 * Unmet demand: what shoppers search for that the catalog does not have.
 * A rising search query or term that no catalog item matches, or matches
 * only in part ("crochet bag" when bags exist but nothing crochet; "sage
 * linen wide-leg trousers" when those trousers come in beige only), is the
 * signal a factory that designs and makes in small batches can get nowhere
 * else.
 *
 * The detector finds what rises (query and term spikes); the linker's
 * coverage (src/detect/linking.ts) says what of it the catalog lacks; and
 * every search feeds a small decayed tally of the attributes searched
 * together with each missing word ("crochet" with `color=sage`,
 * `material=linen`), so a designer sees what to make it in. Pure: time is
 * event time.
 */
import type { Spike } from '../domain.js';
import type { Detection } from './detector.js';
import type { SearchLinker } from './linking.js';

/** What the catalog lacks for one rising search. */
export interface UnmetDetails {
  /** The words no item has (or has together with the rest of the search), e.g. `["crochet"]`. */
  readonly missing: readonly string[];
  /** Share of the search's words the closest catalog item has: 0 for nothing like it. */
  readonly strength: number;
  /** The closest catalog items (skus), best first. */
  readonly nearest: readonly string[];
  /** Attributes (`name=value`) most searched together with what is missing, most first. */
  readonly coSearched: readonly string[];
}

/** A rising search the catalog does not cover, as the detector last reported it. */
export interface UnmetEntry {
  readonly spike: Spike;
  readonly unmet: UnmetDetails;
}

export interface UnmetOptions {
  /** Ended unmet searches stay in the ranking this long. */
  readonly keepEndedMs: number;
  /** Entries in the ranking. */
  readonly size: number;
  /** Memory of the co-searched attribute tallies (event time). */
  readonly coSearchHalfLifeMs: number;
  /** Missing words tallied at most; the least searched are forgotten first. */
  readonly maxTallies: number;
  /** Co-searched attributes named per entry. */
  readonly coSearched: number;
}

export const DEFAULT_UNMET_OPTIONS: UnmetOptions = {
  keepEndedMs: 10 * 60_000,
  size: 20,
  coSearchHalfLifeMs: 6 * 3_600_000,
  maxTallies: 5_000,
  coSearched: 5,
};

/** Decayed counts of searches naming a missing word, and of the attributes they named with it. */
interface Tally {
  searches: number;
  readonly attributes: Map<string, number>;
  at: number;
}

export class UnmetTracker {
  private readonly options: UnmetOptions;
  private readonly tallies = new Map<string, Tally>();
  private readonly entries = new Map<string, UnmetEntry>();
  private clock = -Infinity;

  constructor(
    private readonly linker: SearchLinker,
    options: Partial<UnmetOptions> = {},
  ) {
    this.options = { ...DEFAULT_UNMET_OPTIONS, ...options };
  }

  /** Every search: tallies the attributes it names against each word of it the catalog lacks. */
  observeSearch(query: string, ts: number): void {
    this.clock = Math.max(this.clock, ts);
    const coverage = this.linker.coverage(query);
    if (coverage.missing.length === 0) return;
    for (const word of coverage.missing) {
      let tally = this.tallies.get(word);
      if (!tally) {
        if (this.tallies.size >= this.options.maxTallies) this.forgetLeastSearched();
        this.tallies.set(word, (tally = { searches: 0, attributes: new Map(), at: ts }));
      }
      this.decay(tally, ts);
      tally.searches += 1;
      for (const attribute of coverage.attributes) tally.attributes.set(attribute, (tally.attributes.get(attribute) ?? 0) + 1);
    }
  }

  /**
   * What the catalog lacks for a query or term spike that is above its
   * baseline; undefined for other dimensions, for falls, and for searches
   * some item matches in full.
   */
  describe(spike: Spike): UnmetDetails | undefined {
    if ((spike.dimension !== 'query' && spike.dimension !== 'term') || !(spike.volume > spike.expected)) return undefined;
    const coverage = this.linker.coverage(spike.key);
    if (coverage.missing.length === 0) return undefined;
    return {
      missing: coverage.missing,
      strength: Math.round(coverage.strength * 100) / 100,
      nearest: coverage.nearest,
      coSearched: this.coSearched(coverage.missing, coverage.attributes),
    };
  }

  /** Folds a detection in; returns its unmet updates (opened, updated or ended). */
  step(detection: Detection): UnmetEntry[] {
    this.clock = Math.max(this.clock, detection.windowEnd);
    const updates: UnmetEntry[] = [];
    for (const spike of detection.updates) {
      const known = this.entries.get(spike.spikeId);
      // An entry keeps its details once ended: the end window is back near baseline.
      const unmet = spike.status === 'ended' ? known?.unmet : this.describe(spike);
      if (!unmet) continue;
      const entry = { spike, unmet };
      this.entries.set(spike.spikeId, entry);
      updates.push(entry);
    }
    for (const [id, { spike }] of this.entries) {
      if (spike.status === 'ended' && detection.windowEnd - (spike.endedAt ?? spike.updatedAt) > this.options.keepEndedMs) this.entries.delete(id);
    }
    return updates;
  }

  /** Unmet searches rising now, then recently ended ones, each by trend score (volume and growth). */
  ranking(): UnmetEntry[] {
    const byScore = (a: UnmetEntry, b: UnmetEntry) => b.spike.trendScore - a.spike.trendScore;
    const entries = [...this.entries.values()];
    const live = entries.filter((e) => e.spike.status !== 'ended').sort(byScore);
    const ended = entries.filter((e) => e.spike.status === 'ended').sort(byScore);
    return [...live, ...ended].slice(0, this.options.size);
  }

  /** The attributes most searched with these missing words, leaving out those the search names itself. */
  private coSearched(missing: readonly string[], own: readonly string[]): string[] {
    const totals = new Map<string, number>();
    for (const word of missing) {
      const tally = this.tallies.get(word);
      if (!tally) continue;
      this.decay(tally, this.clock);
      for (const [attribute, n] of tally.attributes) if (!own.includes(attribute)) totals.set(attribute, (totals.get(attribute) ?? 0) + n);
    }
    return [...totals]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, this.options.coSearched)
      .map(([attribute]) => attribute);
  }

  private decay(tally: Tally, ts: number): void {
    if (ts <= tally.at) return;
    const keep = 2 ** (-(ts - tally.at) / this.options.coSearchHalfLifeMs);
    tally.searches *= keep;
    for (const [attribute, n] of tally.attributes) {
      if (n * keep < 0.01) tally.attributes.delete(attribute);
      else tally.attributes.set(attribute, n * keep);
    }
    tally.at = ts;
  }

  /** Drops the least-searched fifth of the tallies (decayed to now). */
  private forgetLeastSearched(): void {
    for (const tally of this.tallies.values()) this.decay(tally, this.clock);
    const order = [...this.tallies].sort((a, b) => a[1].searches - b[1].searches);
    for (const [word] of order.slice(0, Math.ceil(order.length / 5))) this.tallies.delete(word);
  }
}
