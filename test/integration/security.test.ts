/**
 * Every door with auth on: tokens, SQL injection through every parameter,
 * writes through /api/sql, oversize bodies and frames, WebSocket floods, and
 * the security headers.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const ADMIN = 'admin-token-0123456789abcdef';
const VIEW = 'view-token-0123456789abcdef';

const PROTECTED_GETS = [
  '/metrics',
  '/api/trending',
  '/api/trending?dimension=sku&window=60m',
  '/api/spikes',
  '/api/window?dimension=sku&key=SKU-1',
  '/api/series?dimension=sku&key=SKU-1&from=1764000000000&step=1h',
  '/api/alerts',
  '/api/alerts/rules',
  '/api/silences',
];

/** Values that would break out of a string literal or a statement if SQL were built by concatenation. */
const INJECTIONS = [
  "' OR 1=1 --",
  "x'); DROP TABLE trendmon.events_sale; --",
  '1; DROP DATABASE trendmon',
  "\\' UNION SELECT name FROM system.users --",
  '{dimension:String}',
  '%27%20OR%201%3D1',
];

describe('security', () => {
  let nats: TestNats;
  let app: TestApp;
  const url = (path: string) => `${app.url}${path}`;
  const get = (path: string, token?: string) =>
    fetch(url(path), token ? { headers: { authorization: `Bearer ${token}` } } : undefined);

  beforeAll(async () => {
    nats = await startTestNats();
    app = await startTestApp(nats.url, { TRENDMON_TOKEN: ADMIN, TRENDMON_VIEW_TOKEN: VIEW, API_RATE_LIMIT: '100000' });
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  const sql = (query: string, token = ADMIN) =>
    fetch(url('/api/sql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });

  it.each(PROTECTED_GETS)('GET %s: 401 without a token or with a wrong one, 200 with either token', async (path) => {
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: expect.stringMatching(/token is required/) });
    const wrong = await get(path, 'not-the-token-at-all-000');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'the token is not valid' });
    // Allowed: answered (404 is /api/window before the first window closes), never refused.
    const allowed = [200, 404];
    expect(allowed).toContain((await get(path, VIEW)).status);
    expect(allowed).toContain((await get(path, ADMIN)).status);
    // Kiosk URLs carry the token in the query string.
    expect(allowed).toContain((await fetch(url(`${path}${path.includes('?') ? '&' : '?'}token=${VIEW}`))).status);
  });

  it('keeps the wall, health and readiness public', async () => {
    expect((await get('/')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    expect([200, 503]).toContain((await get('/readyz')).status);
  });

  it('lets only the admin token change rules and silences', async () => {
    const silence = { matchers: ['sku="SKU-1"'], duration: '1h', comment: 'test', createdBy: 'security test' };
    const asView = await fetch(url('/api/silences'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEW}` },
      body: JSON.stringify(silence),
    });
    expect(asView.status).toBe(403);
    expect(await asView.json()).toMatchObject({ error: expect.stringMatching(/admin token/) });
    const rules = await (await get('/api/alerts/rules', VIEW)).json();
    const put = await fetch(url('/api/alerts/rules'), {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEW}` },
      body: JSON.stringify(rules),
    });
    expect(put.status).toBe(403);
    expect((await fetch(url('/api/silences/x'), { method: 'DELETE', headers: { authorization: `Bearer ${VIEW}` } })).status).toBe(403);
    const asAdmin = await fetch(url('/api/silences'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify(silence),
    });
    expect(asAdmin.status).toBeLessThan(300);
    // The view token may still query (POST /api/sql is a read).
    expect((await sql('SELECT 1 AS one', VIEW)).status).toBe(200);
  });

  it('refuses WebSocket upgrades without a valid token before the handshake completes', async () => {
    const refusedWith = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(app.url.replace('http', 'ws') + path);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => reject(new Error(`${path} was accepted`)));
        ws.once('error', () => undefined);
      });
    expect(await refusedWith('/ws')).toBe(401);
    expect(await refusedWith('/ws?token=wrong-token-0000000000')).toBe(401);
    const ws = new WebSocket(app.url.replace('http', 'ws') + `/ws?token=${VIEW}`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'snapshot' });
    ws.close();
  });

  it.each(INJECTIONS)('treats %j as data in every API parameter', async (value) => {
    const v = encodeURIComponent(value);
    const paths = [
      `/api/trending?dimension=${v}`,
      `/api/trending?dimension=sku&window=60m&region=${v}`,
      `/api/trending?dimension=sku&window=${v}`,
      `/api/spikes?dimension=${v}`,
      `/api/spikes?status=${v}`,
      `/api/spikes?key=${v}`,
      `/api/spikes?limit=${v}`,
      `/api/window?dimension=sku&key=${v}`,
      `/api/series?dimension=sku&key=${v}&from=1764000000000&step=1h`,
      `/api/series?dimension=sku&key=SKU-1&from=${v}&step=1h`,
      `/api/series?dimension=query&key=x&from=1764000000000&step=1h&region=${v}`,
      `/api/alerts?status=${v}`,
    ];
    for (const path of paths) {
      const response = await get(path, ADMIN);
      // Either refused as invalid, or answered with the value taken literally: never a server error.
      expect([200, 400, 404], `${path} -> ${response.status}`).toContain(response.status);
    }
    const [tables] = (await (await sql("SELECT count() AS n FROM system.tables WHERE database = 'trendmon'")).text()).split('\n');
    expect(Number(JSON.parse(tables!).n)).toBeGreaterThan(6);
  });

  it.each([
    "INSERT INTO trendmon.events_sale (id, ts, sku, qty) VALUES ('x', now(), 'S', 1)",
    'ALTER TABLE trendmon.events_sale DELETE WHERE 1',
    'DROP TABLE trendmon.events_sale',
    'TRUNCATE TABLE trendmon.dead_letters',
    'CREATE TABLE trendmon.evil (x UInt8) ENGINE = Memory',
    'SYSTEM SHUTDOWN',
    'SET readonly = 0',
    'SELECT 1 SETTINGS readonly = 0',
    'SELECT 1; DROP TABLE trendmon.events_view',
    'SELECT * FROM file(\'/etc/passwd\')',
    "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')",
    'KILL QUERY WHERE 1',
  ])('refuses %j through /api/sql', async (query) => {
    const response = await sql(query);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await response.json()).toMatchObject({ error: expect.any(String) });
    const check = await sql("SELECT count() AS n FROM system.tables WHERE database = 'trendmon' AND name IN ('events_sale', 'events_view', 'dead_letters')");
    expect(Number(JSON.parse((await check.text()).trim()).n)).toBe(3);
  });

  it('refuses oversize bodies and keeps serving', async () => {
    const response = await fetch(url('/api/sql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ query: `SELECT '${'x'.repeat(2_000_000)}'` }),
    });
    expect(response.status).toBe(413);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('closes a WebSocket that sends oversize frames or floods, and keeps serving others', async () => {
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(app.url.replace('http', 'ws') + `/ws?token=${VIEW}`);
        ws.once('message', () => resolve(ws));
        ws.once('error', reject);
      });
    const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const big = await open();
    const bigClosed = closed(big);
    big.send('x'.repeat(64 * 1024));
    expect(await bigClosed).toBe(1009);

    const flood = await open();
    const floodClosed = closed(flood);
    for (let i = 0; i < 2_000; i++) flood.send('{}');
    expect(await floodClosed).toBe(1008);

    const healthy = await open();
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    healthy.close();
  });

  it('sends security headers and a strict Content-Security-Policy, with CORS off', async () => {
    const response = await fetch(url('/'), { headers: { origin: 'https://evil.example.com' } });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('never shows a token in /metrics', async () => {
    const metrics = await (await get('/metrics', ADMIN)).text();
    expect(metrics).not.toContain(ADMIN);
    expect(metrics).not.toContain(VIEW);
  });
});
