/** The app's logs: JSON lines, with credentials kept out. */
import { pino, type Logger } from 'pino';
import type { Config } from './config/index.js';

/** JSON logs; credentials never reach them, whatever a log call passes. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    redact: {
      paths: ['*.password', '*.pass', '*.token', '*.secret', '*.webhookSecret', '*.authorization', '*.headers.authorization'],
      censor: '****',
    },
  });
}

/** A URL as it may be logged: user and password masked. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//****@');
}
