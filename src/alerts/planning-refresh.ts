/**
 * Keeps the demand planner's history (past surges, records, recent sales)
 * fresh from the store: read at start, again soon after (what the stream
 * replayed is stored by then), then every HISTORY_REFRESH_MS.
 */
import type { Logger } from 'pino';
import type { DemandPlanner, PlanningHistory } from './planning.js';

/** How often the projection re-reads past surges, records and recent sales from ClickHouse. */
const HISTORY_REFRESH_MS = 10 * 60_000;
const SOON_AFTER_START_MS = 60_000;

/** Reads the history once now; resolves with the stop, which waits for a read in flight: the store must not close under a query. */
export async function refreshPlanningHistory(planner: DemandPlanner, load: () => Promise<PlanningHistory>, log: Logger): Promise<() => Promise<void>> {
  let historyRead: Promise<void> = Promise.resolve();
  const refresh = () =>
    (historyRead = historyRead.then(async () => {
      try {
        planner.setHistory(await load());
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'planning history not read; projections keep the last figures');
      }
    }));
  await refresh();
  const soon = setTimeout(() => void refresh(), SOON_AFTER_START_MS);
  const every = setInterval(() => void refresh(), HISTORY_REFRESH_MS);
  return async () => {
    clearTimeout(soon);
    clearInterval(every);
    await historyRead;
  };
}
