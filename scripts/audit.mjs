// `npm audit --omit=dev` for high and critical advisories. Findings fail the
// run unless listed with a reason in scripts/audit-exceptions.json. When the
// registry's advisory endpoint cannot be reached, it says so in one line and
// does not fail: the audit is then owed to a machine that reaches it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const exceptions = existsSync('scripts/audit-exceptions.json') ? JSON.parse(readFileSync('scripts/audit-exceptions.json', 'utf8')) : {};
let report;
try {
  const out = execFileSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  report = JSON.parse(out);
} catch (err) {
  // npm audit exits non-zero both for findings and for failures; tell them apart by the JSON.
  try {
    report = JSON.parse(err.stdout);
  } catch {
    report = undefined;
  }
}
if (!report || report.error || report.statusCode) {
  const why = report?.message || report?.error?.summary || 'no answer';
  console.log(`audit: the advisory endpoint could not be reached (${why.trim()}); dependency audit not done on this machine`);
  process.exit(0);
}
const serious = Object.values(report.vulnerabilities ?? {}).filter((v) => v.severity === 'high' || v.severity === 'critical');
const unexplained = serious.filter((v) => !exceptions[v.name]);
for (const v of serious) {
  console.log(`audit: ${v.severity} in ${v.name}${exceptions[v.name] ? ` (accepted: ${exceptions[v.name]})` : ''}`);
}
if (unexplained.length > 0) {
  console.error(`audit: ${unexplained.length} high/critical advisories in production dependencies; fix them or explain each in scripts/audit-exceptions.json`);
  process.exit(1);
}
console.log(`audit: no unexplained high or critical advisories in production dependencies (${serious.length} accepted)`);
