/**
 * The app's embedded nats-server (no NATS_URL), under DATA_DIR: the app
 * stops it after draining, and a terminal's Ctrl-C does not reach it first
 * (it did, and the supervisor restarted it mid-drain); one that a killed
 * app left running is stopped by the next start, which would otherwise
 * find its port and store taken.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, spawnTestApp } from '../helpers/app.js';
import { freePort } from '../helpers/ports.js';

const natsPid = (dataDir: string) => Number(readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8'));
/** Running (a zombie nobody has reaped yet has exited). */
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
  } catch {
    return false;
  }
};

describe("the app's embedded nats-server", () => {
  it('drains on Ctrl-C (SIGINT to the whole process group) without restarting nats-server, then stops it', async () => {
    const app = await spawnTestApp(undefined, { NATS_PORT: String(await freePort()) });
    const pid = natsPid(app.dataDir);
    try {
      expect(alive(pid)).toBe(true);
      expect(await app.signal('SIGINT')).toBe(0);
      expect(app.output()).toMatch(/draining/);
      expect(app.output()).not.toMatch(/restarting/);
      await eventually(() => !alive(pid), 10_000);
    } finally {
      await app.stop();
    }
  });

  it('stops the nats-server a killed app left running, and starts its own on the same store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trendmon-managed-'));
    const env = { NATS_PORT: String(await freePort()) };
    let orphan = 0;
    try {
      const first = await spawnTestApp(undefined, env, dataDir);
      orphan = natsPid(dataDir);
      const killed = new Promise((resolve) => first.process.once('exit', resolve));
      first.process.kill('SIGKILL');
      await killed;
      expect(alive(orphan)).toBe(true);

      const second = await spawnTestApp(undefined, env, dataDir);
      expect(alive(orphan)).toBe(false);
      expect(second.output()).toMatch(/stopped the nats-server an earlier run left running/);
      expect(natsPid(dataDir)).not.toBe(orphan);
      const response = await fetch(`${second.url}/healthz`);
      expect(response.ok).toBe(true);
      await second.stop();
    } finally {
      if (alive(orphan)) process.kill(orphan, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
