import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/ingest/schemas.js';

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
    // The same words as values are fine; so are escapes in values.
    expect(raw(`{"id":"x","ts":${NOW},"sku":"constructor \\u00e9"}`)).toMatchObject({ ok: true, event: { sku: 'constructor é' } });
  });

  it('rejects invalid UTF-8 as not JSON', () => {
    expect(parseEvent('events.view', new Uint8Array([0x7b, 0xff, 0x7d]), NOW)).toMatchObject({ ok: false, reason: 'not_json' });
  });
});
