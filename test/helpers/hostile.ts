/**
 * Generated hostile messages: every kind of bad input a producer (or an
 * attacker) can publish. Each is invalid by the contract.
 */
import { Rng } from '../../src/sim/random.js';

export interface HostileMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly family: string;
}

const encoder = new TextEncoder();
const NOW = Date.now();

type Maker = (r: Rng) => { subject?: string; body: string | Uint8Array };

const valid = (r: Rng): Record<string, unknown> => ({ id: `h-${r.int(0, 1e9)}`, ts: NOW, sku: 'SKU-1', qty: 1 });

const MAKERS: Record<string, Maker> = {
  random_bytes: (r) => ({ body: Uint8Array.from({ length: r.int(1, 200) }, () => r.int(0, 255)) }),
  truncated_json: (r) => ({ body: JSON.stringify(valid(r)).slice(0, r.int(1, 20)) }),
  not_an_object: (r) => ({ body: r.pick(['null', '42', '"x"', '[]', '[{"id":"a"}]', 'true']) }),
  missing_field: (r) => {
    const v = valid(r);
    delete v[r.pick(['id', 'ts', 'sku', 'qty'])];
    return { body: JSON.stringify(v) };
  },
  wrong_type: (r) => ({ body: JSON.stringify({ ...valid(r), [r.pick(['id', 'sku', 'qty', 'ts'])]: r.pick([true, null, {}, [], { $gt: 1 }]) }) }),
  number_as_string: (r) => ({ body: JSON.stringify({ ...valid(r), qty: String(r.int(1, 9)) }) }),
  bad_number_token: (r) => ({ body: `{"id":"x${r.int(0, 1e6)}","ts":${NOW},"sku":"A","qty":${r.pick(['NaN', 'Infinity', '-Infinity', '1e999'])}}` }),
  huge_string: (r) => ({ body: JSON.stringify({ ...valid(r), sku: 'S'.repeat(r.int(129, 5000)) }) }),
  control_chars: (r) => ({ body: JSON.stringify({ ...valid(r), id: `a${String.fromCharCode(r.int(0, 31))}b` }) }),
  deep_nesting: (r) => {
    const depth = r.int(5_000, 20_000);
    return { body: `{"id":"d","ts":${NOW},"sku":"A","qty":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}` };
  },
  far_future: (r) => ({ body: JSON.stringify({ ...valid(r), ts: NOW + r.int(2, 1000) * 86_400_000 }) }),
  before_2000: (r) => ({ body: JSON.stringify({ ...valid(r), ts: r.pick([0, -1, 946_684_799_999, '1999-12-31T23:59:59Z']) }) }),
  bad_date: (r) => ({ body: JSON.stringify({ ...valid(r), ts: r.pick(['yesterday', '2026-13-45T99:99:99Z', '2026-11-24 10:00:00', '']) }) }),
  proto_pollution: (r) => ({ body: `{"id":"p${r.int(0, 1e6)}","ts":${NOW},"sku":"A","qty":1,"${r.pick(['__proto__', 'constructor', 'prototype'])}":{"polluted":true}}` }),
  oversize: (r) => ({ body: JSON.stringify({ ...valid(r), pad: 'x'.repeat(r.int(66_000, 90_000)) }) }),
  negative_qty: (r) => ({ body: JSON.stringify({ ...valid(r), qty: r.pick([0, -1, 1.5, 2_000_000]) }) }),
  unknown_subject: (r) => ({ subject: r.pick(['events.click', 'events', 'events.Sale']), body: JSON.stringify(valid(r)) }),
};

export const HOSTILE_FAMILIES = Object.keys(MAKERS);

/** `n` hostile messages, round-robin over the families, deterministic per seed. */
export function hostileMessages(n: number, seed = 1): HostileMessage[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const family = HOSTILE_FAMILIES[i % HOSTILE_FAMILIES.length]!;
    const { subject, body } = MAKERS[family]!(r);
    return { family, subject: subject ?? 'events.sale', data: typeof body === 'string' ? encoder.encode(body) : body };
  });
}
