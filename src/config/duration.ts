/** Parses durations such as `500ms`, `10s`, `5m`, `1h`, `2d` into milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** Renders milliseconds back in the largest unit that divides them, e.g. `300000` -> `5m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of Object.entries(UNITS).reverse()) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
