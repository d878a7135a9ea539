/** Feed messages for wall tests: single spikes and alerts, and a plausible apparel board. */
import type { AlertView, DemandRangeView } from '../../src/alerts/view.js';
import type { Counters, Dimension, SpikeStatus } from '../../src/domain.js';
import type { RankingMessage, SnapshotMessage, SpikeView } from '../../src/feed/protocol.js';

type SpikeInit = Pick<SpikeView, 'dimension' | 'key'> & Partial<Omit<SpikeView, 'dimension' | 'key'>>;

/** A spike with consistent derived fields; anything given overrides. */
export function spike(init: SpikeInit): SpikeView {
  const now = Date.now();
  const startedAt = init.startedAt ?? now - 20 * 60_000;
  const expected = init.expected ?? 400;
  const pctAbove = init.pctAbove ?? 150;
  const volume = init.volume ?? Math.round(expected * (1 + pctAbove / 100));
  return {
    spikeId: `${init.dimension}:${init.key}:${startedAt}`,
    direction: 'rising',
    status: 'rising',
    score: 6,
    volume,
    expected,
    pctAbove,
    startedAt,
    updatedAt: now,
    peakScore: 6,
    peakVolume: volume,
    trendScore: trendScore(pctAbove, volume),
    drivers: { search: 0.5, view: 0.4, sale: 0.1 },
    ...init,
  };
}

export const COUNTERS: Counters = {
  eventsPerSec: 1234,
  salesLastMinute: 42,
  revenueLastMinute: 3150,
  salesToday: 9870,
  revenueToday: 640_000,
};

export function snapshot(
  spikes: readonly SpikeView[],
  counters: Counters = COUNTERS,
  alerts: readonly AlertView[] = [],
  falling: readonly SpikeView[] = [],
): SnapshotMessage {
  return {
    type: 'snapshot',
    serverTime: Date.now(),
    window: { sizeMs: 300_000, slideMs: 30_000 },
    spikes,
    falling,
    counters,
    alerts,
  };
}

type AlertInit = Pick<AlertView, 'key'> &
  Partial<Omit<AlertView, 'key' | 'demand'>> & {
    /** Extra units over 7 days and their interval; the rest of the projection follows. */
    readonly week?: Pick<DemandRangeView, 'extra' | 'low' | 'high'>;
  };

/** A firing sku alert worded as the server words it; anything given overrides. */
export function alertView({ week = { extra: 1800, low: 1200, high: 2500 }, ...init }: AlertInit): AlertView {
  const dimension = init.dimension ?? 'sku';
  const labels = { alertname: 'item-surge', dimension, key: init.key, factory: 'porto', ...(init.category ? { category: init.category } : {}) };
  const what = init.title ? `"${init.title}" (${init.key}, ${init.category})` : `${dimension} "${init.key}"`;
  const range = (r: Pick<DemandRangeView, 'extra' | 'low' | 'high'>, horizon: string) =>
    `+${r.extra.toLocaleString('en-US')} units/${horizon}, 80% interval ${r.low.toLocaleString('en-US')}-${r.high.toLocaleString('en-US')}`;
  return {
    fingerprint: `fp-${init.key}`,
    alertname: 'item-surge',
    status: 'firing',
    dimension,
    labels,
    summary: `${what} is taking off: +${init.pctAbove ?? 300}% vs baseline, score 9.4`,
    score: 9.4,
    pctAbove: 300,
    startsAt: Date.now() - 25 * 60_000,
    demand: {
      level: 0.8,
      summary: range(week, '7 d'),
      next24h: { baseline: 140, extra: Math.round(week.extra / 4), low: Math.round(week.low / 4), high: Math.round(week.high / 4) },
      next7d: { baseline: 980, ...week },
    },
    silencedBy: [],
    inhibitedBy: [],
    ...init,
  };
}

function trendScore(pctAbove: number, volume: number): number {
  return (pctAbove / 100) * Math.log1p(volume);
}

interface Story {
  readonly dimension: Dimension;
  readonly key: string;
  readonly title?: string;
  readonly category?: string;
  /** Baseline volume per window. */
  readonly expected: number;
  /** Surge at its height, in % above expected. */
  readonly peakPct: number;
  readonly startedMinAgo: number;
  readonly endedMinAgo?: number;
  readonly drivers: SpikeView['drivers'];
  readonly drivenBy?: SpikeView['drivenBy'];
  readonly linkedTo?: SpikeView['linkedTo'];
  readonly endReason?: SpikeView['endReason'];
}

const STORIES: readonly Story[] = [
  { dimension: 'sku', key: 'SKU-10482', title: 'Linen midi dress', category: 'dresses', expected: 420, peakPct: 312, startedMinAgo: 38, drivers: { search: 0.34, view: 0.51, sale: 0.15 }, drivenBy: ['search', 'view'] },
  { dimension: 'query', key: 'linen dress', expected: 260, peakPct: 268, startedMinAgo: 41, drivers: { search: 1, view: 0, sale: 0 }, drivenBy: ['search'], linkedTo: ['sku:SKU-10482', 'category:dresses'] },
  { dimension: 'attribute', key: 'color=sage', expected: 900, peakPct: 154, startedMinAgo: 72, drivers: { search: 0.22, view: 0.61, sale: 0.17 }, drivenBy: ['view'] },
  { dimension: 'sku', key: 'SKU-33107', title: 'Wide-leg linen trousers', category: 'trousers', expected: 310, peakPct: 141, startedMinAgo: 22, drivers: { search: 0.18, view: 0.6, sale: 0.22 }, drivenBy: ['view', 'sale'] },
  { dimension: 'category', key: 'sandals', expected: 1500, peakPct: 96, startedMinAgo: 64, drivers: { search: 0.3, view: 0.52, sale: 0.18 } },
  { dimension: 'query', key: 'white sneakers', expected: 540, peakPct: 88, startedMinAgo: 55, drivers: { search: 1, view: 0, sale: 0 }, linkedTo: ['category:sneakers'] },
  { dimension: 'sku', key: 'SKU-27815', title: 'Oversized denim jacket', category: 'jackets', expected: 280, peakPct: 74, startedMinAgo: 12, drivers: { search: 0.12, view: 0.71, sale: 0.17 }, drivenBy: ['search'] },
  { dimension: 'term', key: 'crochet', expected: 720, peakPct: 63, startedMinAgo: 80, drivers: { search: 1, view: 0, sale: 0 }, linkedTo: ['attribute:pattern=crochet'] },
  { dimension: 'sku', key: 'SKU-41290', title: 'Straw bucket hat', category: 'accessories', expected: 190, peakPct: 58, startedMinAgo: 61, endedMinAgo: 14, drivers: { search: 0.2, view: 0.55, sale: 0.25 }, endReason: 'faded' },
  { dimension: 'query', key: 'festival outfit', expected: 330, peakPct: 45, startedMinAgo: 50, endedMinAgo: 9, drivers: { search: 1, view: 0, sale: 0 }, endReason: 'new-normal' },
];

/** The alerts planners would have on that afternoon, one silenced for a line changeover at its factory. */
function storyAlerts(now: number): AlertView[] {
  const since = (minutes: number) => now - minutes * 60_000;
  return [
    alertView({ key: 'SKU-10482', title: 'Linen midi dress', category: 'dresses', pctAbove: 312, startsAt: since(36) }),
    alertView({
      key: 'SKU-33107',
      title: 'Wide-leg linen trousers',
      category: 'trousers',
      pctAbove: 141,
      startsAt: since(20),
      week: { extra: 740, low: 460, high: 1100 },
      labels: { alertname: 'item-surge', dimension: 'sku', key: 'SKU-33107', category: 'trousers', factory: 'braga' },
      silencedBy: ['changeover'],
    }),
    alertView({
      key: 'SKU-27815',
      title: 'Oversized denim jacket',
      category: 'jackets',
      pctAbove: 74,
      startsAt: since(10),
      week: { extra: 310, low: 150, high: 520 },
    }),
  ];
}

/** Minutes a spike counts as `rising` before it settles into `ongoing`. */
const RISING_MIN = 45;

/**
 * A believable afternoon: the snapshot a wall would have got `steps` minutes
 * ago, then one ranking per 1-minute window since, which is how the wall
 * builds its sparklines. Spikes join the ranking when they start.
 */
export function apparelStory(steps = 90): { snapshot: SnapshotMessage; rankings: RankingMessage[]; counters: Counters } {
  const now = Date.now();
  const slideMs = 60_000;
  const at = (step: number) => now - (steps - 1 - step) * slideMs;
  const rankings: RankingMessage[] = [];
  for (let step = 0; step < steps; step++) {
    const t = at(step);
    const entries = STORIES.flatMap((story, index) =>
      t >= now - story.startedMinAgo * 60_000 ? [storySpike(story, index, t, now)] : [],
    ).sort((a, b) => b.trendScore - a.trendScore);
    rankings.push({ type: 'ranking', windowEnd: t, entries, falling: [] });
  }
  const [first, ...rest] = rankings;
  const counters: Counters = {
    eventsPerSec: 1840,
    salesLastMinute: 312,
    revenueLastMinute: 18_450,
    salesToday: 48_210,
    revenueToday: 2_840_000,
  };
  return {
    snapshot: {
      type: 'snapshot',
      serverTime: now,
      window: { sizeMs: 300_000, slideMs },
      spikes: first?.entries ?? [],
      falling: [],
      counters,
      alerts: storyAlerts(now),
    },
    rankings: rest,
    counters,
  };
}

function storySpike(story: Story, index: number, t: number, now: number): SpikeView {
  const startedAt = now - story.startedMinAgo * 60_000;
  const endedAt = story.endedMinAgo === undefined ? undefined : now - story.endedMinAgo * 60_000;
  const minutes = Math.max(0, (t - startedAt) / 60_000);
  // Seasonal wobble in the baseline, and a surge that builds then decays once over.
  const expected = Math.round(story.expected * (1 + 0.06 * Math.sin(t / 1_500_000 + index)));
  // A detector opens a spike once it is already clearly above the baseline.
  let surge = 0.35 + 0.65 * (1 - Math.exp(-minutes / 9));
  if (endedAt !== undefined && t > endedAt) surge *= Math.exp(-(t - endedAt) / 240_000);
  const noise = 1 + 0.07 * Math.sin(t / 97_000 + index * 3.1) + 0.04 * Math.sin(t / 41_000 + index);
  const volume = Math.round(expected * (1 + (story.peakPct / 100) * surge) * noise);
  const pctAbove = Math.round(((volume - expected) / expected) * 100);
  const ended = endedAt !== undefined && t >= endedAt;
  const status: SpikeStatus = ended ? 'ended' : minutes < RISING_MIN ? 'rising' : 'ongoing';
  return {
    spikeId: `${story.dimension}:${story.key}:${startedAt}`,
    dimension: story.dimension,
    key: story.key,
    direction: 'rising',
    status,
    score: 3 + (story.peakPct / 40) * surge,
    volume,
    expected,
    pctAbove,
    startedAt,
    updatedAt: t,
    ...(ended ? { endedAt } : {}),
    peakScore: 3 + story.peakPct / 40,
    peakVolume: Math.round(story.expected * (1 + story.peakPct / 100)),
    trendScore: ended ? 0 : trendScore(Math.max(pctAbove, 0), volume),
    drivers: story.drivers,
    ...(story.drivenBy === undefined ? {} : { drivenBy: story.drivenBy }),
    ...(story.linkedTo === undefined ? {} : { linkedTo: story.linkedTo }),
    ...(ended && story.endReason !== undefined ? { endReason: story.endReason } : {}),
    ...(story.title === undefined ? {} : { title: story.title }),
    ...(story.category === undefined ? {} : { category: story.category }),
  };
}
