/**
 * The wall's big numbers across instances: each publishes its own every
 * second; rates and last-minute sums add up over the instances heard from
 * lately. Today's totals cannot be summed (each instance seeded them from the
 * store), so they come from the store, via `today`.
 */
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Counters } from '../domain.js';
import { COUNTERS_SUBJECT } from '../../streams/cluster.js';

interface InstanceCounters {
  readonly instance: string;
  readonly counters: Counters;
}

export class ClusterCounters {
  private readonly latest = new Map<string, { counters: Counters; at: number }>();
  private readonly subscription: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly instance: string,
    private readonly local: () => Counters,
    private readonly today: () => { units: number; revenue: number },
  ) {
    this.subscription = nc.subscribe(COUNTERS_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const { instance, counters } = msg.json<InstanceCounters>();
          if (typeof instance === 'string' && typeof counters?.eventsPerSec === 'number') this.latest.set(instance, { counters, at: Date.now() });
        } catch {
          // not counters: ignore
        }
      },
    });
  }

  /** Publishes this instance's counters (call every second). */
  publish(): void {
    const message: InstanceCounters = { instance: this.instance, counters: this.local() };
    this.nc.publish(COUNTERS_SUBJECT, JSON.stringify(message));
  }

  read(): Counters {
    const fresh = Date.now() - 3_000;
    let eventsPerSec = 0;
    let salesLastMinute = 0;
    let revenueLastMinute = 0;
    const mine = this.local();
    const all = new Map(this.latest);
    all.set(this.instance, { counters: mine, at: Date.now() });
    for (const [instance, { counters, at }] of all) {
      if (at < fresh) {
        this.latest.delete(instance);
        continue;
      }
      eventsPerSec += counters.eventsPerSec;
      salesLastMinute += counters.salesLastMinute;
      revenueLastMinute += counters.revenueLastMinute;
    }
    const today = this.today();
    return {
      eventsPerSec,
      salesLastMinute,
      revenueLastMinute: Math.round(revenueLastMinute * 100) / 100,
      salesToday: today.units,
      revenueToday: Math.round(today.revenue * 100) / 100,
    };
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}
