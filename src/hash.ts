/** Non-cryptographic hashing: seeds for the simulator, lease order, key partitions, shopper buckets. */

/**
 * Hashes any mix of numbers and strings to an unsigned 32-bit seed
 * (MurmurHash3 mixing over the parts' text). Used to derive independent
 * generator streams, e.g. one per simulated second: `hashSeed(seed, second)`.
 */
export function hashSeed(...parts: readonly (number | string)[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) h = mixWord(h, text.charCodeAt(i));
    h = mixWord(h, 0xffff); // part separator: ('ab', 'c') and ('a', 'bc') differ
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32 bits, unsigned) of the parts' UTF-16 code units, a separator
 * folded in between parts: fast and stable across processes, for bucketing
 * (which key partition, which shopper bucket), not for security.
 */
export function fnv1a(...parts: readonly string[]): number {
  let hash = FNV_OFFSET;
  parts.forEach((part, p) => {
    if (p > 0) hash = Math.imul(hash ^ 1, FNV_PRIME);
    for (let i = 0; i < part.length; i++) hash = Math.imul(hash ^ part.charCodeAt(i), FNV_PRIME);
  });
  return hash >>> 0;
}
