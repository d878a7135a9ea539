/**
 * Benchmark children: each measured component (the app, the bare consumer,
 * the load generator, the store) runs in its own Node process, so one
 * process's heap, JIT state or event loop does not colour another's figures
 * (and chDB binds one data directory per process). Parent and child talk
 * over the IPC channel in small JSON messages with a `type`.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface Message {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface Child {
  readonly process: ChildProcess;
  send(message: Message): void;
  /** Resolves with the next message of `type` (buffered if it came earlier). */
  next<T extends Message = Message>(type: string, timeoutMs?: number): Promise<T>;
  /** Sends `{ type: 'stop' }` and waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
  /** Every stderr line the child wrote, for error reports. */
  stderr(): string;
}

const BENCH_DIR = join(import.meta.dirname, '..');
export const ROOT = join(BENCH_DIR, '..');
let compiled = false;

/**
 * Compiles src and bench with tsc (tsconfig.build.json, incremental) so the
 * children run the JavaScript production runs (`node dist/...`), not tsx's
 * on-the-fly transform (whose helpers cost measurably per closure). Falls
 * back to tsx, with a warning, when the build fails.
 */
export function compile(): boolean {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    compiled = true;
  } catch (err) {
    process.stderr.write(`bench: tsc build failed, children run under tsx instead:\n${String((err as { stdout?: Buffer }).stdout ?? err).slice(0, 2000)}\n`);
    compiled = false;
  }
  return compiled;
}

/** How to run a bench script in a child: the compiled file, or the source under tsx. */
export function scriptCommand(script: string): { file: string; execArgv: string[] } {
  return compiled
    ? { file: join(ROOT, 'dist', 'bench', script.replace(/\.ts$/, '.js')), execArgv: [] }
    : { file: join(BENCH_DIR, script), execArgv: ['--import', 'tsx'] };
}

export function spawnChild(script: string, options: { env?: Record<string, string>; execArgv?: string[]; args?: string[] } = {}): Child {
  const command = scriptCommand(script);
  const child = fork(command.file, options.args ?? [], {
    execArgv: [...(options.execArgv ?? []), ...command.execArgv],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
    if (process.env.BENCH_VERBOSE === '1') process.stderr.write(chunk);
  });
  const inbox: Message[] = [];
  const waiting: { type: string; resolve: (m: Message) => void }[] = [];
  child.on('message', (raw) => {
    const message = raw as Message;
    const at = waiting.findIndex((w) => w.type === message.type);
    if (at >= 0) waiting.splice(at, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    next<T extends Message>(type: string, timeoutMs = 120_000): Promise<T> {
      const at = inbox.findIndex((m) => m.type === type);
      if (at >= 0) return Promise.resolve(inbox.splice(at, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const entry = {
          type,
          resolve: (m: Message) => {
            clearTimeout(timer);
            resolve(m as T);
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`${script}: no "${type}" message within ${timeoutMs} ms\n${stderr.slice(-3000)}`));
        }, timeoutMs);
        waiting.push(entry);
        void exited.then((code) => {
          if (!waiting.includes(entry)) return;
          clearTimeout(timer);
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`${script} exited (${code}) before sending "${type}"\n${stderr.slice(-3000)}`));
        });
      });
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    stderr: () => stderr,
  };
}

/** In a child: sends a message to the parent. */
export function tell(message: Message): void {
  process.send?.(message);
}

/** In a child: calls `handler` for each message from the parent. */
export function listen(handler: (message: Message) => void | Promise<void>): void {
  // The parent is gone (interrupted run): nothing will stop us otherwise.
  process.once('disconnect', () => process.exit(2));
  process.on('message', (raw) => {
    void Promise.resolve(handler(raw as Message)).catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
}
