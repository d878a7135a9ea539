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

export interface OpenWallOptions {
  /** Default 1920x1080. */
  readonly viewport?: { width: number; height: number };
  /** Runs before the wall loads, e.g. `page.clock.install()`: fake timers must be in place before the page's own. */
  readonly beforeLoad?: (page: Page) => Promise<void>;
}

/**
 * Opens the wall at `baseUrl` with an optional query (`?board=query` or
 * `board=query`) in a fresh browser with a 1920x1080 screen and a fixed
 * locale, so formatted numbers are predictable.
 */
export async function openWall(baseUrl: string, query = '', options: OpenWallOptions = {}): Promise<WallPage> {
  const browser = await launchChromium();
  try {
    const viewport = options.viewport ?? { width: 1920, height: 1080 };
    const page = await browser.newPage({ viewport, locale: 'en-US', timezoneId: 'UTC' });
    await options.beforeLoad?.(page);
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
