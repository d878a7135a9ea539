/**
 * HTTP webhook delivery: one POST per attempt, bounded by a timeout. Retrying
 * is the outbox's business; this says whether an attempt worked and whether
 * another could.
 *
 * Headers: `X-Trendmon-Notification` (the same on every retry of one
 * notification: receivers de-duplicate with it), `X-Trendmon-Attempt`, and
 * with a secret `X-Trendmon-Signature: sha256=<hex HMAC-SHA256 of the body>`.
 */
import { createHmac } from 'node:crypto';

export interface DeliveryResult {
  readonly ok: boolean;
  /** Retrying will not help (HTTP 4xx other than 408 and 429): the notification is given up. */
  readonly permanent: boolean;
  /** `HTTP 200`, `HTTP 503: <first bytes of the response>`, or the network error. */
  readonly detail: string;
}

export interface WebhookRequest {
  readonly url: string;
  readonly secret?: string;
  readonly timeoutMs: number;
  readonly body: string;
  readonly notificationId: string;
  readonly attempt: number;
}

export const SIGNATURE_HEADER = 'x-trendmon-signature';
export const NOTIFICATION_HEADER = 'x-trendmon-notification';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const SHOWN_RESPONSE_CHARS = 200;

function describeError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

export async function postWebhook(request: WebhookRequest, signal?: AbortSignal): Promise<DeliveryResult> {
  const headers: Record<string, string> = {
    [NOTIFICATION_HEADER]: request.notificationId,
    'x-trendmon-attempt': String(request.attempt),
  };
  if (request.secret) headers[SIGNATURE_HEADER] = signBody(request.secret, request.body);
  return postJson({ url: request.url, headers, body: request.body, timeoutMs: request.timeoutMs }, signal);
}

/**
 * One JSON POST, bounded by a timeout, classified: 2xx worked; 408, 429, 5xx
 * and network errors may work on a later attempt; any other 4xx will not.
 */
export async function postJson(
  request: { readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly timeoutMs: number },
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'trendmon-alerts', ...request.headers },
      body: request.body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = (await response.text()).slice(0, SHOWN_RESPONSE_CHARS).trim();
    const detail = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
    if (response.ok) return { ok: true, permanent: false, detail };
    const permanent = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
    return { ok: false, permanent, detail };
  } catch (err) {
    const detail = timeout.aborted ? `no answer within ${request.timeoutMs} ms` : describeError(err);
    return { ok: false, permanent: false, detail };
  }
}
