/**
 * Which key partition a (dimension, key) belongs to: FNV-1a of both, so every
 * instance computes the same owner for a key without asking anyone.
 */
import type { Dimension } from '../domain.js';

export function partitionOf(dimension: Dimension, key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < dimension.length; i++) hash = Math.imul(hash ^ dimension.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 1, 0x01000193);
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % partitions;
}

/**
 * Rendezvous (highest random weight) order of the partitions for one
 * instance: instances prefer different partitions, so they rarely race for
 * the same lease, and a partition tends to go back to the same instance.
 */
export function preferredOrder(instance: string, partitions: number): number[] {
  const weight = (partition: number) => {
    let hash = 0x811c9dc5;
    const text = `${instance}/${partition}`;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    // Final avalanche (murmur3 fmix32): FNV alone barely mixes the last characters.
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash >>> 0;
  };
  return Array.from({ length: partitions }, (_, p) => p).sort((a, b) => weight(b) - weight(a));
}
