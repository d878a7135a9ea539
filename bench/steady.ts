/**
 * What the app costs at rest: `trendmon start --simulate` (the built-in
 * simulator, ~200 events/s) in a child process against its own nats-server,
 * measured once the simulated history has been replayed and a warm-up has passed.
 * The process's CPU time over the measured span, as a share of one core,
 * and each thread's share (Linux /proc): the node main thread, libuv's
 * workers, and the embedded ClickHouse's pools (merges, inserts, schedules).
 *
 *   npm run bench:steady [-- --warmup 60 --seconds 60]
 *
 * Also run by `npm run bench` (shorter with --quick).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compile, ROOT } from './lib/child.js';
import { ingestConsumerInfo, startBenchNats } from './lib/nats.js';
import { progress, round, sleep, tempDir, until } from './lib/util.js';

export interface SteadyResult {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  /** Process CPU time per wall second: 1 is one core busy. */
  readonly cpuCores: number;
  /** Every thread group's share of the process's CPU time, largest first. */
  readonly threads: readonly { readonly name: string; readonly share: number }[];
}

/** The live rate of `start --simulate` (src/cli/main.ts). */
const SIMULATED_PER_SEC = 200;
/** ...after two default windows (5 min) of history at that rate. */
const HISTORY_EVENTS = 2 * 300 * SIMULATED_PER_SEC;

/** Kernel clock ticks per second, the unit of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SEC = 100;

/** CPU ticks used so far by each live thread, with its name, from /proc/PID/task/*\/stat. */
function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const threads = new Map<string, { name: string; ticks: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // "tid (comm) state ...": comm may hold spaces and parentheses; utime and stime are fields 14 and 15.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close).replace(/[\d:/-]+$/, '') || 'unnamed';
    const fields = stat.slice(close + 2).split(' ');
    threads.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return threads;
}

/** Threads that ended keep their time in the process's own counters: the whole, from /proc/PID/stat. */
function processTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function ingested(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^trendmon_events_ingested_total\{kind="\w+"\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

export async function runSteady(options: { warmupSeconds: number; seconds: number }): Promise<SteadyResult> {
  const nats = await startBenchNats();
  const dataDir = tempDir('steady');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // `trendmon start` as users run it: the compiled CLI (compile() has built dist/).
  const cli = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  const app = spawn(process.execPath, [cli, 'start', '--simulate'], {
    env: { ...process.env, NATS_URL: nats.url, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const orphan = () => app.kill('SIGKILL');
  process.once('exit', orphan);
  try {
    progress('steady: trendmon start --simulate, waiting until it answers /readyz');
    await until(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok || undefined, 120_000, 'the app to be ready', 500);
    // The simulator first publishes two windows (2 x 5 min) of history as fast as NATS takes them: wait until it is read.
    await until(
      async () => {
        const [events, consumer] = [await ingested(url), await ingestConsumerInfo(nats.nc)];
        progress(`steady: replaying the simulated history, ${events.toLocaleString()} of ${HISTORY_EVENTS.toLocaleString()} events read, ${consumer.num_pending} pending`);
        return (events >= HISTORY_EVENTS && consumer.num_pending < SIMULATED_PER_SEC) || undefined;
      },
      600_000,
      'the simulated history to be read',
      5_000,
    );
    for (let left = options.warmupSeconds; left > 0; left -= 10) {
      progress(`steady: warming up, ${left} s left (history replayed, windows filling)`);
      await sleep(Math.min(10, left) * 1000);
    }
    const pid = app.pid!;
    const [threads0, total0, events0, at0] = [threadTicks(pid), processTicks(pid), await ingested(url), performance.now()];
    for (let left = options.seconds; left > 0; left -= 10) {
      progress(`steady: measuring, ${left} s left`);
      await sleep(Math.min(10, left) * 1000);
    }
    const [threads1, total1, events1, at1] = [threadTicks(pid), processTicks(pid), await ingested(url), performance.now()];
    const seconds = (at1 - at0) / 1000;
    const used = total1 - total0;
    // Per thread (pools rename their threads by task: each thread counts under its latest name).
    const byName = new Map<string, number>();
    for (const [tid, { name, ticks }] of threads1) byName.set(name, (byName.get(name) ?? 0) + ticks - (threads0.get(tid)?.ticks ?? 0));
    const threads = [...byName]
      .map(([name, ticks]) => ({ name, share: used > 0 ? round(ticks / used, 3) : 0 }))
      .filter((t) => t.share > 0)
      .sort((a, b) => b.share - a.share);
    return {
      warmupSeconds: options.warmupSeconds,
      seconds: round(seconds, 1),
      eventsPerSec: round((events1 - events0) / seconds),
      cpuCores: round(used / TICKS_PER_SEC / seconds, 3),
      threads,
    };
  } finally {
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    process.off('exit', orphan);
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { warmup: { type: 'string', default: '60' }, seconds: { type: 'string', default: '60' } } });
  progress('compiling src (tsc -p tsconfig.build.json)');
  if (!compile()) throw new Error('the app must build (npm run build) to be measured');
  const result = await runSteady({ warmupSeconds: Number(values.warmup), seconds: Number(values.seconds) });
  console.log(
    `steady state of start --simulate: ${result.eventsPerSec} events/s, ${(result.cpuCores * 100).toFixed(1)}% of a core over ${result.seconds} s\n` +
      result.threads.map((t) => `  ${t.name.padEnd(24)} ${(t.share * 100).toFixed(1)}%`).join('\n'),
  );
}
