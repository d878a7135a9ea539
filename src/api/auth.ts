/**
 * Who may use the API, the feed and the metrics. With no token configured
 * everything is open (a laptop, a demo). With TRENDMON_TOKEN set, callers
 * present a token as `Authorization: Bearer <token>` or `?token=` (for
 * kiosk URLs); TRENDMON_VIEW_TOKEN, when set, is a read-only token for walls.
 * Comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

export type Role = 'view' | 'admin';

export interface AuthOptions {
  readonly adminToken?: string;
  readonly viewToken?: string;
}

/** A refusal with the HTTP status and the reason given to the caller. */
export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Equal-length digests make the comparison's time independent of where the tokens differ. */
function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] ?? '';
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('token') ?? undefined;
}

export class Auth {
  constructor(private readonly options: AuthOptions) {}

  get enabled(): boolean {
    return this.options.adminToken !== undefined;
  }

  /** The role a request's token grants, or why it is refused. */
  check(req: IncomingMessage, needs: Role): Refusal | undefined {
    if (!this.enabled) return undefined;
    const token = presentedToken(req);
    if (token === undefined || token === '') {
      return { status: 401, reason: 'a token is required: send Authorization: Bearer <token> or ?token=<token>' };
    }
    const role = this.roleOf(token);
    if (!role) return { status: 401, reason: 'the token is not valid' };
    if (needs === 'admin' && role !== 'admin') return { status: 403, reason: 'this action needs the admin token; the view token is read-only' };
    return undefined;
  }

  /** Express middleware requiring `needs`. */
  require(needs: Role) {
    return (req: Request, res: Response, next: NextFunction) => {
      const refusal = this.check(req, needs);
      if (refusal) {
        res.status(refusal.status).set('WWW-Authenticate', 'Bearer').json({ error: refusal.reason });
        return;
      }
      next();
    };
  }

  private roleOf(token: string): Role | undefined {
    // Check both tokens every time, so the response time does not tell which one matched.
    const admin = this.options.adminToken !== undefined && sameToken(token, this.options.adminToken);
    const view = this.options.viewToken !== undefined && sameToken(token, this.options.viewToken);
    return admin ? 'admin' : view ? 'view' : undefined;
  }
}
