/**
 * The load generator, in its own process: core-publishes the benchmark
 * workload to `events.*` (JetStream stores it) at a steady target rate,
 * stamped with the current time. Paced in 5 ms ticks: each tick publishes
 * what the target rate owes since the last rate change, then flushes, so
 * the client never buffers more than a tick's worth and a generator that
 * cannot keep up shows as a shortfall rather than a burst.
 *
 * IPC: `rate` {perSec} sets the target (0 pauses); `report` answers
 * `report` {published, seconds, perSec} since the previous report.
 */
import { connect } from '@nats-io/transport-node';
import { listen, tell } from './lib/child.js';
import { Workload } from './lib/workload.js';

const nc = await connect({ servers: process.env.NATS_URL!, name: 'bench-load' });
const workload = new Workload({ scale: Number(process.env.SCALE ?? 1), seed: 7, idPrefix: 'l' });

let rate = 0;
let since = performance.now();
let owedBase = 0;
let sent = 0;
let reportAt = performance.now();
let reportSent = 0;
let stopped = false;

listen(async (message) => {
  if (message.type === 'rate') {
    rate = Number(message.perSec);
    since = performance.now();
    owedBase = sent;
  } else if (message.type === 'report') {
    const now = performance.now();
    const seconds = (now - reportAt) / 1000;
    tell({ type: 'report', published: sent - reportSent, seconds, perSec: Math.round((sent - reportSent) / seconds) });
    reportAt = now;
    reportSent = sent;
  } else if (message.type === 'stop') {
    stopped = true;
  }
});

tell({ type: 'ready' });
while (!stopped) {
  const due = rate > 0 ? owedBase + Math.floor(((performance.now() - since) / 1000) * rate) : sent;
  // At most 100 ms of backlog per tick: a stalled generator must show as a shortfall.
  const limit = Math.min(due, sent + Math.max(1000, rate / 10));
  const ts = Date.now();
  while (sent < limit) {
    const event = workload.next(ts);
    nc.publish(event.subject, event.payload);
    sent++;
  }
  if (due > limit) owedBase -= due - limit;
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await nc.drain();
process.exit(0);
