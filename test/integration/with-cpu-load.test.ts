/**
 * scripts/with-cpu-load.sh (`npm run test:loaded`): the CPU hog runs beside
 * the command and is stopped whatever the outcome, here a failing command
 * and a run ended by SIGTERM.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/app.js';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'with-cpu-load.sh');

/** Ids of the live processes in process group `group`, from /proc. */
function processesInGroup(group: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === group && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

function run(args: string[]) {
  const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const hogGroup = () => Number(/process group (\d+)\)/.exec(stderr)?.[1] ?? 0);
  return { child, exited, hogGroup, stdout: () => stdout, stderr: () => stderr };
}

describe('with-cpu-load.sh: the command beside a CPU hog', () => {
  it('runs the hog during the command, returns the command\'s exit code and stops the hog after a failure', { timeout: 60_000 }, async () => {
    // The command reports which process groups run stress-ng workers while it runs.
    const script = run(['bash', '-c', 'sleep 1; ps -e -o pgid=,comm= | grep stress-ng; exit 3']);
    expect(await script.exited).toBe(3);
    const group = script.hogGroup();
    expect(group).toBeGreaterThan(0);
    const workers = script.stdout().split('\n').filter((line) => line.trim().split(/\s+/)[0] === String(group));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    expect(processesInGroup(group)).toEqual([]);
    expect(script.stderr()).toContain(`stress-ng stopped (process group ${group})`);
  });

  it('stops the command and the hog when the run is ended with SIGTERM', { timeout: 60_000 }, async () => {
    const script = run(['sleep', '120']);
    await eventually(() => script.hogGroup() > 0 && processesInGroup(script.hogGroup()).length >= 3, 20_000, 100);
    const group = script.hogGroup();
    script.child.kill('SIGTERM');
    expect(await script.exited).toBe(143);
    expect(processesInGroup(group)).toEqual([]);
  });
});
