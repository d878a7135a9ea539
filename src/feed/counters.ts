/**
 * The wall's big numbers, in processing time: events/s over the last few
 * seconds, sales and revenue in the last minute and since local midnight.
 * A ring of one-second buckets keeps memory fixed.
 */
import type { Counters } from '../domain.js';

interface Bucket {
  second: number;
  events: number;
  sales: number;
  revenue: number;
}

const RING_SECONDS = 60;
const RATE_SECONDS = 5;

export class LiveCounters {
  private readonly ring: Bucket[] = Array.from({ length: RING_SECONDS }, () => ({ second: -1, events: 0, sales: 0, revenue: 0 }));
  private day = '';
  private salesToday = 0;
  private revenueToday = 0;

  constructor(private readonly now: () => number = Date.now) {}

  record(kind: 'search' | 'view' | 'sale', units: number, revenue: number): void {
    const now = this.now();
    const bucket = this.bucket(Math.floor(now / 1000));
    bucket.events++;
    if (kind !== 'sale') return;
    bucket.sales += units;
    bucket.revenue += revenue;
    const day = new Date(now).toDateString();
    if (day !== this.day) {
      this.day = day;
      this.salesToday = 0;
      this.revenueToday = 0;
    }
    this.salesToday += units;
    this.revenueToday += revenue;
  }

  /** Seeds today's totals (from the store, after a restart). */
  restoreToday(units: number, revenue: number): void {
    this.day = new Date(this.now()).toDateString();
    this.salesToday = units;
    this.revenueToday = revenue;
  }

  read(): Counters {
    const second = Math.floor(this.now() / 1000);
    let recentEvents = 0;
    let sales = 0;
    let revenue = 0;
    for (const b of this.ring) {
      const age = second - b.second;
      if (age < 0 || age >= RING_SECONDS) continue;
      sales += b.sales;
      revenue += b.revenue;
      // Whole seconds only: the current one is still filling.
      if (age >= 1 && age <= RATE_SECONDS) recentEvents += b.events;
    }
    const today = new Date(this.now()).toDateString() === this.day;
    return {
      eventsPerSec: Math.round(recentEvents / RATE_SECONDS),
      salesLastMinute: sales,
      revenueLastMinute: Math.round(revenue * 100) / 100,
      salesToday: today ? this.salesToday : 0,
      revenueToday: today ? Math.round(this.revenueToday * 100) / 100 : 0,
    };
  }

  private bucket(second: number): Bucket {
    const bucket = this.ring[second % RING_SECONDS]!;
    if (bucket.second !== second) Object.assign(bucket, { second, events: 0, sales: 0, revenue: 0 });
    return bucket;
  }
}
