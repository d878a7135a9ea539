/**
 * Rules against the detector's spikes: which spikes alert, with what labels
 * and words, and when they resolve. Pure; time is the detector's event time.
 *
 * A spike in a rule's scope starts alerting at the first update where it
 * has run `minDuration` and its window scores at least `minScore` on at
 * least `minVolume` events. From then on the alert follows the spike (its
 * latest numbers and projection) until the detector ends the spike: the
 * detector's hysteresis decides the end, so the alert does not flap with
 * every noisy window. An alert also resolves when its rule is removed or
 * changed, or when its spike has had no update for `resolveTimeout`.
 */
import { createHash } from 'node:crypto';
import type { Detection } from '../detect/detector.js';
import { formatDuration } from '../config/duration.js';
import { normalizeQuery, type Spike } from '../domain.js';
import type { CatalogLookup } from '../windows/keys.js';
import type { Labels } from './matchers.js';
import type { UnmetDetails } from '../detect/unmet.js';
import type { DemandPlanner } from './planning.js';
import { formatDemand, type Projection } from './projection.js';
import type { ProjectionSettings, RuleConfig, RuleScope } from './rules.js';
import type { SurgeTrack } from './surge-track.js';

/** One alert: a rule's view of one spike. */
export interface Alert {
  /** Hash of the labels: the same rule, dimension and key always give the same fingerprint. */
  readonly fingerprint: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  /** Event time the spike opened ("since when"). */
  readonly startsAt: number;
  /** Set once resolved: event time the spike ended (or the alert was given up). */
  readonly endsAt?: number;
  /** The latest update of the spike. */
  readonly spike: Spike;
  /** Projected demand from the latest update (once resolved: from the spike's end, usually little or no extra). */
  readonly demand: Projection;
  /** The projection with the most extra units over 7 days in the alert's life. */
  readonly peakDemand: Projection;
  /** Catalog title, for sku alerts. */
  readonly title?: string;
}

export interface EvaluatorContext {
  readonly catalog: CatalogLookup;
  /** The detector's window length (a spike's counts are per window). */
  readonly windowMs: number;
  /** Tracks every spike and projects the demand of alerting ones. */
  readonly planner: Pick<DemandPlanner, 'track' | 'project'>;
  /** What the catalog lacks for a rising search (src/detect/unmet.ts); undefined when it has it. */
  readonly unmet?: (spike: Spike) => UnmetDetails | undefined;
}

export interface EvaluatorSettings {
  readonly rules: readonly RuleConfig[];
  readonly projection: ProjectionSettings;
  readonly resolveTimeoutMs: number;
}

interface Tracked {
  rule: RuleConfig;
  alert: Alert;
}

export function fingerprintOf(labels: Labels): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\u0000${labels[name]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

const categoryOf = (spike: Spike, catalog: CatalogLookup): string | undefined =>
  spike.dimension === 'category' ? spike.key : spike.dimension === 'sku' ? catalog(spike.key)?.category : undefined;

function inScope(scope: RuleScope, spike: Spike, category: string | undefined, unmet: boolean): boolean {
  if (!(scope.directions ?? ['rising']).includes(spike.direction)) return false;
  if (scope.dimensions && !scope.dimensions.includes(spike.dimension)) return false;
  if (scope.unmet !== undefined && scope.unmet !== unmet) return false;
  if (scope.keys) {
    const searchKey = spike.dimension === 'query' || spike.dimension === 'term';
    if (!scope.keys.some((key) => (searchKey ? normalizeQuery(key) : key) === spike.key)) return false;
  }
  if (scope.categories && (category === undefined || !scope.categories.includes(category))) return false;
  return true;
}

/** Long, strong and big enough: for a fall the score counts below expected, and the volume is what was expected (what was selling). */
const qualifies = (rule: RuleConfig, spike: Spike) =>
  spike.updatedAt - spike.startedAt >= rule.minDurationMs &&
  Math.abs(spike.score) >= rule.minScore &&
  (spike.direction === 'falling' ? spike.expected : spike.volume) >= rule.minVolume;

export class RuleEvaluator {
  private readonly tracked = new Map<string, Tracked>();
  /** The paths of this step's spike updates, by spike id (the planner keeps them between steps). */
  private readonly tracks = new Map<string, SurgeTrack>();
  /** The latest window end seen: "now" in event time. */
  private clock = 0;

  constructor(
    private settings: EvaluatorSettings,
    private readonly context: EvaluatorContext,
  ) {}

  /** Alerts opened, updated or resolved by this detection. */
  step(detection: Detection): Alert[] {
    this.clock = Math.max(this.clock, detection.windowEnd);
    const changed: Alert[] = [];
    for (const spike of detection.updates) {
      this.tracks.set(spike.spikeId, this.context.planner.track(spike));
      const category = categoryOf(spike, this.context.catalog);
      const unmet = this.context.unmet?.(spike) !== undefined;
      for (const rule of this.settings.rules) {
        const id = `${rule.name}\u0000${spike.dimension}\u0000${spike.key}`;
        let tracked = this.tracked.get(id);
        if (tracked && tracked.alert.spike.spikeId !== spike.spikeId) {
          // A new spike on the same key: the old one's end was never seen.
          changed.push(this.resolve(id, tracked, { at: spike.startedAt, why: 'a new spike on the same key began' }));
          tracked = undefined;
        }
        if (tracked && spike.status === 'ended') {
          const why = spike.endReason === 'new-normal' ? 'it settled at a new, higher level, now its baseline' : 'back near its baseline';
          changed.push(this.resolve(id, tracked, { at: spike.endedAt ?? spike.updatedAt, why }, spike));
        } else if (tracked) {
          tracked.alert = this.describe(tracked.rule, spike, category, tracked.alert);
          changed.push(tracked.alert);
        } else if (spike.status !== 'ended' && inScope(rule.scope, spike, category, unmet) && qualifies(rule, spike)) {
          const alert = this.describe(rule, spike, category);
          this.tracked.set(id, { rule, alert });
          changed.push(alert);
        }
      }
    }
    for (const [id, tracked] of this.tracked) {
      if (this.clock - tracked.alert.spike.updatedAt > this.settings.resolveTimeoutMs) {
        changed.push(this.resolve(id, tracked, { at: this.clock, why: `no update of its spike for ${formatDuration(this.settings.resolveTimeoutMs)}` }));
      }
    }
    this.tracks.clear();
    return changed;
  }

  /**
   * Applies new settings; returns the alerts this resolves: those whose rule
   * is gone, no longer covers the spike, or now gives different labels.
   */
  configure(settings: EvaluatorSettings): Alert[] {
    this.settings = settings;
    const resolved: Alert[] = [];
    for (const [id, tracked] of this.tracked) {
      const rule = settings.rules.find((r) => r.name === tracked.rule.name);
      const spike = tracked.alert.spike;
      const category = categoryOf(spike, this.context.catalog);
      const unmet = this.context.unmet?.(spike) !== undefined;
      const next = rule && inScope(rule.scope, spike, category, unmet) ? this.describe(rule, spike, category) : undefined;
      if (rule && next?.fingerprint === tracked.alert.fingerprint) {
        tracked.rule = rule;
        tracked.alert = this.describe(rule, spike, category, tracked.alert);
      } else {
        resolved.push(this.resolve(id, tracked, { at: this.clock, why: 'its rule was changed or removed' }));
      }
    }
    return resolved;
  }

  /** Alerts firing now. */
  firing(): Alert[] {
    return [...this.tracked.values()].map((t) => t.alert);
  }

  /** The alert's last word: described from its final spike update, with when and why it ended. */
  private resolve(id: string, tracked: Tracked, end: { at: number; why: string }, ended?: Spike): Alert {
    this.tracked.delete(id);
    const spike = ended ?? tracked.alert.spike;
    return { ...this.describe(tracked.rule, spike, categoryOf(spike, this.context.catalog), tracked.alert, end), endsAt: end.at };
  }

  /**
   * Labels and words for a rule's view of a spike. An alert already told
   * keeps its identity (labels, fingerprint, start) and its peak projection.
   */
  private describe(rule: RuleConfig, spike: Spike, category: string | undefined, previous?: Alert, end?: { at: number; why: string }): Alert {
    const item = spike.dimension === 'sku' ? this.context.catalog(spike.key) : undefined;
    const unmet = this.context.unmet?.(spike);
    const labels: Record<string, string> = { ...rule.labels, alertname: rule.name, dimension: spike.dimension, key: spike.key };
    if (category !== undefined) labels.category = category;
    if (spike.dimension === 'region') labels.region = spike.key;
    if (spike.direction === 'falling') labels.direction = 'falling';
    if (unmet) labels.unmet = 'true';
    const { projection } = this.settings;
    const { windowMs } = this.context;
    const track = this.tracks.get(spike.spikeId) ?? { startedAt: spike.startedAt, points: [{ end: spike.updatedAt, excess: spike.volume - spike.expected, expected: spike.expected }] };
    const demand = this.context.planner.project(spike, track, {
      windowMs,
      persistenceMs: rule.persistenceMs ?? projection.persistenceMs,
      level: projection.level,
    });
    const peakDemand = previous && previous.peakDemand.next7d.extra >= demand.next7d.extra ? previous.peakDemand : demand;
    const startsAt = previous?.startsAt ?? spike.startedAt;
    const what = item ? `"${item.title}" (${spike.key}, ${item.category})` : `${spike.dimension} "${spike.key}"`;
    const d = spike.drivers;
    const moving = spike.direction === 'falling' ? 'falling' : 'taking off';
    const pct = `${spike.pctAbove >= 0 ? '+' : ''}${Math.round(spike.pctAbove).toLocaleString('en-US')}%`;
    const annotations: Record<string, string> = {
      summary: end ? `${what} is no longer ${moving}: ${end.why}` : `${what} is ${moving}: ${pct} vs baseline, score ${spike.score}`,
      description:
        `Since ${iso(startsAt)}: ${spike.volume} events in the latest ${formatDuration(windowMs)} window against ` +
        `${spike.expected} expected (${d.search} searches, ${d.view} views, ${d.sale} sales); peak score ${spike.peakScore}.` +
        (end ? ` Ended at ${iso(end.at)}, after ${formatDuration(Math.max(1000, end.at - startsAt))}.` : ''),
      demand: demand.summary,
      demand_24h: formatDemand(demand.next24h, '24 h', demand.level),
      demand_peak: `${formatDemand(peakDemand.next7d, '7 d', peakDemand.level)}, at its peak`,
      spike_id: spike.spikeId,
    };
    if (item) annotations.title = item.title;
    if (unmet) {
      // What a designer needs: what is missing, and what it is wanted in.
      annotations.missing = unmet.missing.join(', ');
      if (unmet.coSearched.length) annotations.co_searched = unmet.coSearched.map((a) => a.slice(a.indexOf('=') + 1)).join(', ');
    }
    if (demand.variants?.length) annotations.demand_variants = demand.variants.map((v) => `${v.units} ${v.label}`).join(', ');
    const identity = previous ? { fingerprint: previous.fingerprint, labels: previous.labels } : { fingerprint: fingerprintOf(labels), labels };
    return { ...identity, annotations, startsAt, spike, demand, peakDemand, ...(item ? { title: item.title } : {}) };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
