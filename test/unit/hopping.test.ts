import { TestScheduler } from 'rxjs/testing';
import { map, Observable, Subject, VirtualTimeScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { hoppingWindows, type WindowResult } from '../../src/windows/hopping.js';
import { actorBit, type Observation } from '../../src/windows/keys.js';
import { SpaceSaving } from '../../src/windows/space-saving.js';

/** Linear counting on a 32-bucket bitmap, as the windows estimate distinct shoppers. */
const estimate = (mask: number) => {
  let empty = 32;
  for (let m = mask; m !== 0; m &= m - 1) empty--;
  return empty === 32 ? 0 : Math.round(-32 * Math.log(Math.max(empty, 0.5) / 32));
};

const obs = (key: string, ts: number, signal: Observation['signal'] = 'view', actor?: string): Observation => ({
  dimension: 'sku',
  key,
  signal,
  ts,
  units: signal === 'sale' ? 2 : 0,
  revenue: signal === 'sale' ? 20 : 0,
  actorBit: actorBit(actor),
});

/** Window results as `start-end key=count,...` strings, easy to read in marble expectations. */
const summary = (r: WindowResult) =>
  `${r.start}-${r.end} ` +
  [...r.keys]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((k) => `${k.key}=${k.events}`)
    .join(',') +
  (r.lateEvents ? ` late=${r.lateEvents}` : '');

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** `ts` as a process that stalls from `from` to `to`: timers due meanwhile fire at `to`. */
const stalling = (ts: TestScheduler, from: number, to: number): SchedulerLike => ({
  now: () => ts.now(),
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const due = ts.now() + delay;
    return ts.schedule(work, due >= from && due < to ? to - ts.now() : delay, state);
  },
});

describe('hoppingWindows', () => {
  it('counts in order: tumbling windows close when the watermark passes their end', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      // event time == virtual time; slide 10, no lateness
      const source = cold('a 9ms b 9ms c 9ms |', { a: obs('x', 0), b: obs('x', 10), c: obs('y', 20) });
      const out = source.pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 0, scheduler: ts }), map(summary));
      expectObservable(out).toBe('10ms a 9ms b 9ms (c|)', { a: '0-10 x=1', b: '10-20 x=1', c: '20-30 y=1' });
      expectSubscriptions(source.subscriptions).toBe('^ 29ms !');
    });
  });

  it('hopping windows sum their panes and let keys leave when they slide out', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold('a 9ms b 29ms |', { a: obs('x', 0), b: obs('x', 10) });
      const out = source.pipe(hoppingWindows({ sizeMs: 20, slideMs: 10, allowedLatenessMs: 0, scheduler: ts }), map(summary));
      expectObservable(out).toBe('10ms a 9ms b 9ms c 9ms |', {
        a: '-10-10 x=1',
        b: '0-20 x=2',
        c: '10-30 x=1',
      });
    });
  });

  it('gives the same result for out-of-order events within the allowed lateness', () => {
    const windowsOf = (marble: string, values: Record<string, Observation>) => {
      const ts = scheduler();
      const result: string[] = [];
      ts.run(({ cold }) => {
        cold(marble, values)
          .pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 5, scheduler: ts }), map(summary))
          .subscribe((s) => result.push(s));
      });
      return result;
    };
    const inOrder = windowsOf('a b c d 20ms |', { a: obs('x', 1), b: obs('x', 8), c: obs('y', 11), d: obs('x', 12) });
    const shuffled = windowsOf('c a d b 20ms |', { a: obs('x', 1), b: obs('x', 8), c: obs('y', 11), d: obs('x', 12) });
    expect(shuffled).toEqual(inOrder);
    expect(inOrder).toEqual(['0-10 x=2', '10-20 x=1,y=1']);
  });

  it('drops and counts events later than the allowed lateness', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      // x@25 closes 0-10 and 10-20 (lateness 5); x@3 arrives after that: late.
      const source = cold('a b 9ms c 19ms |', { a: obs('x', 1), b: obs('x', 25), c: obs('x', 3) });
      const out = source.pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 5, scheduler: ts }), map(summary));
      expectObservable(out).toBe('1ms (ab) 6ms c 9ms d 9ms |', {
        a: '0-10 x=1',
        b: '10-20 ',
        c: '20-30 x=1 late=1',
        d: '30-40 ',
      });
    });
  });

  it('an idle stream still closes its windows on the scheduler clock', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('a 99ms |', { a: obs('x', 0) });
      const out = source.pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 2, scheduler: ts }), map(summary));
      // closes at 10+2; then an empty window per slide, up to ten, then quiet.
      expectObservable(out, '^ 70ms !').toBe('12ms a 9ms b 9ms c 9ms d 9ms e 9ms f', {
        a: '0-10 x=1',
        b: '10-20 ',
        c: '20-30 ',
        d: '30-40 ',
        e: '40-50 ',
        f: '50-60 ',
      });
    });
  });

  it('does not advance the clock while the source is held back, so its backlog is not late', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable }) => {
      // x@0 arrives; the source is held from 5 to 55 (store down, nothing pulled);
      // then its backlog, x@8 and x@15, arrives at 56 and is on time.
      const source = hot('a 55ms (bc) 30ms |', { a: obs('x', 0), b: obs('x', 8), c: obs('x', 15) });
      const hold = hot('5ms t 49ms f', { t: true, f: false });
      const out = source.pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 2, hold, scheduler: ts }), map(summary));
      // Without the hold 0-10 would have closed at 12 and x@8 been late; held, it closes
      // when the backlog's x@15 moves the clock, at 56, with x@8 in it.
      expectObservable(out).toBe('56ms a 6ms b 9ms c 9ms d 6ms |', { a: '0-10 x=2', b: '10-20 x=1', c: '20-30 ', d: '30-40 ' });
    });
  });

  it('does not count a stall of the process as idle time, so the backlog read after it is not late', () => {
    const ts = scheduler();
    const results: string[] = [];
    ts.run(({ hot }) => {
      // x@0 arrives; the process stalls from 5 to 30, so the close of 0-10 due at 12
      // fires at 30; the backlog (x@8, then x@25) is read just after, at 31.
      const source = hot('a 30ms (bc) 20ms |', { a: obs('x', 0), b: obs('x', 8), c: obs('x', 25) });
      source
        .pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 2, stallToleranceMs: 5, scheduler: stalling(ts, 5, 30) }), map(summary))
        .subscribe((r) => results.push(`${ts.now()}: ${r}`));
    });
    // Counting the stall as idle, 0-10 would have closed at 30 with x=1 and x@8 been late.
    expect(results).toEqual(['31: 0-10 x=2', '31: 10-20 ', '38: 20-30 x=1', '48: 30-40 ']);
  });

  it('after a stall still closes the windows of a stream that went idle', () => {
    const ts = scheduler();
    const ends: number[] = [];
    ts.run(({ hot }) => {
      hot('a 99ms |', { a: obs('x', 0) })
        .pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 2, stallToleranceMs: 5, scheduler: stalling(ts, 5, 30) }))
        .subscribe(() => ends.push(ts.now()));
    });
    // Due at 12, fired at 30: the stall and one slide of grace do not count, so it closes at 40.
    expect(ends[0]).toBe(40);
  });

  it('goes quiet after a run of empty windows and resumes with events', () => {
    const ts = scheduler();
    const ends: number[] = [];
    ts.run(({ hot }) => {
      hot('a 499ms b 99ms |', { a: obs('x', 0), b: obs('x', 500) })
        .pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 0, scheduler: ts }))
        .subscribe((r) => ends.push(r.end));
    });
    expect(ends.slice(0, 11)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    expect(ends).toContain(510);
    expect(ends.filter((end) => end > 110 && end < 500)).toEqual([]);
  });

  it('counts signals, units and revenue per key across many keys', () => {
    const ts = scheduler();
    const results: WindowResult[] = [];
    ts.run(({ cold }) => {
      const events = Array.from({ length: 1000 }, (_, i) => obs(`k${i % 100}`, i % 10, i % 3 === 0 ? 'sale' : 'view'));
      cold('a|', { a: events })
        .pipe(
          (s) => new Observable<Observation>((sub) => s.subscribe({ next: (list) => list.forEach((e) => sub.next(e)), complete: () => sub.complete() })),
          hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 0, scheduler: ts }),
        )
        .subscribe((r) => results.push(r));
    });
    expect(results).toHaveLength(1);
    const keys = results[0]!.keys;
    expect(keys).toHaveLength(100);
    const total = keys.reduce((sum, k) => sum + k.events, 0);
    expect(total).toBe(1000);
    const sales = keys.reduce((sum, k) => sum + k.bySignal.sale, 0);
    expect(sales).toBe(334);
    expect(keys.reduce((sum, k) => sum + k.units, 0)).toBe(668);
    expect(keys.reduce((sum, k) => sum + k.revenue, 0)).toBe(6680);
  });

  it('tears down its timer and source subscription on unsubscribe', () => {
    const ts = scheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a 100ms b', { a: obs('x', 0), b: obs('x', 100) });
      const out = source.pipe(hoppingWindows({ sizeMs: 10, slideMs: 10, allowedLatenessMs: 0, scheduler: ts }), map(summary));
      expectObservable(out, '^ 15ms !').toBe('10ms a', { a: '0-10 x=1' });
      expectSubscriptions(source.subscriptions).toBe('^ 15ms !');
    });
    expect(ts.actions.length).toBe(0);
  });

  it('estimates distinct shoppers per key across the panes of a window', () => {
    const ts = scheduler();
    const results: WindowResult[] = [];
    ts.run(({ cold }) => {
      const events = [
        ...Array.from({ length: 40 }, (_, i) => obs('bot', i % 20, 'view', 'same-user')),
        ...Array.from({ length: 40 }, (_, i) => obs('crowd', i % 20, 'view', `user-${i}`)),
        ...Array.from({ length: 5 }, (_, i) => obs('anon', i, 'view')),
      ];
      cold('a|', { a: events })
        .pipe(
          (s) => new Observable<Observation>((sub) => s.subscribe({ next: (list) => list.forEach((e) => sub.next(e)), complete: () => sub.complete() })),
          hoppingWindows({ sizeMs: 20, slideMs: 10, allowedLatenessMs: 20, scheduler: ts }),
        )
        .subscribe((r) => results.push(r));
    });
    const full = results.find((r) => r.end === 20)!;
    const byKey = Object.fromEntries(full.keys.map((k) => [k.key, k]));
    expect(byKey.bot).toMatchObject({ events: 40, actors: 1, anonymous: 0 });
    expect(byKey.crowd!.actors).toBeGreaterThan(20);
    expect(byKey.anon).toMatchObject({ events: 5, actors: 0, anonymous: 5 });
  });

  it('keeps at most `capacity` keys per pane for sketched dimensions and still finds the heavy hitters', () => {
    const ts = scheduler();
    const results: WindowResult[] = [];
    ts.run(({ cold }) => {
      const events: Observation[] = [];
      for (let i = 0; i < 5_000; i++) {
        // 3 heavy queries among 4,000 one-off ones, spread over two panes
        const key = i % 5 === 0 ? `hot-${i % 3}` : `rare-${i}`;
        events.push({ ...obs(key, i % 20), dimension: 'query', signal: 'search' });
      }
      cold('a|', { a: events })
        .pipe(
          (s) => new Observable<Observation>((sub) => s.subscribe({ next: (list) => list.forEach((e) => sub.next(e)), complete: () => sub.complete() })),
          hoppingWindows({ sizeMs: 20, slideMs: 10, allowedLatenessMs: 20, capacity: { query: 50 }, scheduler: ts }),
        )
        .subscribe((r) => results.push(r));
    });
    const full = results.find((r) => r.end === 20)!;
    expect(full.keys.length).toBeLessThanOrEqual(2 * 50);
    const hot = full.keys.filter((k) => k.key.startsWith('hot-'));
    expect(hot).toHaveLength(3);
    for (const k of hot) {
      // true count 333 or 334; Space-Saving overestimates by at most error <= N / capacity per pane
      expect(k.events - k.error).toBeLessThanOrEqual(334);
      expect(k.events).toBeGreaterThanOrEqual(333);
      expect(k.error).toBeLessThanOrEqual(2 * (2_500 / 50));
    }
  });

  it('reports for sketched dimensions what merging every pane summary of the window from scratch gives', () => {
    // Skewed keys and random shoppers, in event-time order over 40 panes; 5 panes per window, 15 keys per summary.
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const events: Observation[] = [];
    for (let i = 0; i < 6_000; i++) {
      const r = random();
      events.push({ ...obs(`q${Math.floor(r * r * 80)}`, Math.floor(i / 15), 'search', random() < 0.8 ? `u${Math.floor(random() * 500)}` : undefined), dimension: 'query' });
    }
    const capacity = 15;
    const scheduler = new VirtualTimeScheduler();
    const results: WindowResult[] = [];
    const input = new Subject<Observation>();
    input.pipe(hoppingWindows({ sizeMs: 50, slideMs: 10, allowedLatenessMs: 0, capacity: { query: capacity }, scheduler })).subscribe((r) => results.push(r));
    for (const e of events) {
      scheduler.frame = e.ts;
      input.next(e);
    }
    input.complete();

    // The reference: each pane's Space-Saving summary, merged over the window's panes at every close.
    type Entry = { events: number; error: number; search: number; anonymous: number; mask: number };
    const panes = new Map<number, SpaceSaving<Entry>>();
    for (const e of events) {
      const pane = Math.floor(e.ts / 10);
      if (!panes.has(pane)) panes.set(pane, new SpaceSaving<Entry>(capacity));
      const entry = panes.get(pane)!.offer(e.key, 1, () => ({ events: 0, error: 0, search: 0, anonymous: 0, mask: 0 }));
      entry.search++;
      if (e.actorBit < 0) entry.anonymous++;
      else entry.mask |= 1 << e.actorBit;
    }
    expect(results.length).toBeGreaterThan(30);
    for (const result of results) {
      const merged = new Map<string, Entry>();
      for (let pane = result.start / 10; pane < result.end / 10; pane++) {
        for (const [key, e] of panes.get(pane) ?? []) {
          const m = merged.get(key) ?? { events: 0, error: 0, search: 0, anonymous: 0, mask: 0 };
          merged.set(key, { events: m.events + e.events, error: m.error + e.error, search: m.search + e.search, anonymous: m.anonymous + e.anonymous, mask: m.mask | e.mask });
        }
      }
      const expected = [...merged.values()].map((e) => e.events).sort((a, b) => b - a).slice(0, capacity);
      expect(result.keys.map((k) => k.events)).toEqual(expected);
      const threshold = expected[expected.length - 1] ?? 0;
      for (const k of result.keys) {
        const m = merged.get(k.key)!;
        expect(k).toMatchObject({ events: m.events, error: m.error, bySignal: { search: m.search, view: 0, sale: 0 }, anonymous: m.anonymous });
        expect(k.actors).toBe(estimate(m.mask));
      }
      // Every key above the cut is reported (ties at the cut may be any of them).
      const reported = new Set(result.keys.map((k) => k.key));
      for (const [key, m] of merged) if (m.events > threshold) expect(reported.has(key)).toBe(true);
    }
  });

  it('rejects a window that is not a multiple of the slide', () => {
    expect(() => hoppingWindows({ sizeMs: 15, slideMs: 10, allowedLatenessMs: 0, scheduler: scheduler() })).toThrow(/multiple/);
  });
});
