// Fails the run when any test was skipped or none ran: integration and
// browser tests must never silently skip. Prints the plain summary line.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numTotalTests === 0) {
  console.error('check-tests: no test ran');
  process.exit(1);
}
if (skipped > 0) {
  const names = report.testResults.flatMap((file) =>
    file.assertionResults.filter((t) => t.status === 'pending' || t.status === 'todo' || t.status === 'skipped').map((t) => `${file.name}: ${t.fullName}`),
  );
  console.error(`check-tests: ${skipped} test(s) skipped; CI requires every test to run:\n  ${names.join('\n  ')}`);
  process.exit(1);
}
process.exit(report.numFailedTests > 0 || !report.success ? 1 : 0);
