import { map, Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DETECTOR_OPTIONS,
  detectSpikes,
  drivingSignals,
  SpikeDetector,
  trendScore,
  type Detection,
  type DetectorOptions,
} from '../../src/detect/detector.js';
import { SearchLinker } from '../../src/detect/linking.js';
import type { CatalogItem, Dimension, SignalMix, TrendEvent } from '../../src/domain.js';
import { createTraffic, generateCatalog } from '../../src/sim/index.js';
import { hoppingWindows, type KeyWindow, type WindowResult } from '../../src/windows/hopping.js';
import { observe, type Observation } from '../../src/windows/keys.js';

const SLIDE = 10;
/** Small test settings: tumbling 10 ms windows, three windows of warm-up. */
const OPTIONS: Partial<DetectorOptions> = { warmupWindows: 3 };

function key(dimension: Dimension, name: string, events: number, bySignal?: Partial<SignalMix>, actors?: number): KeyWindow {
  const mix = { search: 0, view: events, sale: 0, ...bySignal };
  return { dimension, key: name, events, units: 0, revenue: 0, bySignal: mix, error: 0, actors: actors ?? Math.min(events, 133), anonymous: 0 };
}

/** The tumbling window ending at `end` with the given keys. */
const result = (end: number, keys: readonly KeyWindow[]): WindowResult => ({ start: end - SLIDE, end, keys, lateEvents: 0 });

/** A detection as `end: key status, ...`, easy to read in marble expectations. */
const summary = (d: Detection) => `${d.windowEnd}:${d.updates.map((s) => ` ${s.key} ${s.status}`).join(',')}`;

/** Marble characters for consecutive frames. */
const FRAMES = 'abcdefghijklmnopqrstuvwxyz';

/** Window results for `volumes` (one per frame) of sku `x`, as marble values keyed by frame character. */
function frames(volumes: readonly number[]): Record<string, WindowResult> {
  return Object.fromEntries(volumes.map((v, i) => [FRAMES[i]!, result((i + 1) * SLIDE, [key('sku', 'x', v)])]));
}

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('detectSpikes', () => {
  it('opens, follows and ends a spike in event time, with hysteresis', () => {
    const volumes = [100, 100, 100, 100, 100, 100, 400, 420, 410, 400, 100, 100, 100, 100];
    const marble = FRAMES.slice(0, volumes.length);
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold(`${marble}|`, frames(volumes)).pipe(detectSpikes(OPTIONS), map(summary));
      const expected: Record<string, string> = {};
      volumes.forEach((_, i) => (expected[FRAMES[i]!] = `${(i + 1) * SLIDE}:`));
      // Four times the level is extreme: the first surge window opens the spike; it rises while it
      // grows, windows on the plateau are ongoing, and two quiet windows end it.
      expected.g = '70: x rising';
      expected.h = '80: x rising';
      expected.i = '90: x ongoing';
      expected.j = '100: x ongoing';
      expected.k = '110: x ongoing';
      expected.l = '120: x ended';
      expectObservable(out).toBe(`${marble}|`, expected);
    });
  });

  it('takes a spike back, under its id and once on the board, when it comes back the same way soon after it ended', () => {
    const detector = new SpikeDetector(OPTIONS);
    const volumes = [100, 100, 100, 100, 100, 100, 400, 420, 100, 100, 100, 410, 400, 100];
    const steps = volumes.map((v, i) => detector.step(result((i + 1) * SLIDE, [key('sku', 'x', v)])));
    const statuses = steps.map((d) => d.updates.map((s) => s.status).join());
    expect(statuses.slice(6, 12)).toEqual(['rising', 'rising', 'ongoing', 'ended', '', 'ongoing']);
    const back = steps[11]!;
    expect(back.updates[0]!.spikeId).toBe(steps[6]!.updates[0]!.spikeId);
    expect(back.ranking.map((s) => `${s.key} ${s.status}`)).toEqual(['x ongoing']);
  });

  it('reports the spike the way the wall and the store read it', () => {
    const detector = new SpikeDetector(OPTIONS);
    let last: Detection | undefined;
    [100, 100, 100, 100, 100, 400, 500].forEach((v, i) => (last = detector.step(result((i + 1) * SLIDE, [key('sku', 'x', v)]))));
    const spike = last!.updates[0]!;
    expect(spike).toMatchObject({
      spikeId: `sku:x:60`,
      dimension: 'sku',
      key: 'x',
      status: 'rising',
      volume: 500,
      startedAt: 60,
      updatedAt: 70,
      peakVolume: 500,
      peakAt: 70,
      drivers: { search: 0, view: 500, sale: 0 },
      actors: 133,
    });
    expect(spike.expected).toBeCloseTo(100, 0);
    expect(spike.pctAbove).toBeCloseTo(400, -1);
    expect(spike.score).toBeGreaterThan(DEFAULT_DETECTOR_OPTIONS.openScore);
    expect(spike.trendScore).toBeCloseTo(trendScore(500, spike.expected), 2);
    expect(last!.ranking.map((s) => s.key)).toEqual(['x']);
  });

  it('completes and errors with its source, and lets go of it on unsubscribe', () => {
    const ts = scheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const values = frames([100, 100]);
      expectObservable(cold('ab|', values).pipe(detectSpikes(), map(summary))).toBe('ab|', { a: '10:', b: '20:' });
      expectObservable(cold('a#', values).pipe(detectSpikes(), map(summary))).toBe('a#', { a: '10:' });
      const source = hot('a-b-', values);
      expectObservable(source.pipe(detectSpikes(), map(summary)), '^--!').toBe('a-b', { a: '10:', b: '20:' });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('ranks what is trending by relative surge and absolute volume, open spikes before ended ones', () => {
    const detector = new SpikeDetector(OPTIONS);
    const windows = (i: number) => [
      key('sku', 'small-big-jump', i >= 5 ? 200 : 20), // x10 on little volume
      key('sku', 'big-small-jump', i >= 5 ? 9000 : 3000), // x3 on a lot of volume
      key('sku', 'blip-then-gone', i >= 5 && i < 7 ? 400 : 50),
    ];
    let last: Detection | undefined;
    for (let i = 0; i < 10; i++) last = detector.step(result((i + 1) * SLIDE, windows(i)));
    const ranking = last!.ranking.map((s) => `${s.key} ${s.status}`);
    expect(ranking).toEqual(['small-big-jump ongoing', 'big-small-jump ongoing', 'blip-then-gone ended']);
    expect(trendScore(200, 20)).toBeGreaterThan(trendScore(9000, 3000));
    expect(trendScore(9000, 3000)).toBeGreaterThan(trendScore(60, 20)); // the same x3 on little volume
  });

  it('says which signals drive a spike: a search-led surge on a sku', () => {
    const detector = new SpikeDetector(OPTIONS);
    let last: Detection | undefined;
    for (let i = 0; i < 8; i++) {
      const mix = i < 6 ? { search: 10, view: 80, sale: 10 } : { search: 400, view: 90, sale: 10 };
      const events = mix.search + mix.view + mix.sale;
      last = detector.step(result((i + 1) * SLIDE, [key('sku', 'dress', events, mix)]));
    }
    expect(last!.updates[0]!.drivenBy).toEqual(['search']);
    expect(drivingSignals({ search: 40, view: 400, sale: 60 }, { search: 10, view: 80, sale: 10 }, 100)).toEqual(['view']);
    expect(drivingSignals({ search: 10, view: 80, sale: 10 }, { search: 10, view: 80, sale: 10 }, 100)).toEqual([]);
  });

  it('names the catalog keys a query spike links to', () => {
    const catalog: CatalogItem[] = [
      { sku: 'S1', title: 'Linen Midi Dress', category: 'dresses', attributes: { material: 'linen', style: 'midi' } },
      { sku: 'S2', title: 'Cotton Midi Dress', category: 'dresses', attributes: { material: 'cotton', style: 'midi' } },
    ];
    const detector = new SpikeDetector({ ...OPTIONS, linker: new SearchLinker(catalog) });
    let last: Detection | undefined;
    for (let i = 0; i < 7; i++) {
      last = detector.step(result((i + 1) * SLIDE, [key('query', 'linen midi dress', i >= 5 ? 300 : 30, { search: i >= 5 ? 300 : 30, view: 0 })]));
    }
    expect(last!.updates[0]!.linkedTo).toEqual(['sku:S1', 'category:dresses', 'attribute:material=linen', 'attribute:style=midi']);
  });

  it('does not count what a sketched dimension may have overcounted', () => {
    const detector = new SpikeDetector(OPTIONS);
    let last: Detection | undefined;
    for (let i = 0; i < 8; i++) {
      const window = key('query', 'rare', i >= 5 ? 90 : 2, { search: i >= 5 ? 90 : 2, view: 0 });
      last = detector.step(result((i + 1) * SLIDE, [{ ...window, error: i >= 5 ? 88 : 0 }]));
    }
    expect(last!.updates).toEqual([]);
  });

  it('forgets keys that have gone quiet', () => {
    const detector = new SpikeDetector(OPTIONS);
    detector.step(result(SLIDE, [key('sku', 'once', 1)]));
    detector.step(result(2 * SLIDE, [key('sku', 'once', 1), key('sku', 'steady', 50)]));
    expect(detector.trackedKeys).toBe(2);
    for (let i = 3; i < 200; i++) detector.step(result(i * SLIDE, [key('sku', 'steady', 50)]));
    expect(detector.trackedKeys).toBe(1);
  });
});

describe('the live path: simulated traffic -> windows -> detector', () => {
  it('finds a 15x surge on one sku within seconds, as rising, and nothing before it', () => {
    const from = Date.UTC(2025, 2, 14, 9, 0, 0);
    const catalog = generateCatalog(7);
    const surging = 'SKU-0010';
    const surgeAt = from + 70_000;
    const traffic = createTraffic({
      seed: 7,
      catalog,
      ratePerSec: 150,
      spikes: [{ sku: surging, startMs: surgeAt, durationMs: 30_000, factor: 15, rampMs: 3_000 }],
    });
    const lookup = (sku: string) => catalog.find((item) => item.sku === sku);
    const observations: Observation[] = traffic
      .eventsBetween(from, from + 100_000)
      .flatMap((e) => observe({ kind: e.kind, ...e.payload } as TrendEvent, lookup));

    const detections: Detection[] = [];
    const ts = scheduler();
    ts.run(({ cold }) => {
      cold('a|', { a: observations })
        .pipe(
          (s) => new Observable<Observation>((sub) => s.subscribe({ next: (list) => list.forEach((o) => sub.next(o)), complete: () => sub.complete() })),
          hoppingWindows({ sizeMs: 10_000, slideMs: 1_000, allowedLatenessMs: 1_000, scheduler: ts }),
          detectSpikes({ warmupWindows: 1 }),
        )
        .subscribe((d) => detections.push(d));
    });

    const spikes = detections.flatMap((d) => d.updates);
    const first = spikes.find((s) => s.dimension === 'sku' && s.key === surging)!;
    expect(first).toBeDefined();
    expect(first.status).toBe('rising');
    expect(first.volume).toBeGreaterThan(first.expected * 1.5);
    expect(first.startedAt).toBeGreaterThanOrEqual(surgeAt);
    expect(first.updatedAt - surgeAt).toBeLessThanOrEqual(6_000);
    expect(spikes.filter((s) => s.startedAt < surgeAt)).toEqual([]);
  });
});
