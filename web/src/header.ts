/** The top bar: which board this is, the detector's window, the time. */
import type { SnapshotMessage } from '../../src/feed/protocol.js';
import { DIMENSION_BOARDS, formatClock, formatSpan } from './format.js';
import type { Board } from './options.js';

export interface HeaderElements {
  readonly board: HTMLElement;
  readonly region: HTMLElement;
  readonly window: HTMLElement;
  readonly clock: HTMLElement;
}

export class Header {
  constructor(private readonly els: HeaderElements) {}

  setBoard(board: Board, region: string | undefined): void {
    this.els.board.textContent = boardTitle(board);
    this.els.region.textContent = region ? `Region ${region}` : '';
    this.els.region.hidden = !region;
  }

  setWindow(window: SnapshotMessage['window'] | undefined): void {
    this.els.window.textContent = window
      ? `${formatSpan(window.sizeMs)} window · every ${formatSpan(window.slideMs)}`
      : '';
  }

  tickClock(now: number): void {
    const text = formatClock(now);
    if (this.els.clock.textContent !== text) this.els.clock.textContent = text;
  }
}

function boardTitle(board: Board): string {
  switch (board.kind) {
    case 'all':
      return 'All trends';
    case 'falling':
      return 'Falling: stock-outs and drops';
    case 'dimension':
      return DIMENSION_BOARDS[board.dimension];
    case 'category':
      return `Category: ${board.name}`;
    case 'unmet':
      return 'Unmet demand: searched for, not in the catalog';
  }
}
