/**
 * The example questions of docs/analytics.md, read from the page itself so
 * that the SQL tested and benchmarked is exactly the SQL analysts read.
 * A question is a `### Qn. Title` heading followed by one ```sql block.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ANALYTICS_DOC = join(import.meta.dirname, '..', '..', 'docs', 'analytics.md');

export interface Question {
  /** `Q1`, `Q2`, ... */
  readonly id: string;
  readonly title: string;
  readonly sql: string;
}

export function loadQuestions(path = ANALYTICS_DOC): Question[] {
  const text = readFileSync(path, 'utf8');
  const questions: Question[] = [];
  const heading = /^### (Q\d+)\. (.+)$/gm;
  for (let match = heading.exec(text); match; match = heading.exec(text)) {
    const rest = text.slice(heading.lastIndex);
    const block = /```sql\n([\s\S]*?)\n```/.exec(rest);
    const next = rest.search(/^#{2,3} /m);
    if (!block || (next >= 0 && block.index > next)) throw new Error(`${path}: ${match[1]} has no \`\`\`sql block`);
    questions.push({ id: match[1]!, title: match[2]!, sql: block[1]! });
  }
  return questions;
}
