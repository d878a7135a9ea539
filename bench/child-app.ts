/**
 * trendmon itself, in a benchmark child process: `startApp` with the
 * configuration from this process's environment (NATS_URL, DATA_DIR, WINDOW,
 * ...), exactly as `trendmon start` wires it.
 *
 * IPC: sends `ready` {url}; answers `stats` with RSS, heap, CPU time and the
 * event-loop delay (perf_hooks monitorEventLoopDelay, measured here inside
 * the app's process) since the previous `stats`; `stop` drains and exits.
 * INSERT_TRACE=1 logs every ClickHouse insert on stderr (BENCH_VERBOSE=1
 * shows children's stderr).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { listen, tell } from './lib/child.js';

// The histogram records each sampling interval whole (Node 20), so the delay
// is what exceeds the resolution.
const RESOLUTION_MS = 2;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
let cpuMark = process.cpuUsage();
let cpuAt = performance.now();

const config = loadConfig(process.env);
// INSERT_TRACE=1: one stderr line per ClickHouse insert (table, rows, ms), for diagnosis.
const trace = process.env.INSERT_TRACE === '1';
const app = await startApp(config, {
  log: pino({ level: config.logLevel }),
  ...(trace
    ? {
        interceptInsert: (insert) => async (table, rows, token) => {
          const started = performance.now();
          await insert(table, rows, token);
          process.stderr.write(`insert ${table} ${rows.length} rows ${(performance.now() - started).toFixed(1)} ms at ${Math.round(performance.now())}\n`);
        },
      }
    : {}),
});
tell({ type: 'ready', url: app.url });

listen(async (message) => {
  if (message.type === 'stats') {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage(cpuMark);
    const elapsed = performance.now() - cpuAt;
    const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100);
    tell({
      type: 'stats',
      rssMb: Math.round(memory.rss / 2 ** 20),
      heapMb: Math.round(memory.heapUsed / 2 ** 20),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      /** Share of one core used since the previous stats. */
      cpuCores: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100) / 100,
      loopP50Ms: ms(loop.percentile(50)),
      loopP99Ms: ms(loop.percentile(99)),
      loopMaxMs: ms(loop.max),
    });
    loop.reset();
    cpuMark = process.cpuUsage();
    cpuAt = performance.now();
  } else if (message.type === 'stop') {
    await app.stop();
    process.exit(0);
  }
});
