/**
 * Who owns which key partition, through leases in a NATS KV bucket
 * (docs/scaling.md). Each instance heartbeats `member.<id>`, refreshes
 * its partition leases with a revision check, and keeps its share: `partitions / members`, the
 * remainder going to the first instances by id, so that the shares add up
 * to every partition. It gives up extra ones so newcomers get theirs, and
 * takes free ones. Entries expire after the bucket's TTL, so the partitions
 * of an instance that died fall free within one TTL; one that stops
 * cleanly deletes its leases at once.
 */
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { ALERTS_LEASE_KEY, LEASE_BUCKET, memberKey, partitionKey } from '../../streams/cluster.js';
import { preferredOrder } from './partition.js';

export interface LeaseHandlers {
  /** This instance now owns `partition`: start counting it. */
  acquired(partition: number): Promise<void> | void;
  /** This instance no longer owns `partition`: stop counting it (before the lease is handed back). */
  released(partition: number): Promise<void> | void;
  /** This instance became (true) or stopped being (false) the one that runs the alerts. */
  alertsLeader(leading: boolean): void;
}

export interface LeaseOptions {
  readonly nc: NatsConnection;
  readonly instance: string;
  readonly partitions: number;
  /** How long a lease outlives its last refresh. */
  readonly ttlMs: number;
  readonly handlers: LeaseHandlers;
  readonly log: Logger;
}

interface Held {
  revision: number;
  refreshedAt: number;
}

export class PartitionLeases {
  private readonly held = new Map<string, Held>();
  private timer?: NodeJS.Timeout;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private members = 1;

  private constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {}

  static async start(options: LeaseOptions): Promise<PartitionLeases> {
    const kv = await new Kvm(options.nc).create(LEASE_BUCKET, { ttl: options.ttlMs, history: 1 });
    const leases = new PartitionLeases(kv, options);
    await leases.tick();
    leases.timer = setInterval(() => leases.schedule(), Math.max(100, Math.floor(options.ttlMs / 3)));
    return leases;
  }

  /** Partitions this instance owns now. */
  owned(): number[] {
    return [...this.held.keys()].filter((k) => k.startsWith('partition.')).map((k) => Number(k.slice('partition.'.length)));
  }

  /** Live instances seen at the last heartbeat, this one included. */
  get memberCount(): number {
    return this.members;
  }

  /** Releases everything this instance holds, so others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const partition of this.owned()) await this.release(partitionKey(partition), partition);
    if (this.held.has(ALERTS_LEASE_KEY)) await this.release(ALERTS_LEASE_KEY);
    await this.kv.delete(memberKey(this.options.instance)).catch(() => undefined);
  }

  private schedule(): void {
    this.ticking = this.ticking.then(() => this.tick()).catch((err: Error) => this.options.log.warn({ err: err.message }, 'lease round failed; retrying'));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { instance, partitions } = this.options;
    let members: string[];
    try {
      await this.kv.put(memberKey(instance), instance);
      members = await this.listMembers();
    } finally {
      // Even cut off from NATS: a lease unrefreshed for a TTL is given up here, as the others take it.
      await this.refreshAll();
    }

    this.members = members.length;
    // Shares every instance computes alike from the same member list, adding up to exactly `partitions`.
    const rank = Math.max(0, members.indexOf(instance));
    const fair = Math.floor(partitions / members.length) + (rank < partitions % members.length ? 1 : 0);
    const owned = this.owned();
    // Hand back the ones least preferred first, so each partition settles on the instance that ranks it highest.
    const order = preferredOrder(instance, partitions);
    for (const partition of [...owned].sort((a, b) => order.indexOf(b) - order.indexOf(a)).slice(0, Math.max(0, owned.length - fair))) {
      await this.release(partitionKey(partition), partition);
    }
    for (const partition of order) {
      if (this.stopped || this.owned().length >= fair) break;
      if (this.held.has(partitionKey(partition))) continue;
      if (!(await this.tryAcquire(partitionKey(partition)))) continue;
      try {
        await this.options.handlers.acquired(partition);
      } catch (err) {
        this.options.log.error({ partition, err: (err as Error).message }, 'could not start counting an acquired partition; handing it back');
        await this.release(partitionKey(partition), partition);
      }
    }
    if (!this.held.has(ALERTS_LEASE_KEY) && (await this.tryAcquire(ALERTS_LEASE_KEY))) this.options.handlers.alertsLeader(true);
  }

  /** Live instances, sorted; this one always among them. */
  private async listMembers(): Promise<string[]> {
    const members = new Set([this.options.instance]);
    for await (const key of await this.kv.keys('member.*')) members.add(key.slice('member.'.length));
    return [...members].sort();
  }

  /** Refreshes every held lease; one that changed hands, or went unrefreshed for a TTL, is lost. */
  private async refreshAll(): Promise<void> {
    for (const [key, lease] of this.held) {
      try {
        lease.revision = await this.kv.update(key, this.options.instance, lease.revision);
        lease.refreshedAt = Date.now();
      } catch (err) {
        const taken = /wrong last sequence/i.test((err as Error).message);
        if (!taken && Date.now() - lease.refreshedAt < this.options.ttlMs) continue; // NATS hiccup: still ours for now
        this.options.log.warn({ key, err: (err as Error).message }, 'lease lost');
        this.held.delete(key);
        await this.lost(key);
      }
    }
  }

  private async tryAcquire(key: string): Promise<boolean> {
    try {
      const revision = await this.kv.create(key, this.options.instance);
      this.held.set(key, { revision, refreshedAt: Date.now() });
      this.options.log.info({ key, instance: this.options.instance }, 'lease acquired');
      return true;
    } catch {
      return false; // someone else holds it
    }
  }

  private async release(key: string, partition?: number): Promise<void> {
    const lease = this.held.get(key);
    if (!lease) return;
    this.held.delete(key);
    await this.lost(key);
    await this.kv.delete(key, { previousSeq: lease.revision }).catch(() => undefined);
    this.options.log.info({ key, partition }, 'lease released');
  }

  private async lost(key: string): Promise<void> {
    if (key === ALERTS_LEASE_KEY) this.options.handlers.alertsLeader(false);
    else await this.options.handlers.released(Number(key.slice('partition.'.length)));
  }
}
