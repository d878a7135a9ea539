import { describe, expect, it } from 'vitest';
import { parseEvent, type RejectReason } from '../../src/ingest/schemas.js';
import { HOSTILE_FAMILIES, hostileMessages } from '../helpers/hostile.js';

/** The reason each hostile family must get: precise, not a catch-all. */
const EXPECTED: Record<string, RejectReason[]> = {
  random_bytes: ['not_json', 'not_an_object'],
  truncated_json: ['not_json'],
  not_an_object: ['not_an_object'],
  missing_field: ['invalid_field'],
  wrong_type: ['invalid_field'],
  number_as_string: ['invalid_field'],
  bad_number_token: ['not_json', 'invalid_field'],
  huge_string: ['invalid_field'],
  control_chars: ['invalid_field'],
  deep_nesting: ['too_deep'],
  far_future: ['ts_in_future'],
  before_2000: ['ts_too_old', 'invalid_field'],
  bad_date: ['invalid_field'],
  proto_pollution: ['forbidden_key'],
  oversize: ['oversize'],
  negative_qty: ['invalid_field'],
  unknown_subject: ['unknown_subject'],
};

describe('hostile input (property test over 100k generated messages)', () => {
  it('rejects every one with the reason of its kind, never throws, never pollutes', () => {
    const seen = new Map<string, number>();
    const now = Date.now();
    for (const message of hostileMessages(100_000, 42)) {
      const result = parseEvent(message.subject, message.data, now);
      expect(result.ok, message.family).toBe(false);
      if (result.ok) continue;
      if (!EXPECTED[message.family]!.includes(result.reason)) {
        throw new Error(`${message.family} got ${result.reason}: ${result.detail}`);
      }
      expect(result.detail.length).toBeGreaterThan(0);
      seen.set(message.family, (seen.get(message.family) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([...HOSTILE_FAMILIES].sort());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
