/** The wall with auth on, under the app's real Content-Security-Policy, in Chromium. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTestApp, type ChildApp } from '../helpers/app.js';
import { openWall } from '../helpers/browser.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const VIEW = 'wall-view-token-0123456789';

describe('the wall behind a token and a strict CSP', () => {
  let nats: TestNats;
  let app: ChildApp;

  beforeAll(async () => {
    nats = await startTestNats();
    app = await spawnTestApp(nats.url, { TRENDMON_TOKEN: 'wall-admin-token-0123456789', TRENDMON_VIEW_TOKEN: VIEW });
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('goes live with ?token= and breaks no CSP rule', async () => {
    const response = await fetch(app.url);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const wall = await openWall(app.url, `token=${VIEW}`);
    try {
      await wall.page.locator('[data-testid="conn-state"][data-state="live"]').waitFor({ timeout: 15_000 });
      await wall.page.locator('[data-testid="empty-state"]').waitFor({ state: 'visible', timeout: 10_000 });
      expect(wall.errors).toEqual([]);
    } finally {
      await wall.close();
    }
  });

  it('stays on "reconnecting" without a valid token', async () => {
    const wall = await openWall(app.url, 'token=wrong-token-000000000000');
    try {
      await wall.page.waitForTimeout(1_500);
      expect(await wall.page.locator('[data-testid="conn-state"]').getAttribute('data-state')).not.toBe('live');
    } finally {
      await wall.close();
    }
  });
});
