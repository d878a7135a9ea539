/**
 * Which key partition a (dimension, key) belongs to: FNV-1a of both, so every
 * instance computes the same owner for a key without asking anyone.
 */
import type { Dimension } from '../domain.js';
import { fnv1a, hashSeed } from '../hash.js';

export function partitionOf(dimension: Dimension, key: string, partitions: number): number {
  return fnv1a(dimension, key) % partitions;
}

/**
 * Rendezvous (highest random weight) order of the partitions for one
 * instance: instances prefer different partitions, so they rarely race for
 * the same lease, and a partition tends to go back to the same instance.
 */
export function preferredOrder(instance: string, partitions: number): number[] {
  const weights = Array.from({ length: partitions }, (_, p) => hashSeed(instance, p));
  return Array.from({ length: partitions }, (_, p) => p).sort((a, b) => weights[b]! - weights[a]!);
}
