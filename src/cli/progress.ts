/** One status line for long commands: rewritten in place on a terminal, appended otherwise. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
  else process.stderr.write(`${text}\n`);
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}

export const formatCount = (n: number) => new Intl.NumberFormat('en-US').format(Math.round(n));
