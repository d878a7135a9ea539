/**
 * The ceiling: a bare JetStream pull consumer that only receives and
 * JSON.parses the stream's events (and, with ACK=1, acks each one), in its
 * own process. Reads the same pre-published stream trendmon reads, through
 * its own durable consumer `CONSUMER`, with trendmon's pull batch.
 *
 * IPC: sends `done` {events, seconds, eventsPerSec, steadyEventsPerSec} once
 * COUNT events were parsed; timed from the first message received to the
 * last parsed, and to the TIMED-th (the rate trendmon is compared on).
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '../streams/events.js';
import { tell } from './lib/child.js';

const count = Number(process.env.COUNT);
const ack = process.env.ACK === '1';
const nc = await connect({ servers: process.env.NATS_URL!, name: 'bench-ceiling' });
const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM.name, process.env.CONSUMER!);
const decoder = new TextDecoder('utf-8', { fatal: true });
const messages = await consumer.consume({ max_messages: 2_000 });
let received = 0;
let started = 0;
let steadyAt = 0;
const steady = Number(process.env.TIMED ?? count);
let sink = 0;
for await (const msg of messages) {
  if (received === 0) started = performance.now();
  const event = JSON.parse(decoder.decode(msg.data)) as { ts: number };
  sink += event.ts & 1;
  if (ack) msg.ack();
  if (++received === steady) steadyAt = performance.now();
  if (received >= count) break;
}
const seconds = (performance.now() - started) / 1000;
messages.stop();
await nc.flush();
tell({ type: 'done', events: received, seconds, eventsPerSec: Math.round(received / seconds), steadyEventsPerSec: Math.round(steady / ((steadyAt - started) / 1000)), sink });
await nc.close();
process.exit(0);
