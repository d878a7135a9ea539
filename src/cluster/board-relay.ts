/**
 * The board across instances: each partition's owner publishes its
 * detections on `trendmon.board.<partition>`, the alerts' leader its alert
 * changes on `trendmon.alerts.board`, and every instance's board takes them
 * all in, so any instance's /ws shows the global board.
 */
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { AlertView } from '../alerts/view.js';
import type { Board, PartitionDetection } from '../pipeline/board.js';
import { ALERTS_BOARD_SUBJECT, BOARD_SUBJECTS, boardSubject } from '../../streams/cluster.js';

export class BoardRelay {
  private readonly detections: Subscription;
  private readonly alerts: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    board: Board,
    log: Logger,
  ) {
    this.detections = nc.subscribe(BOARD_SUBJECTS, {
      callback: (err, msg) => {
        if (err) return;
        try {
          board.receive(parseUpdate(msg.json()));
        } catch (error) {
          log.warn({ subject: msg.subject, err: (error as Error).message }, 'board message ignored');
        }
      },
    });
    this.alerts = nc.subscribe(ALERTS_BOARD_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const alert = msg.json<AlertView>();
          if (typeof alert?.fingerprint !== 'string' || (alert.status !== 'firing' && alert.status !== 'resolved')) throw new Error('not an alert view');
          board.receiveAlert(alert);
        } catch (error) {
          log.warn({ subject: msg.subject, err: (error as Error).message }, 'board alert ignored');
        }
      },
    });
  }

  publish(update: PartitionDetection): void {
    this.nc.publish(boardSubject(update.partition), JSON.stringify(update));
  }

  publishAlert(alert: AlertView): void {
    this.nc.publish(ALERTS_BOARD_SUBJECT, JSON.stringify(alert));
  }

  close(): void {
    this.detections.unsubscribe();
    this.alerts.unsubscribe();
  }
}

function parseUpdate(value: unknown): PartitionDetection {
  const update = value as PartitionDetection;
  const d = update?.detection;
  if (!Number.isInteger(update?.partition) || typeof d?.windowEnd !== 'number' || !Array.isArray(d.updates) || !Array.isArray(d.ranking)) {
    throw new Error('not a partition detection ({partition, detection: {windowEnd, updates, ranking}})');
  }
  return update;
}
