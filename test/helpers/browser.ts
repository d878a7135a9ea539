/**
 * The system's Debian Chromium driven by playwright-core. Tests never
 * download a browser; without one they fail loudly rather than skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface WallPage {
  readonly browser: Browser;
  readonly page: Page;
  /** Uncaught exceptions and Content Security Policy violations in the page so far. */
  readonly errors: readonly string[];
  close(): Promise<void>;
}

/**
 * Opens the wall at `baseUrl` with an optional query (`?board=query` or
 * `board=query`) in a fresh browser with a 1920x1080 screen and a fixed
 * locale, so formatted numbers are predictable.
 */
export async function openWall(
  baseUrl: string,
  query = '',
  viewport = { width: 1920, height: 1080 },
): Promise<WallPage> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) errors.push(message.text());
    });
    const search = query === '' || query.startsWith('?') ? query : `?${query}`;
    await page.goto(new URL(`/${search}`, baseUrl).href);
    return { browser, page, errors, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
