/** The API's per-address rate limit answers 429 with a reason, and the wall stays reachable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

describe('API rate limit', () => {
  let nats: TestNats;
  let app: TestApp;

  beforeAll(async () => {
    nats = await startTestNats();
    app = await startTestApp(nats.url, { API_RATE_LIMIT: '20' });
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('refuses requests over the limit with 429 and keeps serving the wall and health', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await fetch(`${app.url}/api/trending`)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const refused = await fetch(`${app.url}/api/trending`);
    expect(await refused.json()).toMatchObject({ error: expect.stringMatching(/more than 20 requests a minute/) });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.url}/`)).status).toBe(200);
  });
});
