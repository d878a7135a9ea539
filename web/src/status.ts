/**
 * Connection state on screen: a discreet marker while live, and a banner
 * that cannot be missed while the data shown is getting old.
 */
import type { ConnectionState } from './connection.js';
import { formatClock } from './format.js';

const MARKER_TEXT: Readonly<Record<ConnectionState, string>> = {
  connecting: 'connecting',
  live: 'live',
  reconnecting: 'offline',
};

export function showConnection(
  state: ConnectionState,
  els: { readonly marker: HTMLElement; readonly banner: HTMLElement; readonly since: HTMLElement },
  lastMessageAt: number | undefined,
): void {
  document.body.dataset.conn = state;
  els.marker.dataset.state = state;
  els.marker.textContent = MARKER_TEXT[state];
  els.banner.hidden = state !== 'reconnecting';
  els.since.textContent = lastMessageAt === undefined ? '' : `Showing data from ${formatClock(lastMessageAt)}`;
}
