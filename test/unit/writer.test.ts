import { describe, expect, it } from 'vitest';
import { BatchWriter, type FindStored } from '../../src/store/writer.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BatchWriter', () => {
  it('seals batches at maxRows and acks rows only after their batch is stored', async () => {
    const inserted: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new BatchWriter({
      insert: async (_table, rows) => {
        await gate;
        inserted.push(rows.length);
      },
      maxRows: 3,
      maxWaitMs: 10_000,
      maxBufferedRows: 100,
    });
    const acked: number[] = [];
    for (let i = 0; i < 7; i++) writer.add('t', { i }, () => acked.push(i));
    await tick();
    expect(acked).toEqual([]);
    release();
    await tick();
    expect(inserted).toEqual([3, 3]);
    expect(acked).toEqual([0, 1, 2, 3, 4, 5]);
    await writer.flush();
    expect(inserted).toEqual([3, 3, 1]);
    expect(acked).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(writer.buffered).toBe(0);
  });

  it('joins the batches sealed while an insert runs into the next insert, up to maxRows, in order', async () => {
    const inserted: number[][] = [];
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    const writer = new BatchWriter({
      insert: async (_table, rows) => {
        await gate;
        inserted.push(rows.map((r) => (r as { i: number }).i));
      },
      maxRows: 4,
      maxWaitMs: 10_000,
      maxBufferedRows: 100,
    });
    const acked: number[] = [];
    const add = (i: number) => writer.add('t', { i }, () => acked.push(i));
    add(0);
    void writer.flush(); // the first insert starts with one row and waits at the gate
    for (let i = 1; i <= 3; i++) {
      add(i);
      void writer.flush(); // three more one-row batches sealed meanwhile
    }
    for (let i = 4; i <= 6; i++) add(i);
    void writer.flush(); // and one of three rows
    const first = release;
    gate = Promise.resolve();
    first();
    await writer.flush();
    expect(inserted).toEqual([[0], [1, 2, 3], [4, 5, 6]]);
    expect(acked).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(writer.buffered).toBe(0);
  });

  it('seals a partial batch after maxWaitMs', async () => {
    const inserted: object[][] = [];
    const writer = new BatchWriter({ insert: async (_t, rows) => void inserted.push([...rows]), maxRows: 100, maxWaitMs: 20, maxBufferedRows: 100 });
    writer.add('t', { a: 1 });
    await tick(60);
    expect(inserted).toEqual([[{ a: 1 }]]);
  });

  it('retries a failing store with back-off, keeps order, and applies backpressure meanwhile', async () => {
    let failures = 3;
    const inserted: number[] = [];
    const retries: number[] = [];
    const transitions: boolean[] = [];
    const writer = new BatchWriter({
      insert: async (_t, rows) => {
        if (failures-- > 0) throw new Error('store down');
        inserted.push(...rows.map((r) => (r as { i: number }).i));
      },
      maxRows: 2,
      maxWaitMs: 5,
      maxBufferedRows: 4,
      retry: { initialMs: 5, maxMs: 20, jitter: 'full' },
      onRetry: (_t, _e, attempt) => retries.push(attempt),
      onFailingChange: (failing) => transitions.push(failing),
    });
    for (let i = 0; i < 4; i++) writer.add('t', { i });
    let ready = false;
    void writer.whenReady().then(() => (ready = true));
    await tick(5);
    expect(writer.failing).toBe(true);
    expect(ready).toBe(false);
    await writer.flush();
    expect(ready).toBe(true);
    expect(writer.failing).toBe(false);
    expect(inserted).toEqual([0, 1, 2, 3]);
    expect(retries).toEqual([1, 2, 3]);
    expect(transitions).toEqual([true, false]);
  });

  it('looks up only rows that may be stored, leaves the stored ones out of the insert and acks them', async () => {
    const store = new Set(['a', 'b']); // stored by an earlier run
    const inserted: string[][] = [];
    const lookups: string[][] = [];
    const findStored: FindStored = async (_table, rows, suspects) => {
      const ids = suspects.map((i) => (rows[i] as { id: string }).id);
      lookups.push(ids);
      return new Set(suspects.filter((i) => store.has((rows[i] as { id: string }).id)));
    };
    const alreadyStored: number[] = [];
    const writer = new BatchWriter({
      insert: async (_table, rows) => {
        const ids = rows.map((r) => (r as { id: string }).id);
        ids.forEach((id) => store.add(id));
        inserted.push(ids);
      },
      findStored,
      onAlreadyStored: (_table, rows) => alreadyStored.push(rows),
      maxRows: 10,
      maxWaitMs: 10_000,
      maxBufferedRows: 100,
    });
    const acked: string[] = [];
    const add = (id: string, mayBeStored: boolean) => writer.add('t', { id }, () => acked.push(id), mayBeStored);
    add('x', false);
    add('y', false);
    await writer.flush();
    add('a', true);
    add('z', false);
    add('b', true);
    add('w', true);
    await writer.flush();
    // The first batch had no suspect: no lookup. The second looked up its three suspects only.
    expect(lookups).toEqual([['a', 'b', 'w']]);
    expect(inserted).toEqual([['x', 'y'], ['z', 'w']]);
    expect(acked).toEqual(['x', 'y', 'a', 'z', 'b', 'w']);
    expect(alreadyStored).toEqual([2]);
  });

  it('retries a failed batch with the same rows and token, and looks its suspects up only once', async () => {
    const attempts: { ids: string[]; token: string }[] = [];
    let lookups = 0;
    const writer = new BatchWriter({
      insert: async (_table, rows, token) => {
        attempts.push({ ids: rows.map((r) => (r as { id: string }).id), token });
        if (attempts.length === 1) throw new Error('socket hang up'); // stored or not: the token decides
      },
      findStored: async (_table, _rows, suspects) => {
        lookups++;
        return new Set(suspects.slice(0, 1));
      },
      maxRows: 10,
      maxWaitMs: 10_000,
      maxBufferedRows: 100,
      retry: { initialMs: 1, maxMs: 10_000, jitter: 'full' },
    });
    const acked: string[] = [];
    for (const id of ['p', 'q', 'r']) writer.add('t', { id }, () => acked.push(id), id !== 'r');
    await writer.flush();
    writer.add('t', { id: 's' }, () => acked.push('s'));
    await writer.flush();
    expect(lookups).toBe(1);
    expect(attempts.map((a) => a.ids)).toEqual([['q', 'r'], ['q', 'r'], ['s']]);
    expect(attempts[1]!.token).toBe(attempts[0]!.token);
    expect(attempts[2]!.token).not.toBe(attempts[0]!.token);
    expect(acked).toEqual(['p', 'q', 'r', 's']);
  });

  it('keeps tables apart and refuses rows after close', async () => {
    const byTable = new Map<string, number>();
    const writer = new BatchWriter({
      insert: async (table, rows) => void byTable.set(table, (byTable.get(table) ?? 0) + rows.length),
      maxRows: 10,
      maxWaitMs: 5,
      maxBufferedRows: 100,
    });
    writer.add('a', {});
    writer.add('b', {});
    writer.add('a', {});
    await writer.close();
    expect(Object.fromEntries(byTable)).toEqual({ a: 2, b: 1 });
    expect(() => writer.add('a', {})).toThrow(/closed/);
  });
});
