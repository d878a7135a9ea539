/**
 * The built CLI writing into pipes: every line of a large result must reach
 * the reader, however slowly it reads, and the exit code must come after
 * the output (Node writes to pipes asynchronously; see src/cli/exit.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/app.js';

const ROWS = 40_000;

describe('trendmon CLI output into a pipe', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trendmon-pipe-'));
  const csv = join(dir, 'series.csv');

  beforeAll(() => {
    const start = Date.UTC(2025, 0, 1);
    const lines = ['timestamp,value'];
    for (let i = 0; i < ROWS; i++) lines.push(`${new Date(start + i * 300_000).toISOString()},${100 + ((i * 37) % 23)}`);
    writeFileSync(csv, lines.join('\n') + '\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every scored row to a slow reader, then exits 0', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [CLI, 'score', csv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Read a chunk, then pause long enough for the CLI to finish and try to leave.
    let lines = 0;
    let lastLine = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const text = partial + chunk;
      const cut = text.lastIndexOf('\n');
      const complete = text.slice(0, cut + 1);
      partial = text.slice(cut + 1);
      lines += complete.split('\n').length - 1;
      lastLine = complete.trimEnd().split('\n').at(-1) ?? lastLine;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 20);
    });
    const [code] = await Promise.all([
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      new Promise((resolve) => child.stdout.once('end', resolve)),
    ]);
    console.log(`score into a slow pipe reader: ${lines} lines read for ${ROWS} rows + header, exit code ${code}`);
    expect(stderr).toBe('');
    expect(partial).toBe('');
    expect(code).toBe(0);
    expect(lines).toBe(ROWS + 1);
    expect(lastLine).toMatch(/^2025-\S+Z,\d+,(0|1)\.\d{6}$/);
  });

  it('gives `score FILE | wc -l` every line and the command its exit code', () => {
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" score "${csv}" | wc -l; echo "exit \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    const [count, exit] = result.stdout.trim().split('\n');
    console.log(`score | wc -l: ${count!.trim()} lines for ${ROWS} rows + header, ${exit}`);
    expect(Number(count)).toBe(ROWS + 1);
    expect(exit).toBe('exit 0');
  });

  it('delivers a usage error in full to a piped stderr with exit code 2', () => {
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" no-such-command 2>&1 | cat; echo "exit \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('trendmon: unknown command "no-such-command"');
    expect(lines).toContain('configuration comes from the environment: see README.md, "Configuration".');
    expect(lines.at(-1)).toBe('exit 2');
  });
});
