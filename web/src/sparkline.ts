/**
 * A spike's volume against what was expected, as seen by this wall. uPlot
 * draws to a canvas, which stays cheap with ten rows updating every window.
 */
import uPlot from 'uplot';
import type { History } from './state.js';

export interface SparkColors {
  readonly volume: string;
  readonly expectedLine: string;
  readonly expectedFill: string;
}

/** Reads the colours from the theme's CSS custom properties. */
export function sparkColors(root: Element): SparkColors {
  const style = getComputedStyle(root);
  const read = (name: string) => style.getPropertyValue(name).trim();
  return {
    volume: read('--spark-volume'),
    expectedLine: read('--spark-expected-line'),
    expectedFill: read('--spark-expected-fill'),
  };
}

export class Sparkline {
  private readonly plot: uPlot;
  private drawn = -1;

  constructor(
    private readonly host: HTMLElement,
    colors: SparkColors,
  ) {
    const { width, height } = size(host);
    // Line weights follow the row height so 4K screens get the same look.
    const stroke = Math.max(2, height / 22);
    const options: uPlot.Options = {
      width,
      height,
      padding: [6, 4, 6, 4],
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      scales: {
        x: { time: false },
        // From zero, so the gap between the two series reads as the surge.
        y: { range: (_u, _min, max) => [0, Math.max(max, 1) * 1.08] },
      },
      series: [
        {},
        { stroke: colors.expectedLine, fill: colors.expectedFill, width: stroke / 2, points: { show: false } },
        {
          stroke: colors.volume,
          width: stroke,
          // A lone point would be invisible as a line.
          points: { show: (u) => u.data[0].length === 1, size: stroke * 3, fill: colors.volume },
        },
      ],
    };
    this.plot = new uPlot(options, [[], [], []], host);
  }

  update(history: History): void {
    if (history.version === this.drawn) return;
    this.drawn = history.version;
    this.plot.setData([history.t, history.expected, history.volume]);
  }

  resize(): void {
    this.plot.setSize(size(this.host));
  }

  destroy(): void {
    this.plot.destroy();
  }
}

function size(host: HTMLElement): { width: number; height: number } {
  return { width: Math.max(1, host.clientWidth), height: Math.max(1, host.clientHeight) };
}
