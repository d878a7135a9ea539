/**
 * Ending the command line's process without losing output. Node hands a
 * large write to a pipe over asynchronously: `process.exit()` right after it
 * drops whatever the pipe had not taken yet (`trendmon score big.csv | wc -l`
 * printed 1,780 of 18,051 lines), while a file or terminal gets everything.
 */

/** Resolves once everything written to `stream` so far has been handed to the OS. */
export function written(stream: NodeJS.WriteStream): Promise<void> {
  // Write callbacks run in order, so an empty write's callback marks the end of the earlier ones.
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Exits with `code` once stdout and stderr hold nothing unwritten. */
export async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}
