import { describe, expect, it } from 'vitest';
import { gamma, poisson } from '../../src/cli/eval/sampling.js';
import { alarmThreshold, DEFAULT_KEY_OPTIONS, KeyModel, type KeyModelOptions, type KeyStep } from '../../src/detect/key-model.js';
import { seriesOptions } from '../../src/detect/series.js';
import { Rng } from '../../src/sim/random.js';

const STEP = 300_000;
const T0 = Date.UTC(2025, 0, 6);
const HOUR = 3_600_000 / STEP;
const DAY = 24 * HOUR;

interface Window {
  readonly events: number;
  readonly actors?: number;
  readonly anonymous?: number;
}

/** Steps a fresh model through windows `count(i)` (5-minute tumbling windows). */
function run(length: number, window: (i: number, rng: Rng) => Window, options: Partial<KeyModelOptions> = {}, seed = 1): KeyStep[] {
  const model = new KeyModel({ ...DEFAULT_KEY_OPTIONS, ...options });
  const rng = new Rng(seed);
  return Array.from({ length }, (_, i) =>
    model.step({ end: T0 + (i + 1) * STEP, at: T0 + (i + 0.5) * STEP, dtMs: STEP, ...window(i, rng) }),
  );
}

const steady = (rate: (i: number) => number) => (i: number, rng: Rng) => ({ events: poisson(rng, rate(i)) });
const openings = (steps: readonly KeyStep[]) => steps.flatMap((s, i) => (s.opened ? [i] : []));
const endings = (steps: readonly KeyStep[]) => steps.flatMap((s, i) => (s.status === 'ended' ? [[i, s.endReason] as const] : []));

describe('KeyModel', () => {
  it('stays quiet on steady Poisson traffic, at any volume', () => {
    for (const rate of [0.5, 5, 50, 500, 5000]) {
      const steps = run(3 * DAY, steady(() => rate));
      expect(openings(steps), `rate ${rate}`).toEqual([]);
    }
  });

  it('opens a spike on its second surprising window, dated from the first, and follows it to the end', () => {
    const onset = DAY;
    // +60% on 200 events: about 6 sd, surprising but not extreme.
    const steps = run(DAY + 4 * HOUR, steady((i) => (i >= onset && i < onset + 10 ? 320 : 200)));
    expect(openings(steps)).toEqual([onset + 1]);
    const opened = steps[onset + 1]!;
    expect(opened).toMatchObject({ status: 'rising', opened: true, direction: 'rising' });
    expect(opened.spike!.startedAt).toBe(T0 + (onset + 1) * STEP); // the end of the first surprising window
    expect(steps[onset]!.status).toBeUndefined();
    expect(steps.slice(onset + 2, onset + 10).some((s) => s.status === 'ongoing')).toBe(true);
    const [[endedAt, reason]] = endings(steps) as [[number, string]];
    expect(reason).toBe('faded');
    expect(endedAt).toBeGreaterThanOrEqual(onset + 10 + DEFAULT_KEY_OPTIONS.closeAfterWindows - 1);
    expect(endedAt).toBeLessThanOrEqual(onset + 10 + 3);
  });

  it('opens at once on one window of extreme surprise', () => {
    const steps = run(2 * DAY, steady((i) => (i === DAY ? 800 : 200)));
    expect(openings(steps)).toEqual([DAY]);
    expect(steps[DAY]!.alarm).toBeGreaterThan(alarmThreshold(DEFAULT_KEY_OPTIONS));
  });

  it('does not flap while a surge fades slowly', () => {
    const onset = DAY;
    const rate = (i: number) => {
      const j = i - onset;
      if (j < 0) return 200;
      if (j < 6) return 1000;
      return 200 + 800 * Math.exp(-(j - 6) / 8); // a long noisy tail
    };
    const steps = run(DAY + 6 * HOUR, steady(rate));
    expect(openings(steps)).toEqual([onset]);
    expect(endings(steps)).toHaveLength(1);
  });

  it('calls a spike rising again when it grows a second leg', () => {
    const onset = DAY;
    const steps = run(DAY + 3 * HOUR, steady((i) => (i < onset ? 100 : i < onset + 8 ? 400 : i < onset + 16 ? 1200 : 100)));
    const statuses = steps.slice(onset + 1, onset + 16).map((s) => s.status);
    const firstOngoing = statuses.indexOf('ongoing');
    expect(firstOngoing).toBeGreaterThan(0);
    expect(statuses.slice(firstOngoing)).toContain('rising');
    expect(openings(steps)).toHaveLength(1);
  });

  it('goes on with the same spike when it comes back the same way within the hour, and opens a new one later', () => {
    // Two 40-minute surges 30 minutes apart (one spike), then another two hours later (a second).
    const surge = (i: number) => (i >= DAY && i < DAY + 8) || (i >= DAY + 14 && i < DAY + 22) || (i >= DAY + 46 && i < DAY + 54);
    const steps = run(DAY + 5 * HOUR, steady((i) => (surge(i) ? 600 : 200)));
    expect(openings(steps)).toEqual([DAY, DAY + 46]);
    const [first, second] = endings(steps).map(([i]) => i);
    expect(first).toBeLessThan(DAY + 14);
    const back = steps[DAY + 14]!;
    expect(back).toMatchObject({ opened: false, direction: 'rising' });
    expect(back.spike!.startedAt).toBe(steps[DAY]!.spike!.startedAt);
    // Coming back no higher is no news: its alarm stays under the threshold.
    expect(back.alarm).toBeLessThan(alarmThreshold(DEFAULT_KEY_OPTIONS));
    expect(second).toBeGreaterThan(DAY + 22);
  });

  it('ignores a single-window blip of moderate surprise', () => {
    const steps = run(2 * DAY, steady((i) => (i === DAY ? 290 : 200)));
    expect(steps[DAY]!.score).toBeGreaterThan(DEFAULT_KEY_OPTIONS.openScore);
    expect(openings(steps)).toEqual([]);
  });

  it('holds a sparse key it knows to a volume relative to what it expects, and a key it does not know to minVolume', () => {
    // 0.1 events a window; a burst of 7 then 6 (under minVolume, 10) is 60 times that.
    const burst = (at: number) => (i: number, rng: Rng) => ({ events: i === at ? 7 : i === at + 1 ? 6 : poisson(rng, 0.1) });
    expect(openings(run(2 * DAY, burst(DAY + 6 * HOUR)))).toEqual([DAY + 6 * HOUR + 1]);
    expect(openings(run(DAY, burst(8 * HOUR)))).toEqual([]);
  });

  it('does not call three searches instead of one a trend', () => {
    const steps = run(2 * DAY, steady((i) => (i >= DAY && i < DAY + 12 ? 6 : 1)));
    expect(steps[DAY + 2]!.score).toBeGreaterThan(DEFAULT_KEY_OPTIONS.openScore * 0.5);
    expect(openings(steps)).toEqual([]);
  });

  it('ends a lasting level shift as a new normal that becomes the baseline', () => {
    const shift = DAY;
    const steps = run(3 * DAY, steady((i) => (i < shift ? 100 : 300)));
    expect(openings(steps)).toEqual([shift]);
    const [[endedAt, reason]] = endings(steps) as [[number, string]];
    expect(reason).toBe('new-normal');
    expect((endedAt - shift) * STEP).toBeLessThanOrEqual(DEFAULT_KEY_OPTIONS.newNormalAfterMs + 4 * STEP);
    const later = steps[2 * DAY]!;
    expect(later.expected).toBeGreaterThan(270);
    expect(later.expected).toBeLessThan(330);
  });

  it('follows a long surge back down when it ends, and still sees the next one', () => {
    const rate = (i: number) => (i >= DAY && i < DAY + 3 * HOUR ? 400 : i >= 2 * DAY && i < 2 * DAY + 6 ? 500 : 100);
    const steps = run(2 * DAY + 4 * HOUR, steady(rate));
    expect(endings(steps)[0]![1]).toBe('new-normal');
    expect(steps[DAY + 3 * HOUR + 12]!.expected).toBeLessThan(130);
    expect(openings(steps)).toEqual([DAY, 2 * DAY]);
  });

  it('discounts a bot: one shopper adding hundreds of events is not a trend, hundreds of shoppers are', () => {
    const people = (i: number, rng: Rng, extra: (i: number) => { events: number; actors: number }) => {
      const shoppers = poisson(rng, 16);
      const events = shoppers + poisson(rng, 0.25 * shoppers);
      const add = extra(i);
      return { events: events + add.events, actors: shoppers + add.actors, anonymous: 0 };
    };
    const during = (i: number) => i >= DAY && i < DAY + 6;
    const bot = run(2 * DAY, (i, rng) => people(i, rng, (j) => (during(j) ? { events: 300, actors: 1 } : { events: 0, actors: 0 })));
    expect(openings(bot)).toEqual([]);
    expect(bot[DAY + 2]!.effective).toBeLessThan(40);
    const crowd = run(2 * DAY, (i, rng) => people(i, rng, (j) => (during(j) ? { events: 300, actors: 133 } : { events: 0, actors: 0 })));
    expect(openings(crowd)).toEqual([DAY]);
  });

  it('reports an outage as a fall and holds its baseline through it, so the restock is not a trend', () => {
    const outage = DAY;
    const rate = (i: number) => (i >= outage && i < outage + 12 * HOUR ? 0 : i >= outage + 12 * HOUR && i < outage + 13 * HOUR ? 260 : 200);
    const steps = run(3 * DAY, steady(rate));
    const opened = steps.flatMap((s, i) => (s.opened ? [[i, s.direction] as const] : []));
    expect(opened).toEqual([[outage, 'falling']]);
    expect(steps[outage]!.status).toBe('falling');
    expect(steps[outage + 11 * HOUR]!.expected).toBeGreaterThan(150);
    expect(steps.slice(outage + 2 * HOUR, outage + 12 * HOUR).every((s) => !s.learned)).toBe(true);
    expect(endings(steps)).toEqual([[expect.any(Number), 'faded']]);
  });

  it('adopts a fall held for days at the level it fell to, whatever the time of day it ends', () => {
    // A daily cycle (x0.4 at night to x1.6 by day); from day 3 the key sells 45% of that.
    const cycle = (i: number) => 1 + 0.6 * Math.sin((2 * Math.PI * i) / DAY);
    const fall = 3 * DAY + 2 * HOUR;
    const rate = (i: number) => 200 * cycle(i) * (i >= fall ? 0.45 : 1);
    const steps = run(7 * DAY, steady(rate));
    const [[adoptedAt, reason]] = endings(steps).filter(([i]) => i > fall) as [[number, string]];
    expect(reason).toBe('new-normal');
    // After the adoption expected follows the fallen cycle at every time of day.
    for (let i = adoptedAt + 1; i < adoptedAt + DAY; i += HOUR) {
      expect(steps[i]!.expected / rate(i), `window ${i}`).toBeGreaterThan(0.8);
      expect(steps[i]!.expected / rate(i), `window ${i}`).toBeLessThan(1.25);
    }
  });

  it('sees a sparse item\'s stock-out from its recent average, though no single window proves it', () => {
    const outage = 2 * DAY;
    // 3 sales a window; a window of none is routine (5%), six hours of none is not.
    const steps = run(3 * DAY, steady((i) => (i >= outage && i < outage + 6 * HOUR ? 0 : 3)));
    const falls = steps.flatMap((s, i) => (s.opened && s.direction === 'falling' ? [i] : []));
    expect(falls).toHaveLength(1);
    expect(falls[0]! - outage).toBeGreaterThan(1);
    expect(falls[0]! - outage).toBeLessThan(2 * HOUR);
    expect(openings(steps).filter((i) => steps[i]!.direction === 'rising')).toEqual([]);
  });

  it('sees the stock-out of an item selling about two a window, which an hour of nothing does not prove, and holds its baseline through it', () => {
    // 1.5-2.5 a window over the day: an hour of none is 20 expected, not proof; hours of none are.
    const outage = 2 * DAY + 4 * HOUR;
    const rate = (i: number) => (i >= outage && i < outage + DAY ? 0 : 2 + 0.5 * Math.sin((2 * Math.PI * i) / DAY));
    for (const seed of [1, 2, 3]) {
      const steps = run(4 * DAY, steady(rate), {}, seed);
      const falls = steps.flatMap((s, i) => (s.opened && s.direction === 'falling' ? [i] : []));
      expect(falls, `seed ${seed}`).toHaveLength(1);
      expect(falls[0]! - outage, `seed ${seed}`).toBeLessThan(4 * HOUR);
      // Still expecting the item to sell the day after it stopped: nothing adopted the empty shelf.
      expect(steps[outage + DAY - 1]!.expected, `seed ${seed}`).toBeGreaterThan(1);
    }
  });

  it('stays out of stock through the hours it expects less: a dip of what it expects is not the key coming back', () => {
    // About two a window (depressedMinExpected), a little less at some hours; out of stock for 30 hours.
    const outage = 2 * DAY + 6 * HOUR;
    const rate = (i: number) => (i >= outage && i < outage + 30 * HOUR ? 0 : 2.1 + 0.3 * Math.sin((2 * Math.PI * i) / DAY));
    for (const seed of [1, 2, 3, 4]) {
      const steps = run(outage + 30 * HOUR, steady(rate), {}, seed);
      // The baseline held: at the end it still expects what the item sells, not the empty shelf.
      expect(Math.min(...steps.slice(outage, outage + 30 * HOUR).map((s) => s.expected)), `seed ${seed}`).toBeGreaterThan(1);
    }
  });

  it('learns how far its over-dispersion persists: a busy key whose windows vary independently shows a fall to 45% within minutes', () => {
    // ~2,000 events a window, each window's rate drawn afresh (phi 0.04: 20% sd), down to 45% for good on day 2.
    const fall = 2 * DAY;
    const rate = (i: number, rng: Rng) => (i >= fall ? 900 : 2000) * 0.04 * gamma(rng, 1 / 0.04);
    const steps = run(3 * DAY, (i, rng) => ({ events: poisson(rng, rate(i, rng)) }));
    expect(openings(steps)).toHaveLength(1);
    expect(steps[openings(steps)[0]!]!.direction).toBe('falling');
    expect(openings(steps)[0]! - fall).toBeLessThanOrEqual(6);
  });

  it('learns that a wandering level persists: routine hours-long swings of a busy key are no fall', () => {
    // The log-rate wanders (AR(1), about 20% sd, hours to swing): an hour at 70% of the day's level is routine here.
    let wander = 0;
    const steps = run(4 * DAY, (_, rng) => {
      wander = 0.995 * wander + 0.02 * rng.normal();
      return { events: poisson(rng, 2000 * Math.exp(wander)) };
    });
    expect(openings(steps).filter((i) => i >= DAY)).toEqual([]);
  });

  it('opens on a slow builder that no single window shows, long before its peak', () => {
    // 100 a window rising to 400 over a day (slow start, fastest in the middle): a 2-hour level follows it
    // window by window, so no window stands out; the recent average holds the baseline and shows it.
    const start = 2 * DAY;
    const rate = (i: number) => {
      const u = Math.min(1, Math.max(0, (i - start) / DAY));
      return 100 * (1 + 3 * u * u * (3 - 2 * u));
    };
    const steps = run(4 * DAY, steady(rate));
    const opened = openings(steps);
    expect(opened[0]).toBeGreaterThan(start);
    expect(opened[0]).toBeLessThan(start + 18 * HOUR);
    // (Each leg that stops climbing for an hour is a new normal; the next one up is news again.)
    for (const i of opened) expect(steps[i]!.direction).toBe('rising');
    expect(opened.length).toBeLessThanOrEqual(3);
  });

  it('does not take a key climbing back to where it stood a day and a half ago for a builder', () => {
    // 15 a window, sliding to 5 over 12 hours (too slowly to be a fall: the baseline learns it), 5 for a day, back up in an hour.
    const down = 2 * DAY;
    const up = down + 36 * HOUR;
    const ramp = (from: number, to: number, at: number, hours: number, i: number) => from + (to - from) * Math.min(1, Math.max(0, (i - at) / (hours * HOUR)));
    const rate = (i: number) => (i < up ? ramp(15, 5, down, 12, i) : ramp(5, 15, up, 1, i));
    const steps = run(5 * DAY, steady(rate));
    expect(steps[up - 1]!.expected).toBeLessThan(10);
    expect(openings(steps).filter((i) => steps[i]!.direction === 'rising')).toEqual([]);
  });

  it('sees a new key that appears with a burst after the detector has run a while (a breakout)', () => {
    const model = new KeyModel(DEFAULT_KEY_OPTIONS, true, 500);
    const step = (i: number, events: number) =>
      model.step({ end: T0 + (i + 1) * STEP, at: T0 + (i + 0.5) * STEP, dtMs: STEP, events });
    expect(step(0, 60)).toMatchObject({ opened: true, status: 'rising' });
  });

  it('raises its alarm to the threshold exactly on windows that open or grow a spike, and ranks by evidence below it', () => {
    const onset = DAY;
    const steps = run(DAY + 3 * HOUR, steady((i) => (i < onset ? 100 : i < onset + 3 ? 300 + 300 * (i - onset) : 1000)));
    const threshold = alarmThreshold(DEFAULT_KEY_OPTIONS);
    steps.forEach((s) => {
      if (s.opened) expect(s.alarm).toBeGreaterThanOrEqual(threshold);
      else if (s.status !== 'rising') expect(s.alarm).toBeLessThan(threshold);
    });
    expect(steps.filter((s) => s.alarm >= threshold).length).toBeGreaterThanOrEqual(1);
    // Quiet windows: the more surprising, the higher, never tied at a cap.
    const quiet = steps.slice(20, onset).filter((s) => s.score > 0);
    const byScore = [...quiet].sort((a, b) => a.score - b.score);
    for (let i = 1; i < byScore.length; i++) expect(byScore[i]!.alarm).toBeGreaterThanOrEqual(byScore[i - 1]!.alarm);
  });
});

describe('KeyModel on hopping windows (5 minutes every 10 s)', () => {
  const SLIDE = 10_000;
  const SIZE = 300_000;
  /** Window counts of events arriving `perSecond(s)` a second, stepped slide by slide; the key is met `metAfter` slides in. */
  const runHopping = (seconds: number, perSecond: (s: number, rng: Rng) => number, metAfter: number, seed = 1) => {
    const model = new KeyModel(DEFAULT_KEY_OPTIONS, true, metAfter);
    const rng = new Rng(seed);
    const arrivals = Array.from({ length: seconds }, (_, s) => perSecond(s, rng));
    const steps: { second: number; step: KeyStep }[] = [];
    for (let end = SLIDE / 1000; end <= seconds; end += SLIDE / 1000) {
      const events = arrivals.slice(Math.max(0, end - SIZE / 1000), end).reduce((a, b) => a + b, 0);
      const t = T0 + end * 1000;
      steps.push({ second: end, step: model.step({ end: t, at: t - SIZE / 2, dtMs: SLIDE, sizeMs: SIZE, events }) });
    }
    return steps;
  };

  it('sees a brand-new search that ramps up over minutes as a breakout within minutes', () => {
    // Nothing, then 0 to 0.5 searches a second over five minutes: the same events fill thirty overlapping windows,
    // which must not teach the new key that it is wildly over-dispersed.
    const steps = runHopping(900, (s, rng) => poisson(rng, 0.5 * Math.min(1, s / 300)), 360);
    const opened = steps.find((s) => s.step.opened);
    expect(opened?.step.direction).toBe('rising');
    expect(opened!.second).toBeLessThanOrEqual(240);
  });

  it('stays quiet on a steady key, sparse or busy', () => {
    for (const rate of [0.05, 2]) {
      const steps = runHopping(6 * 3600, (_, rng) => poisson(rng, rate), 0, 3);
      expect(steps.filter((s) => s.step.opened).map((s) => s.second), `rate ${rate}/s`).toEqual([]);
    }
  });

  /** A day's cycle of searches, from half the mean at 3 am to one and a half at 3 pm. */
  const daily = (mean: number) => (s: number) => mean * (1 + 0.5 * Math.cos((2 * Math.PI * (s / 3600 - 15)) / 24));

  it('stays quiet through days of small keys with a daily cycle: the windows a slide apart are one window, not thirty', () => {
    // Small keys (5-15 events a window) at their trough are where a run of two overlapping windows, or a
    // fast level that followed one window, opened falls: 11 in 300 key-days before windows were counted by length.
    const opened: string[] = [];
    for (let key = 0; key < 12; key++) {
      const rate = daily((5 + key) / 300);
      const steps = runHopping(3 * 86_400, (s, rng) => poisson(rng, rate(s)), 0, 100 + key);
      for (const s of steps) if (s.step.opened) opened.push(`key ${key}: ${s.step.direction} at ${(s.second / 3600).toFixed(1)} h`);
    }
    expect(opened).toEqual([]);
  });

  it('sees a surge to three times the usual within minutes, as tumbling windows would', () => {
    const delays: number[] = [];
    for (let key = 0; key < 6; key++) {
      const onset = 2 * 86_400 + (4 * key + 1) * 3600 + 420;
      const rate = daily((40 + 20 * key) / 300);
      const steps = runHopping(onset + 3600, (s, rng) => poisson(rng, rate(s) * (s >= onset && s < onset + 1200 ? 3 : 1)), 0, 200 + key);
      const opened = steps.filter((s) => s.step.opened);
      expect(opened.map((s) => s.step.direction), `key ${key}`).toEqual(['rising']);
      delays.push(opened[0]!.second - onset);
    }
    for (const delay of delays) expect(delay).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(600);
  });
});

describe('KeyModel on plain values', () => {
  const options = seriesOptions(STEP);
  /** Steps a plain-value model through `value(i)`. */
  const runValues = (length: number, value: (i: number) => number) => {
    const model = new KeyModel(options, false);
    return Array.from({ length }, (_, i) => model.step({ end: T0 + (i + 1) * STEP, at: T0 + (i + 0.5) * STEP, dtMs: STEP, events: value(i) }));
  };

  it('goes on predicting a routine daily ramp after one day when it fell: the young first day does not make that fall routine', () => {
    // Up over 8 hours, level for 4, down over 8, low for 4; on day 1 it is at 60% from 14:00 to 17:00, on the way down.
    const ramp = (hour: number) => (hour < 8 ? 40 + 20 * hour : hour < 12 ? 200 : hour < 20 ? 200 - 20 * (hour - 12) : 40);
    const value = (i: number) => {
      const hour = (i % DAY) / HOUR;
      const fell = Math.floor(i / DAY) === 1 && hour >= 14 && hour < 17;
      return ramp(hour) * (fell ? 0.6 : 1);
    };
    const steps = runValues(4 * DAY, value);
    expect(openings(steps).filter((i) => i < 2 * DAY)).toEqual([DAY + 14 * HOUR]);
    expect(openings(steps).filter((i) => i >= 2 * DAY)).toEqual([]);
  });

  it('learns a routine dip that only the daily shape predicts: a flat series dipping at the same time every day alarms on its first days only', () => {
    // Flat at 1,000 (1% noise) but 8% lower for half an hour from 23:00 each day: the level predicts best overall.
    const rng = new Rng(4);
    const value = (i: number) => {
      const minute = ((i % DAY) / HOUR) * 60;
      return 1000 * (minute >= 23 * 60 && minute < 23 * 60 + 30 ? 0.92 : 1) * (1 + 0.01 * rng.normal());
    };
    const steps = runValues(7 * DAY, value);
    const dips = openings(steps).map((i) => Math.floor(i / DAY));
    expect(dips.length).toBeLessThanOrEqual(2);
    expect(dips.every((day) => day <= 2)).toBe(true);
  });

  it('does not learn one wild row of its first day as part of the daily shape', () => {
    // Steps every day (100, then 300 from 08:00 to 20:00; 0.5% noise), which only the row-by-row shape
    // predicts; on the first day one reading at 10:00 is a glitch of 30. The next day at 10:00 is no spike.
    const rng = new Rng(6);
    const glitch = 10 * HOUR;
    const value = (i: number) => (i === glitch ? 30 : (i % DAY >= 8 * HOUR && i % DAY < 20 * HOUR ? 300 : 100) * (1 + 0.005 * rng.normal()));
    const steps = runValues(3 * DAY, value);
    expect(steps[DAY + glitch]!.expected).toBeGreaterThan(250);
    expect(openings(steps)).toEqual([]);
  });

  it('predicts a reading that wanders by its last value, so a jump stands out of the wander', () => {
    // A reading wandering around 50 (AR(1): steps of 1, about 10 sd over hours) with no daily rhythm; on
    // day 5 it jumps by 15 for good: 15 steps' worth, though well within how far it wanders.
    const rng = new Rng(8);
    const jump = 5 * DAY;
    let wander = 0;
    const readings = Array.from({ length: 6 * DAY }, (_, i) => 50 + (wander = 0.995 * wander + rng.normal()) + (i >= jump ? 15 : 0));
    const steps = runValues(readings.length, (i) => readings[i]!);
    expect(Math.abs(steps[jump - 1]!.expected - readings[jump - 2]!)).toBeLessThan(1e-9);
    const opened = openings(steps).filter((i) => i >= jump);
    expect(opened[0]).toBeLessThanOrEqual(jump + 1);
    expect(steps[opened[0]!]!.direction).toBe('rising');
  });

  it('does not take one outlier for the way back after a new normal', () => {
    // 100 (1% noise) until day 2, then 130 for good; 3 h later one reading of 100 (a glitch).
    const rng = new Rng(5);
    const shift = 2 * DAY;
    const glitch = shift + 3 * HOUR;
    const steps = runValues(3 * DAY, (i) => (i === glitch ? 100 : (i >= shift ? 130 : 100) * (1 + 0.01 * rng.normal())));
    expect(endings(steps).map(([, reason]) => reason)).toEqual(['new-normal']);
    expect(openings(steps)).toEqual([shift]);
    expect(steps[glitch + 1]!.expected).toBeGreaterThan(125);
  });

  it('opens on one window alone only far out while its record of surprises is young', () => {
    const rng = new Rng(9);
    const noise = Array.from({ length: 4 * DAY }, () => rng.normal());
    const value = (bursts: Record<number, number>) => (i: number) => 100 + (bursts[i] ?? noise[i]!);
    // 12 sd: routine for a heavy-tailed series, which a record of less than a day cannot rule out; 30 sd is not.
    const young = DAY + 2 * HOUR;
    expect(openings(runValues(young + HOUR, value({ [young]: 12 })))).toEqual([]);
    expect(openings(runValues(young + HOUR, value({ [young]: 30 })))).toEqual([young]);
    // Young for a day and a half of record: a heavy tail's 8-16 sd outliers come about once a day (Student's t, 3
    // degrees of freedom, 5-minute rows), so a single day of record shows none almost half the time.
    for (const hours of [20, 30]) {
      const young = DAY + hours * HOUR;
      expect(openings(runValues(young + HOUR, value({ [young]: 12 }))), `${hours} h into its record`).toEqual([]);
    }
    // Two days of light tails later, 12 sd stands alone.
    const later = 3 * DAY;
    expect(openings(runValues(later + HOUR, value({ [later]: 12 })))).toEqual([later]);
  });
});
