/**
 * Publishes simulated traffic to NATS the way real producers would: the
 * catalog on `catalog.upsert`, then one JSON event per message on
 * `events.<kind>` with a `Nats-Msg-Id` header (the event id, for JetStream
 * de-duplication).
 *
 * Two modes: real time, paced to the wall clock in short ticks with event
 * times of "now" (live demos, `start --simulate`); and as fast as possible
 * over a given time range (backfills, tests), flushing every few thousand
 * messages so the client never buffers without bound.
 */
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { CatalogItem, EventKind } from '../domain.js';
import { sleep } from '../retry.js';
import type { SimEvent, Traffic } from './traffic.js';

/** Reported about once a second while a simulation runs. */
export interface SimulationProgress {
  /** Events published so far (the catalog not counted). */
  readonly published: number;
  /** Wall-clock time since the run started. */
  readonly elapsedMs: number;
  /** Events per second published since the previous report. */
  readonly ratePerSec: number;
  /** How many planned spikes are running at `simTs`. */
  readonly spikesActive: number;
  /** Simulated time reached: events before it have been published. */
  readonly simTs: number;
}

export interface SimulationSummary {
  /** Events published (the catalog not counted). */
  readonly published: number;
  readonly byKind: Record<EventKind, number>;
  /** Events carrying a `label`, i.e. added by a spike. */
  readonly labelled: number;
  /** Catalog items published on `catalog.upsert`. */
  readonly catalogItems: number;
  /** Simulated time range covered: events with `fromTs <= ts < toTs`. */
  readonly fromTs: number;
  readonly toTs: number;
  /** True when `signal` stopped the run before `durationMs` was reached. */
  readonly aborted: boolean;
}

export interface RunSimulationOptions {
  readonly nc: NatsConnection;
  readonly traffic: Traffic;
  /** Published first, one item per message; pass `[]` to skip. */
  readonly catalog: readonly CatalogItem[];
  /**
   * Simulated time to cover. In real time this is also the wall-clock run
   * time and may be `Infinity` (run until `signal` aborts).
   */
  readonly durationMs: number;
  /** Pace to the wall clock (`ts` = now) instead of publishing a time range at full speed. */
  readonly realtime: boolean;
  /** Start of the simulated range when not in real time. Default: `Date.now() - durationMs`, a backfill ending now. */
  readonly startTs?: number;
  /** Stops the run (e.g. on Ctrl-C); `runSimulation` then flushes and resolves with what was sent. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SimulationProgress) => void;
  /** Real-time tick. Default 100 ms. */
  readonly tickMs?: number;
  /** Flush (wait for the server) after this many messages when not in real time. Default 5 000. */
  readonly flushEvery?: number;
}

const PROGRESS_INTERVAL_MS = 1000;
/** Simulated time generated and published per step when not in real time. */
const BACKFILL_STEP_MS = 1000;

/**
 * Publishes the catalog, then the traffic for `durationMs`, and resolves with
 * a summary once everything sent has reached the server. Rejects if the
 * connection fails; an aborted `signal` ends the run early without error.
 */
export async function runSimulation(options: RunSimulationOptions): Promise<SimulationSummary> {
  const { nc, traffic, catalog, durationMs, realtime, signal, onProgress } = options;
  const tickMs = options.tickMs ?? 100;
  const flushEvery = options.flushEvery ?? 5000;
  if (!(durationMs >= 0) || (!realtime && !Number.isFinite(durationMs))) {
    throw new RangeError(`invalid durationMs ${durationMs}${realtime ? '' : ' (must be finite unless realtime)'}`);
  }
  if (!(tickMs > 0) || !(flushEvery >= 1)) throw new RangeError('tickMs and flushEvery must be positive');

  const encoder = new TextEncoder();
  for (const item of catalog) nc.publish('catalog.upsert', encoder.encode(JSON.stringify(item)));

  const started = Date.now();
  const fromTs = realtime ? started : (options.startTs ?? started - durationMs);
  const endTs = fromTs + durationMs;
  const byKind: Record<EventKind, number> = { search: 0, view: 0, sale: 0 };
  let published = 0;
  let labelled = 0;
  let unflushed = 0;
  let cursor = fromTs;
  let lastReport = { at: started, published: 0 };

  const publish = async (events: readonly SimEvent[]): Promise<void> => {
    for (const event of events) {
      const h = headers();
      h.set('Nats-Msg-Id', event.payload.id);
      nc.publish(event.subject, encoder.encode(JSON.stringify(event.payload)), { headers: h });
      byKind[event.kind]++;
      if (event.payload.label !== undefined) labelled++;
      published++;
      if (++unflushed >= flushEvery) {
        unflushed = 0;
        await nc.flush();
      }
    }
  };
  const report = (force: boolean): void => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastReport.at < PROGRESS_INTERVAL_MS)) return;
    const seconds = Math.max(now - lastReport.at, 1) / 1000;
    onProgress({
      published,
      elapsedMs: now - started,
      ratePerSec: (published - lastReport.published) / seconds,
      spikesActive: traffic.activeSpikes(cursor - 1).length,
      simTs: cursor,
    });
    lastReport = { at: now, published };
  };

  while (cursor < endTs && !signal?.aborted) {
    let next: number;
    if (realtime) {
      const wait = cursor + tickMs - Date.now();
      if (wait > 0) await sleep(wait, signal).catch(() => undefined);
      if (signal?.aborted) break;
      next = Math.min(Date.now(), endTs);
    } else {
      next = Math.min(cursor + BACKFILL_STEP_MS, endTs);
    }
    await publish(traffic.eventsBetween(cursor, next));
    cursor = next;
    if (realtime) await nc.flush();
    report(false);
  }
  await nc.flush();
  report(true);
  return {
    published,
    byKind,
    labelled,
    catalogItems: catalog.length,
    fromTs,
    toTs: cursor,
    aborted: cursor < endTs,
  };
}
