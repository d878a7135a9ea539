/** The wall's fold of feed messages (web/src/state.ts): what it shows, and what each message changes. */
import { describe, expect, it } from 'vitest';
import { HISTORY_POINTS, RESOLVED_ALERT_MS, WallState } from '../../web/src/state.js';
import { alertView, COUNTERS, snapshot, spike } from '../helpers/spikes.js';

const T = 1_750_000_000_000;

describe('WallState', () => {
  it('takes the snapshot whole: both boards, counters, alerts, window; spikes present at start have no arrival', () => {
    const state = new WallState();
    const a = spike({ dimension: 'sku', key: 'A', trendScore: 5 });
    const fall = spike({ dimension: 'sku', key: 'F', direction: 'falling', status: 'falling', trendScore: 3 });
    const changes = state.apply(snapshot([a], COUNTERS, [alertView({ key: 'A' })], [fall]), T);
    expect(changes).toEqual({ board: true, counters: true, header: true, alerts: true });
    expect(state.synced).toBe(true);
    expect(state.spikes.map((s) => s.key)).toEqual(['A', 'F']);
    expect(state.counters).toEqual(COUNTERS);
    expect(state.alerts.map((x) => x.key)).toEqual(['A']);
    expect(state.arrivedAt(a.spikeId)).toBeUndefined();
  });

  it('replaces the list on each ranking and forgets what dropped out', () => {
    const state = new WallState();
    const a = spike({ dimension: 'sku', key: 'A', trendScore: 5 });
    const b = spike({ dimension: 'sku', key: 'B', trendScore: 4 });
    state.apply(snapshot([a, b]), T);
    expect(state.apply({ type: 'ranking', windowEnd: T, entries: [b], falling: [] }, T + 1)).toMatchObject({ board: true, counters: false });
    expect(state.spikes.map((s) => s.key)).toEqual(['B']);
    expect(state.history.has(a.spikeId)).toBe(false);
    expect(state.history.has(b.spikeId)).toBe(true);
  });

  it('patches a spike in place, slots a new one in by trend score, and dates its arrival', () => {
    const state = new WallState();
    state.apply(snapshot([spike({ dimension: 'sku', key: 'A', trendScore: 9 }), spike({ dimension: 'sku', key: 'C', trendScore: 1 })]), T);
    const b = spike({ dimension: 'sku', key: 'B', trendScore: 5 });
    state.apply({ type: 'spike', ...b }, T + 5);
    expect(state.spikes.map((s) => s.key)).toEqual(['A', 'B', 'C']);
    expect(state.arrivedAt(b.spikeId)).toBe(T + 5);
    state.apply({ type: 'spike', ...b, status: 'ongoing', volume: 999 }, T + 6);
    expect(state.spikes.find((s) => s.key === 'B')).toMatchObject({ status: 'ongoing', volume: 999 });
    expect(state.spikes).toHaveLength(3);
  });

  it('builds each sparkline from the windows it sees, once per window end, late updates ignored, bounded', () => {
    const state = new WallState();
    const base = spike({ dimension: 'sku', key: 'A' });
    state.apply(snapshot([]), T);
    for (let i = 0; i < HISTORY_POINTS + 10; i++) state.apply({ type: 'spike', ...base, updatedAt: T + i * 30_000, volume: i }, T);
    const history = state.history.get(base.spikeId)!;
    expect(history.t).toHaveLength(HISTORY_POINTS);
    expect(history.volume.at(-1)).toBe(HISTORY_POINTS + 9);
    const version = history.version;
    state.apply({ type: 'spike', ...base, updatedAt: T, volume: -1 }, T); // late: superseded
    expect(history.version).toBe(version);
  });

  it('keeps a resolved alert up for a while, in its place, then drops it', () => {
    const state = new WallState();
    const big = alertView({ key: 'BIG', week: { extra: 9000, low: 6000, high: 12_000 } });
    const small = alertView({ key: 'SMALL' });
    state.apply(snapshot([], COUNTERS, [big, small]), T);
    const order = state.alerts.map((a) => a.key);
    expect(state.apply({ type: 'alert', ...big, status: 'resolved' }, T + 1)).toMatchObject({ alerts: true, board: false });
    expect(state.alerts.map((a) => a.key)).toEqual(order);
    expect(state.pruneAlerts(T + RESOLVED_ALERT_MS - 1)).toBe(false);
    expect(state.pruneAlerts(T + RESOLVED_ALERT_MS + 1)).toBe(true);
    expect(state.alerts.map((a) => a.key)).toEqual(['SMALL']);
    // The resolution of an alert not shown changes nothing.
    expect(state.apply({ type: 'alert', ...alertView({ key: 'GONE' }), status: 'resolved' }, T + 2)).toMatchObject({ alerts: false });
  });

  it('takes counters alone, and a heartbeat changes nothing', () => {
    const state = new WallState();
    const counters = { ...COUNTERS, eventsPerSec: 123 };
    expect(state.apply({ type: 'counters', serverTime: T, ...counters }, T)).toEqual({ board: false, counters: true, header: false, alerts: false });
    expect(state.counters).toEqual(counters);
    expect(state.apply({ type: 'heartbeat', serverTime: T }, T)).toEqual({ board: false, counters: false, header: false, alerts: false });
  });
});
