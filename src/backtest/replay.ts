/**
 * A backtest's core: stored events replayed through the same pure operators
 * as the live app (observe -> hoppingWindows -> detectSpikes), the same
 * unmet-demand tracker and the same alert rules and projections, at full
 * speed. Event time drives a virtual-time scheduler: before each event the
 * clock moves to its time, running whatever the windows had scheduled
 * (closing idle windows) on the way, so the windows see exactly what they
 * would have seen live with no lateness.
 *
 * It records what would have fired (alerts whose rule first held at or
 * after `fromMs`), when, with the projection at that moment, and how early
 * that was against the key's sales peak of the day: the peak of its sales
 * summed over one detector window, from an hour before the alert to 24 h
 * after (for searches: the sales of the items they name).
 */
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { RuleEvaluator, type Alert, type EvaluatorSettings } from '../alerts/evaluate.js';
import { DemandPlanner, type PlanningHistory } from '../alerts/planning.js';
import { Catalog } from '../catalog/catalog.js';
import { detectSpikes, type Detection } from '../detect/detector.js';
import { SearchLinker } from '../detect/linking.js';
import { UnmetTracker } from '../detect/unmet.js';
import type { CatalogItem, TrendEvent } from '../domain.js';
import { hoppingWindows, type HoppingWindowOptions } from '../windows/hopping.js';
import { observe, type Observation } from '../windows/keys.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface ReplayOptions {
  readonly windows: Pick<HoppingWindowOptions, 'sizeMs' | 'slideMs' | 'allowedLatenessMs' | 'capacity'>;
  /** Alerts that first fire from here on are what the backtest reports; earlier events only warm up. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly rules: EvaluatorSettings;
  readonly catalog: readonly CatalogItem[];
  /** The store's history as of `fromMs` (past surges, records), for the projections. */
  readonly history: PlanningHistory;
}

/** One alert the rules would have raised. */
export interface BacktestAlert {
  readonly alertname: string;
  readonly fingerprint: string;
  readonly dimension: string;
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly summary: string;
  /** When its spike opened. */
  readonly startsAt: number;
  /** When the rule first held: when it would have fired. */
  readonly firedAt: number;
  readonly resolvedAt?: number;
  readonly peakScore: number;
  /** The projection when it fired. */
  readonly demand: Alert['demand'];
  /** The key's sales peak within the day, when it has sales. */
  readonly salesPeakAt?: number;
  /** salesPeakAt - firedAt: positive when the alert came first. */
  readonly leadMs?: number;
}

export interface ReplayProgress {
  readonly events: number;
  /** Event time reached. */
  readonly eventTime: number;
  readonly alerts: number;
}

/** Sales of one key per minute, over a span. */
class SalesSeries {
  readonly minutes = new Map<number, number>();
  add(ts: number, units: number): void {
    const minute = Math.floor(ts / MINUTE);
    this.minutes.set(minute, (this.minutes.get(minute) ?? 0) + units);
  }
}

/** What is watched for one alert's lead time: its sales keys from an hour before it fired to 24 h after. */
interface LeadWatch {
  readonly alert: BacktestAlert;
  readonly keys: readonly string[];
  readonly sales: SalesSeries;
  readonly until: number;
}

export class Replay {
  private readonly observations = new Subject<Observation>();
  private readonly scheduler = new VirtualTimeScheduler();
  private readonly catalog = new Catalog();
  private readonly linker = new SearchLinker();
  private readonly unmet: UnmetTracker;
  private readonly planner: DemandPlanner;
  private readonly evaluator: RuleEvaluator;
  /** Alerts fired in range, by fingerprint and start. */
  private readonly fired = new Map<string, BacktestAlert>();
  /** Every key's sales in the last hour (for alerts that fire after sales began rising). */
  private readonly recentSales = new Map<string, SalesSeries>();
  private readonly watches: LeadWatch[] = [];
  private readonly done: LeadWatch[] = [];
  private error: unknown;
  private events = 0;
  private clock = -Infinity;

  constructor(private readonly options: ReplayOptions) {
    for (const item of options.catalog) {
      this.catalog.upsert(item);
      this.linker.upsert(item);
    }
    this.unmet = new UnmetTracker(this.linker);
    this.planner = new DemandPlanner({
      catalog: this.catalog.lookup,
      variantsOf: this.catalog.variantsOf,
      categoryOfQuery: (query) => this.linker.link(query).find((link) => link.dimension === 'category')?.key,
    });
    for (const item of options.catalog) this.planner.upsertItem(item);
    this.planner.setHistory(options.history);
    this.evaluator = new RuleEvaluator(options.rules, {
      catalog: this.catalog.lookup,
      windowMs: options.windows.sizeMs,
      planner: this.planner,
      unmet: (spike) => this.unmet.describe(spike),
    });
    const { windows } = options;
    this.observations
      .pipe(
        hoppingWindows({ ...windows, scheduler: this.scheduler }),
        detectSpikes({ warmupWindows: 1, linker: this.linker }),
      )
      .subscribe({ next: (detection) => this.onDetection(detection), error: (err) => (this.error = err) });
  }

  get progress(): ReplayProgress {
    return { events: this.events, eventTime: this.clock, alerts: this.fired.size };
  }

  /** Replays events, in event-time order (ties in any order). */
  push(events: readonly TrendEvent[]): void {
    const links = (query: string) => this.linker.link(query);
    for (const event of events) {
      this.advanceTo(event.ts);
      this.planner.observeEvent(event);
      if (event.kind === 'search') this.unmet.observeSearch(event.query, event.ts);
      for (const observation of observe(event, this.catalog.lookup, links)) {
        if (observation.signal === 'sale') this.recordSale(observation);
        this.observations.next(observation);
      }
      this.events++;
    }
    if (this.error) throw this.error;
  }

  /** Closes the last windows and returns what would have fired, in firing order. */
  finish(): BacktestAlert[] {
    this.advanceTo(this.options.toMs + this.options.windows.allowedLatenessMs + this.options.windows.slideMs);
    this.observations.complete();
    if (this.error) throw this.error;
    for (const watch of this.watches.splice(0)) this.done.push(watch);
    const leads = new Map(this.done.map((w) => [w.alert, this.peakOf(w)]));
    return [...this.fired.values()]
      .map((alert) => {
        const peak = leads.get(alert);
        return peak === undefined ? alert : { ...alert, salesPeakAt: peak, leadMs: peak - alert.firedAt };
      })
      .sort((a, b) => a.firedAt - b.firedAt || a.fingerprint.localeCompare(b.fingerprint));
  }

  /** Moves the virtual clock to `ts`, running what the windows scheduled before it. */
  private advanceTo(ts: number): void {
    if (ts <= this.clock) return;
    this.scheduler.maxFrames = ts;
    this.scheduler.flush();
    this.scheduler.frame = ts;
    this.clock = ts;
    // Lead-time watches whose day is over are complete.
    for (let i = this.watches.length - 1; i >= 0; i--) {
      if (this.watches[i]!.until < ts) this.done.push(...this.watches.splice(i, 1));
    }
  }

  private onDetection(detection: Detection): void {
    this.unmet.step(detection);
    for (const alert of this.evaluator.step(detection)) {
      const id = `${alert.fingerprint}\u0000${alert.startsAt}`;
      const known = this.fired.get(id);
      if (known) {
        const updated = {
          ...known,
          peakScore: Math.max(known.peakScore, alert.spike.score),
          ...(alert.endsAt !== undefined ? { resolvedAt: alert.endsAt } : {}),
        };
        this.fired.set(id, updated);
        const watch = this.watches.find((w) => w.alert === known);
        if (watch) this.watches.splice(this.watches.indexOf(watch), 1, { ...watch, alert: updated });
        continue;
      }
      if (alert.endsAt !== undefined || detection.windowEnd < this.options.fromMs || detection.windowEnd >= this.options.toMs) continue;
      const fired: BacktestAlert = {
        alertname: alert.labels.alertname ?? '',
        fingerprint: alert.fingerprint,
        dimension: alert.spike.dimension,
        key: alert.spike.key,
        labels: alert.labels,
        summary: alert.annotations.summary ?? '',
        startsAt: alert.startsAt,
        firedAt: detection.windowEnd,
        peakScore: alert.spike.score,
        demand: alert.demand,
      };
      this.fired.set(id, fired);
      this.watch(fired, alert);
    }
  }

  /** The keys whose sales make an alert's sales peak: its own, or for a search the items it names. */
  private salesKeys(alert: Alert): string[] {
    const { dimension, key, linkedTo } = alert.spike;
    if (dimension === 'query' || dimension === 'term') return (linkedTo ?? []).filter((l) => l.startsWith('sku:'));
    return [`${dimension}:${key}`];
  }

  private watch(fired: BacktestAlert, alert: Alert): void {
    const keys = this.salesKeys(alert);
    if (keys.length === 0) return;
    const sales = new SalesSeries();
    for (const key of keys) {
      for (const [minute, units] of this.recentSales.get(key)?.minutes ?? []) {
        if (minute * MINUTE >= fired.firedAt - HOUR) sales.add(minute * MINUTE, units);
      }
    }
    this.watches.push({ alert: fired, keys, sales, until: fired.firedAt + DAY });
  }

  private recordSale(observation: Observation): void {
    const id = `${observation.dimension}:${observation.key}`;
    let recent = this.recentSales.get(id);
    if (!recent) this.recentSales.set(id, (recent = new SalesSeries()));
    recent.add(observation.ts, observation.units);
    // Keep an hour: prune a key's old minutes as it gets new ones.
    const oldest = Math.floor((observation.ts - HOUR) / MINUTE);
    for (const minute of recent.minutes.keys()) {
      if (minute >= oldest) break;
      recent.minutes.delete(minute);
    }
    for (const watch of this.watches) if (watch.keys.includes(id)) watch.sales.add(observation.ts, observation.units);
  }

  /** When the sales over one detector window peaked (the window's end), or undefined without sales. */
  private peakOf(watch: LeadWatch): number | undefined {
    const span = Math.max(1, Math.round(this.options.windows.sizeMs / MINUTE));
    const from = Math.floor((watch.alert.firedAt - HOUR) / MINUTE);
    const to = Math.floor(watch.until / MINUTE);
    let sum = 0;
    let best = 0;
    let bestAt: number | undefined;
    for (let minute = from; minute <= to; minute++) {
      sum += watch.sales.minutes.get(minute) ?? 0;
      sum -= watch.sales.minutes.get(minute - span) ?? 0;
      if (sum > best) {
        best = sum;
        bestAt = (minute + 1) * MINUTE;
      }
    }
    return bestAt;
  }
}
