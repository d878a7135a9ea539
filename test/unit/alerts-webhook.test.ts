/** Webhook delivery against a real local HTTP server: signature, outcomes, timeout. */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, type WebhookRequest } from '../../src/alerts/receivers/webhook.js';

let server: Server;
let url: string;
let answer: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const request = (over: Partial<WebhookRequest> = {}): WebhookRequest => ({
  url,
  timeoutMs: 2000,
  body: '{"status":"firing"}',
  notificationId: 'n-1',
  attempt: 1,
  ...over,
});

describe('webhook delivery', () => {
  it('posts the body with its notification id and an HMAC-SHA256 signature the receiver can check', async () => {
    let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
    answer = (req, res, body) => {
      seen = { headers: req.headers, body };
      res.end('ok');
    };
    const secret = 'a-shared-secret-of-some-length';
    expect(await postWebhook(request({ secret, attempt: 3 }))).toEqual({ ok: true, permanent: false, detail: 'HTTP 200: ok' });
    expect(seen!.body).toBe('{"status":"firing"}');
    expect(seen!.headers['content-type']).toBe('application/json');
    expect(seen!.headers['x-trendmon-notification']).toBe('n-1');
    expect(seen!.headers['x-trendmon-attempt']).toBe('3');
    const expected = 'sha256=' + createHmac('sha256', secret).update(seen!.body).digest('hex');
    expect(seen!.headers['x-trendmon-signature']).toBe(expected);
    await postWebhook(request());
    expect(seen!.headers['x-trendmon-signature']).toBeUndefined();
  });

  it.each([
    [503, false, false],
    [429, false, false],
    [408, false, false],
    [400, false, true],
    [404, false, true],
    [204, true, false],
  ])('HTTP %i: ok=%s, given up=%s', async (status, ok, permanent) => {
    answer = (_req, res) => {
      res.statusCode = status;
      res.end(status === 204 ? undefined : 'receiver says no');
    };
    const result = await postWebhook(request());
    expect(result).toMatchObject({ ok, permanent });
    expect(result.detail).toMatch(new RegExp(`^HTTP ${status}`));
  });

  it('gives up an attempt after the timeout, and reports a refused connection', async () => {
    answer = () => undefined; // never answers
    expect(await postWebhook(request({ timeoutMs: 200 }))).toEqual({ ok: false, permanent: false, detail: 'no answer within 200 ms' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await postWebhook(request({ url: `http://127.0.0.1:${port}/hook` }))).toEqual({ ok: false, permanent: false, detail: 'ECONNREFUSED' });
  });
});
