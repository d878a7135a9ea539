/**
 * The live wall: wires the feed connection to the state and the views.
 * Messages are folded into state as they arrive, but the screen is redrawn
 * at most once per animation frame, however fast the feed talks.
 */
import { ALERT_SLOTS, AlertsPanel } from './alerts.js';
import { BoardView } from './board.js';
import { FeedConnection, feedUrl } from './connection.js';
import { CounterStrip } from './counters.js';
import { hideIdleCursor } from './cursor.js';
import { compactMoney, formatCompact } from './format.js';
import { Header } from './header.js';
import { boardId, CYCLE_BOARDS, onBoard, parseOptions, type Board } from './options.js';
import { sparkColors } from './sparkline.js';
import { WallState } from './state.js';
import { showConnection } from './status.js';

/** Frame accounting, for tests and for checking a slow screen from devtools. */
export interface WallStats {
  frames: number;
  messages: number;
  lastFrameMs: number;
}

declare global {
  interface Window {
    __wallStats: WallStats;
  }
}

const options = parseOptions(location.search);
document.documentElement.dataset.theme = options.theme;
const animate = !matchMedia('(prefers-reduced-motion: reduce)').matches;

const state = new WallState();
const header = new Header({
  board: byId('board-name'),
  region: byId('board-region'),
  window: byId('window-info'),
  clock: byId('clock'),
});
const board = new BoardView(
  byId('board'),
  byId('board-rows'),
  byId('empty-state'),
  sparkColors(document.documentElement),
  animate,
);
const alerts = new AlertsPanel({
  root: byId('alerts'),
  list: byId('alerts-list'),
  count: byId('alerts-count'),
  note: byId('alerts-note'),
});
const money = compactMoney(options.currency);
const counters = new CounterStrip(
  byId('counters'),
  {
    eventsPerSec: formatCompact,
    salesLastMinute: formatCompact,
    revenueLastMinute: money,
    salesToday: formatCompact,
    revenueToday: money,
  },
  animate,
);
const statusEls = { marker: byId('conn-state'), banner: byId('reconnect-banner'), since: byId('reconnect-since') };

const stats: WallStats = { frames: 0, messages: 0, lastFrameMs: 0 };
window.__wallStats = stats;

let currentBoard: Board = options.board;
let lastMessageAt: number | undefined;
const dirty = { board: true, counters: false, header: true, alerts: true };
let frameRequested = false;

function requestFrame(): void {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(frame);
}

function frame(now: number): void {
  frameRequested = false;
  const started = performance.now();
  if (dirty.header) {
    header.setBoard(currentBoard, options.region);
    header.setWindow(state.window);
  }
  if (dirty.alerts) {
    // Before the board: the panel decides how many rows the board has.
    board.reserve(alerts.render(state.alerts) ? ALERT_SLOTS : 0);
    dirty.board = true;
  }
  if (dirty.board) {
    const list = currentBoard.kind === 'unmet' ? state.unmet : state.spikes;
    const shown = list.filter((spike) => onBoard(spike, currentBoard, options.region));
    board.render(shown, state, Date.now());
  }
  if (dirty.counters && state.counters) counters.set(state.counters);
  dirty.header = dirty.board = dirty.counters = dirty.alerts = false;
  const tweening = counters.tick(now);
  stats.frames++;
  stats.lastFrameMs = performance.now() - started;
  if (tweening) requestFrame();
}

new FeedConnection({
  url: feedUrl(location, options.token),
  onMessage(message) {
    stats.messages++;
    lastMessageAt = Date.now();
    const changes = state.apply(message, lastMessageAt);
    dirty.board ||= changes.board;
    dirty.counters ||= changes.counters;
    dirty.header ||= changes.header;
    dirty.alerts ||= changes.alerts;
    if (changes.board || changes.counters || changes.header || changes.alerts) requestFrame();
  },
  onState(connection) {
    showConnection(connection, statusEls, lastMessageAt);
  },
}).start();

if (options.cycleMs !== undefined) {
  let index = Math.max(
    0,
    CYCLE_BOARDS.findIndex((b) => boardId(b) === boardId(options.board)),
  );
  currentBoard = CYCLE_BOARDS[index] ?? options.board;
  setInterval(() => {
    index = (index + 1) % CYCLE_BOARDS.length;
    currentBoard = CYCLE_BOARDS[index] ?? currentBoard;
    dirty.board = dirty.header = true;
    requestFrame();
  }, options.cycleMs);
}

header.tickClock(Date.now());
setInterval(() => {
  const now = Date.now();
  header.tickClock(now);
  if (state.pruneAlerts(now)) {
    dirty.alerts = true;
    requestFrame();
  }
}, 1_000);
window.addEventListener('resize', () => board.resize());
hideIdleCursor(3_000);
requestFrame();

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}
