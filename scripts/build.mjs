// Builds the app into dist/ when its sources changed, and does nothing
// (in a few tens of milliseconds) when they did not, so `npm run trendmon`
// can check before every command instead of rebuilding: `npm install`
// builds once (prepare), later runs rebuild only what an edit made stale.
//
// Two parts, each rebuilt when any of its inputs (files, and the folders
// holding them, whose times change when a file is added or removed) is
// newer than the part's stamp, written after a successful build:
// - server: tsc over src/, streams/ and bench/ (tsconfig.build.json);
// - wall: vite over web/ and the src/ files the wall imports.
//
// `--force` rebuilds both. Notes go to stderr: stdout belongs to the command
// that runs after the build (`trendmon sql ... > out.csv`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const SHARED = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** Newest modification time (ms) of `path`, and of everything under it when a folder. */
function newest(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = stat.mtimeMs;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

/** The files under src/ that web/src imports, following their own relative imports. */
function wallImports() {
  const seen = new Set();
  const visit = (file) => {
    const text = readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      if (seen.has(target) || !existsSync(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  const webSrc = join(ROOT, 'web', 'src');
  for (const entry of readdirSync(webSrc)) if (entry.endsWith('.ts')) visit(join(webSrc, entry));
  return [...seen].filter((file) => !file.startsWith(webSrc));
}

const parts = [
  {
    name: 'server',
    inputs: () => [...SHARED, 'tsconfig.build.json', 'src', 'streams', 'bench'],
    outputs: ['dist/src/cli/main.js'],
    command: [join(ROOT, 'node_modules', '.bin', 'tsc'), '-p', 'tsconfig.build.json'],
  },
  {
    name: 'wall',
    inputs: () => [...SHARED, 'vite.config.ts', 'web', ...wallImports().map((file) => relative(ROOT, file))],
    outputs: ['dist/web/index.html'],
    command: [join(ROOT, 'node_modules', '.bin', 'vite'), 'build', '--logLevel', 'warn'],
  },
];

const force = process.argv.includes('--force');
for (const part of parts) {
  const stamp = join(DIST, `.built-${part.name}`);
  const built = part.outputs.every((output) => existsSync(join(ROOT, output))) ? newest(stamp) : 0;
  const changed = Math.max(...part.inputs().map((input) => newest(join(ROOT, input))));
  if (!force && built > 0 && changed <= built) continue;
  const started = Date.now();
  // The stamp takes the time the build started: an edit made during the build makes it stale again.
  const result = spawnSync(part.command[0], part.command.slice(1), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`build: ${part.name} failed${result.error ? ` (${result.error.message})` : ''}\n`);
    process.exit(1);
  }
  writeFileSync(stamp, '');
  utimesSync(stamp, new Date(started), new Date(started));
  process.stderr.write(`build: ${part.name} built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
