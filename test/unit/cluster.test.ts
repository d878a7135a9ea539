import { describe, expect, it } from 'vitest';
import { BatchDecodeError, batchSchema, decodeBatch, encodeBatch } from '../../src/cluster/batch.js';
import { Board } from '../../src/pipeline/board.js';
import { RangeBuilder, SeqCoverage } from '../../src/cluster/coverage.js';
import { ObservationExchange } from '../../src/cluster/exchange.js';
import { partitionOf, preferredOrder } from '../../src/cluster/partition.js';
import type { Spike } from '../../src/domain.js';
import type { Observation } from '../../src/windows/keys.js';

const obs = (key: string, dimension: Observation['dimension'] = 'sku'): Observation => ({
  dimension,
  key,
  signal: 'view',
  ts: 1_000,
  units: 0,
  revenue: 0,
  actorBit: 3,
});

describe('partitionOf', () => {
  it('is deterministic, in range, and spreads keys evenly', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) {
      const p = partitionOf('sku', `SKU-${i}`, 8);
      expect(p).toBe(partitionOf('sku', `SKU-${i}`, 8));
      counts[p]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(partitionOf('sku', 'x', 1)).toBe(0);
  });

  it('keeps dimensions apart: the same key text may land elsewhere in another dimension', () => {
    const differs = Array.from({ length: 50 }, (_, i) => partitionOf('query', `k${i}`, 16) !== partitionOf('term', `k${i}`, 16));
    expect(differs.some(Boolean)).toBe(true);
  });
});

describe('preferredOrder', () => {
  it('is a permutation, and instances prefer different partitions', () => {
    const a = preferredOrder('host-a-1', 12);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const firsts = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => preferredOrder(`host-${id}`, 12)[0]));
    expect(firsts.size).toBeGreaterThan(2);
  });
});

describe('SeqCoverage', () => {
  it('merges touching and overlapping ranges, in any order', () => {
    const c = new SeqCoverage();
    c.add(10, 20);
    c.add(30, 40);
    c.add(21, 25); // touches 10-20
    c.add(1, 3);
    expect(c.size).toBe(3);
    c.add(24, 31); // bridges 10-25 and 30-40
    expect(c.size).toBe(2);
    for (const s of [1, 2, 3, 10, 25, 31, 40]) expect(c.has(s)).toBe(true);
    for (const s of [0, 4, 9, 41]) expect(c.has(s)).toBe(false);
  });

  it('forgets the oldest ranges past its bound', () => {
    const c = new SeqCoverage(3);
    for (let i = 0; i < 5; i++) c.add(i * 10, i * 10 + 1);
    expect(c.size).toBe(3);
    expect(c.has(0)).toBe(false);
    expect(c.has(40)).toBe(true);
  });

  it('agrees with a plain set on random ranges', () => {
    const c = new SeqCoverage();
    const truth = new Set<number>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 300; i++) {
      const start = rand(2_000);
      const end = start + rand(15);
      c.add(start, end);
      for (let s = start; s <= end; s++) truth.add(s);
    }
    for (let s = 0; s < 2_100; s++) expect(c.has(s)).toBe(truth.has(s));
  });
});

describe('RangeBuilder', () => {
  it('folds runs of sequences into ranges', () => {
    const b = new RangeBuilder();
    for (const s of [5, 6, 7, 9, 10, 20]) b.add(s);
    expect(b.ranges).toEqual([5, 7, 9, 10, 20, 20]);
  });
});

describe('observation batches', () => {
  it('round-trip', () => {
    const text = encodeBatch('i1', [1, 2], [{ seq: 1, observation: obs('SKU-1') }, { seq: 2, observation: obs('red dress', 'query') }]);
    const batch = decodeBatch(text);
    expect(batch.from).toBe('i1');
    expect(batch.cover).toEqual([1, 2]);
    expect(batch.observations.map((o) => o.observation)).toEqual([obs('SKU-1'), obs('red dress', 'query')]);
  });

  it.each([
    ['not json', 'not JSON'],
    [JSON.stringify({ v: 2, from: 'x', cover: [], obs: [] }), 'v'],
    [JSON.stringify({ v: 1, from: 'x', cover: [1], obs: [] }), 'cover'],
    [JSON.stringify({ v: 1, from: 'x', cover: [], obs: [[1, 'colour', 'k', 'view', 1, 0, 0, 1]] }), 'obs.0.1'],
  ])('rejects %s with a reason naming the field', (text, where) => {
    expect(() => decodeBatch(text)).toThrow(BatchDecodeError);
    expect(() => decodeBatch(text)).toThrow(where);
  });
});

describe('observation batch checks', () => {
  it('accept exactly what the schema accepts', () => {
    const valid: unknown[] = [7, 'sku', 'SKU-1', 'view', 1_000, 0, 0, 3];
    const bad: unknown[] = [0, -1, 1.5, 'x', null, 'colour', 'buy', Infinity, 32, -2, undefined];
    let seed = 3;
    const pick = <T,>(list: readonly T[]) => list[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % list.length]!;
    for (let i = 0; i < 2_000; i++) {
      const tuple: unknown[] = [...valid];
      tuple[pick([0, 1, 2, 3, 4, 5, 6, 7])] = pick(bad);
      const text = JSON.stringify({ v: 1, from: 'i', cover: [1, 2], obs: [valid, tuple] });
      let accepted = true;
      try {
        decodeBatch(text);
      } catch (err) {
        expect(err).toBeInstanceOf(BatchDecodeError);
        accepted = false;
      }
      const reparsed = JSON.parse(text) as { obs: unknown[] };
      const expectedOk = batchSchema.safeParse(reparsed).success;
      expect({ tuple: reparsed.obs[1], accepted }).toEqual({ tuple: reparsed.obs[1], accepted: expectedOk });
    }
  });
});

describe('ObservationExchange', () => {
  it('sends each partition one batch per flush and resolves once all are stored', async () => {
    const sent: { partition: number; text: string }[] = [];
    const exchange = new ObservationExchange({
      instance: 'i1',
      partitions: 4,
      flushMs: 5,
      maxBatch: 1_000,
      publish: async (partition, text) => void sent.push({ partition, text }),
    });
    const keys = Array.from({ length: 40 }, (_, i) => `SKU-${i}`);
    const done = keys.map((key, i) => exchange.add(i + 1, [obs(key)]));
    await Promise.all(done);
    const partitions = new Set(sent.map((s) => s.partition));
    expect(sent.length).toBe(partitions.size);
    const back = sent.flatMap((s) => decodeBatch(s.text).observations.map((o) => o.observation.key));
    expect(back.sort()).toEqual([...keys].sort());
    for (const s of sent) {
      expect(decodeBatch(s.text).cover).toEqual([1, 40]);
      for (const o of decodeBatch(s.text).observations) expect(partitionOf('sku', o.observation.key, 4)).toBe(s.partition);
    }
  });

  it('rejects the events of a batch JetStream did not store', async () => {
    const exchange = new ObservationExchange({
      instance: 'i1',
      partitions: 2,
      flushMs: 5,
      maxBatch: 1_000,
      publish: async (partition) => {
        if (partition === 1) throw new Error('no responders');
      },
    });
    const keys = Array.from({ length: 20 }, (_, i) => `SKU-${i}`);
    const results = await Promise.allSettled(keys.map((key, i) => exchange.add(i + 1, [obs(key)])));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });

  it('sends a partition batch at once when it is full', async () => {
    let sends = 0;
    const exchange = new ObservationExchange({ instance: 'i', partitions: 1, flushMs: 60_000, maxBatch: 3, publish: async () => void sends++ });
    const done = [1, 2, 3].map((seq) => exchange.add(seq, [obs(`k${seq}`)]));
    await Promise.all(done);
    expect(sends).toBe(1);
  });
});

describe('Board', () => {
  const spike = (key: string, trendScore: number, status: Spike['status'] = 'rising', direction: Spike['direction'] = 'rising') =>
    ({ spikeId: key, dimension: 'sku', key, direction, status, trendScore }) as Spike;

  it('merges partition rankings: live by trend score, then ended; a partition report replaces its last', () => {
    const board = new Board(3);
    board.receive({ partition: 0, detection: { windowEnd: 1, updates: [], ranking: [spike('a', 5), spike('b', 1, 'ended')] } });
    board.receive({ partition: 1, detection: { windowEnd: 1, updates: [], ranking: [spike('c', 9), spike('d', 2)] } });
    expect(board.ranking().map((s) => s.key)).toEqual(['c', 'a', 'd']);
    board.receive({ partition: 1, detection: { windowEnd: 2, updates: [], ranking: [] } });
    expect(board.ranking().map((s) => s.key)).toEqual(['a', 'b']);
  });

  it('keeps falls on their own board', () => {
    const board = new Board(3);
    board.receive({ partition: 0, detection: { windowEnd: 1, updates: [], ranking: [spike('a', 5), spike('f', 7, 'falling', 'falling')] } });
    expect(board.ranking().map((s) => s.key)).toEqual(['a']);
    expect(board.ranking('falling').map((s) => s.key)).toEqual(['f']);
  });
});
