import { describe, expect, it } from 'vitest';
import type { EventKind } from '../../src/domain.js';
import { kindOfSubject, parseEvent, plainEvent, validateFields } from '../../src/ingest/schemas.js';

const NOW = Date.UTC(2026, 10, 24, 12);
const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const parse = (subject: string, value: unknown) => parseEvent(subject, bytes(value), NOW);

describe('parseEvent', () => {
  it('accepts each contract shape, with extra fields ignored and ISO or epoch ts', () => {
    expect(parse('events.search', { id: 'a', ts: NOW, query: '  Linen Dress ', extra: { x: 1 } })).toEqual({
      ok: true,
      event: { kind: 'search', id: 'a', ts: NOW, query: 'Linen Dress' },
    });
    expect(parse('events.view.eu', { id: 'b', ts: '2026-11-24T11:00:00+01:00', sku: 'S1', region: 'eu' })).toEqual({
      ok: true,
      event: { kind: 'view', id: 'b', ts: Date.UTC(2026, 10, 24, 10), sku: 'S1', region: 'eu' },
    });
    expect(parse('events.sale.p7', { id: 'c', ts: NOW, sku: 'S1', qty: 2, price: 9.5, currency: 'EUR' })).toMatchObject({
      ok: true,
      event: { kind: 'sale', qty: 2, price: 9.5 },
    });
  });

  it.each([
    ['not JSON', 'events.view', '{"id":', 'not_json', /not JSON/],
    ['an array', 'events.view', [1, 2], 'not_an_object', /got an array/],
    ['a string', 'events.view', '"hello"', 'not_an_object', /got string/],
    ['a missing field', 'events.view', { id: 'x', ts: NOW }, 'invalid_field', /view\.sku is required/],
    ['qty as a string', 'events.sale', { id: 'x', ts: NOW, sku: 'S', qty: '2' }, 'invalid_field', /sale\.qty/],
    ['qty 0', 'events.sale', { id: 'x', ts: NOW, sku: 'S', qty: 0 }, 'invalid_field', /sale\.qty/],
    ['qty 1.5', 'events.sale', { id: 'x', ts: NOW, sku: 'S', qty: 1.5 }, 'invalid_field', /sale\.qty/],
    ['negative price', 'events.sale', { id: 'x', ts: NOW, sku: 'S', qty: 1, price: -1 }, 'invalid_field', /sale\.price/],
    ['an empty query', 'events.search', { id: 'x', ts: NOW, query: '   ' }, 'invalid_field', /search\.query/],
    ['a long query', 'events.search', { id: 'x', ts: NOW, query: 'q'.repeat(257) }, 'invalid_field', /search\.query/],
    ['a long id', 'events.view', { id: 'i'.repeat(129), ts: NOW, sku: 'S' }, 'invalid_field', /view\.id/],
    ['control characters', 'events.view', { id: 'a\u0000b', ts: NOW, sku: 'S' }, 'invalid_field', /control characters/],
    ['a ts without zone', 'events.view', { id: 'x', ts: '2026-11-24 10:00:00', sku: 'S' }, 'invalid_field', /ISO-8601 with a zone/],
    ['a ts 2 days ahead', 'events.view', { id: 'x', ts: NOW + 2 * 86_400_000, sku: 'S' }, 'ts_in_future', /in the future/],
    ['a ts before 2000', 'events.view', { id: 'x', ts: 0, sku: 'S' }, 'ts_too_old', /before 2000/],
    ['an unknown kind', 'events.click', { id: 'x', ts: NOW, sku: 'S' }, 'unknown_subject', /events\.click/],
  ])('rejects %s with a precise reason', (_name, subject, value, reason, detail) => {
    const result = parse(subject, value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.detail).toMatch(detail);
  });

  it('rejects oversize messages before parsing them', () => {
    const result = parseEvent('events.view', new Uint8Array(65 * 1024), NOW);
    expect(result).toMatchObject({ ok: false, reason: 'oversize' });
  });

  it('rejects forbidden keys however they are spelled, flat or escaped, and deep nesting', () => {
    const raw = (text: string) => parseEvent('events.view', new TextEncoder().encode(text), NOW);
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","__proto__":1}`)).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","constructor":"c"}`)).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","\\u005f_proto__":1}`)).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","proto\\u0074ype":1}`)).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)).toMatchObject({ ok: false, reason: 'too_deep' });
    // 64 levels of extra fields are fine; brackets inside strings are text, not nesting.
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","a":${'['.repeat(63)}${']'.repeat(63)}}`)).toMatchObject({ ok: true });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","a":"${'['.repeat(500)}\\"{"}`)).toMatchObject({ ok: true });
    expect(raw(`{"id":"x","ts":${NOW},"sku":"S","a":${'['.repeat(64)}${']'.repeat(64)}}`)).toMatchObject({ ok: false, reason: 'too_deep' });
    // The same words as values are fine; so are escapes in values.
    expect(raw(`{"id":"x","ts":${NOW},"sku":"constructor \\u00e9"}`)).toMatchObject({ ok: true, event: { sku: 'constructor é' } });
  });

  it('rejects invalid UTF-8 as not JSON', () => {
    expect(parseEvent('events.view', new Uint8Array([0x7b, 0xff, 0x7d]), NOW)).toMatchObject({ ok: false, reason: 'not_json' });
  });

  it('checks plainly valid events without the schema, with exactly the schema\'s result, and leaves everything else to it', () => {
    // A seeded generator of field values, valid and not, for every field of every kind.
    let seed = 42;
    const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const values: readonly unknown[] = [
      undefined, null, true, 0, -0, 1, 2, 1.5, -1, 1e9, 1e9 + 1, 1_000_000, 1_000_001, Infinity, NOW, [], {}, ['a'],
      '', ' ', '  x  ', 'a', 'EUR', 'EURO1234', 'EURO12345', 'linen dress', 'é ü', 'a\u0000b', 'tab\there', 'x'.repeat(128), 'x'.repeat(129),
      ' '.repeat(3) + 'q'.repeat(256), 'q'.repeat(257), '2026-11-24T10:00:00Z', '2026-11-24T11:00:00+01:00', '2026-11-24 10:00:00', '2026-13-45T10:00:00Z', '1800000000000',
    ];
    const fields = ['id', 'ts', 'query', 'sku', 'qty', 'price', 'currency', 'region', 'user', 'session', 'extra'];
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      const kind = pick<EventKind>(['search', 'view', 'sale']);
      const object: Record<string, unknown> = {};
      // Mostly valid events, with one or two fields changed, so both paths are exercised.
      const base: Record<string, unknown> = { id: `e${i}`, ts: NOW, query: 'linen dress', sku: 'SKU-1', qty: 1, price: 9.5, currency: 'EUR', region: 'eu', user: 'u1', session: 's1' };
      for (const field of fields) if (random() < 0.8 && base[field] !== undefined) object[field] = base[field];
      for (let k = Math.floor(random() * 3); k > 0; k--) {
        const value = pick(values);
        if (value === undefined) delete object[pick(fields)];
        else object[pick(fields)] = value;
      }
      const fast = plainEvent(kind, object);
      if (fast === undefined) continue;
      plain++;
      const reference = validateFields(kind, object);
      expect(reference.ok, JSON.stringify({ kind, object })).toBe(true);
      if (!reference.ok) continue;
      expect(fast).toStrictEqual(reference.event);
      expect(Object.keys(fast)).toEqual(Object.keys(reference.event));
    }
    expect(plain).toBeGreaterThan(2_000);
    expect(plainEvent('search', { id: 'a', ts: NOW, query: ' Linen ', user: 'u', session: 's', region: 'eu' })).toBeDefined();
    expect(plainEvent('view', { id: 'a', ts: NOW, sku: 'S1', user: 'u', session: 's', region: 'eu' })).toBeDefined();
    expect(plainEvent('sale', { id: 'a', ts: NOW, sku: 'S1', qty: 2, price: 9.5, user: 'u', region: 'eu' })).toBeDefined();
  });

  it('reads the kind off the subject\'s second token', () => {
    const reference = (subject: string) => {
      const kind = subject.split('.', 2)[1];
      return kind === 'search' || kind === 'view' || kind === 'sale' ? kind : undefined;
    };
    const subjects = ['events.search', 'events.view.eu', 'events.sale.p7', 'events.sales', 'events.sal', 'events.', 'events', '', '.sale', 'x.view', 'events..view', 'events.view.', 'events.searchx.y', 'events.click'];
    for (const subject of subjects) expect(kindOfSubject(subject), subject).toBe(reference(subject));
  });
});
