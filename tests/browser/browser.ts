/**
 * What the browser tests share: Debian's Chromium through playwright-core (DEVELOPERS.md), the
 * dashboard they test (BROWSER_BASE_URL, or an embedded stack of their own with a fresh build of
 * web/), console errors and screenshots.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startEmbeddedStack } from '../system/stack.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const screenshotDir = path.join(root, 'tests/browser/screenshots');
export const readmeScreenshot = path.join(root, 'docs/images/dashboard.png');

/**
 * Whether Chromium is there. Without it the suite is skipped with a one-line warning, except in CI,
 * where that is a failure naming the path.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium is not at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`skipping the browser tests: ${message}`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

function newestChange(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(target).map((entry) => newestChange(path.join(target, entry))));
}

/** Builds web/ when web/dist is missing or older than what it is built from. */
export function ensureWebBuild(): void {
  const built = path.join(root, 'web/dist/index.html');
  const sources = ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts', 'packages/contracts/src'];
  const stale =
    !existsSync(built) || sources.some((source) => newestChange(path.join(root, source)) > statSync(built).mtimeMs);
  if (stale) execFileSync('npm', ['run', 'build', '--silent', '-w', 'web'], { cwd: root, stdio: 'inherit' });
}

export interface Target {
  baseUrl: string;
  stop(): Promise<void>;
  /** The stack's own error lines, where the test has them, to say why a page saw an error. */
  errorLog?(): string;
}

/** The dashboard under test: BROWSER_BASE_URL as it is, or the embedded mode started here. */
export async function startTarget(): Promise<Target> {
  const given = process.env.BROWSER_BASE_URL;
  if (given) return { baseUrl: given.replace(/\/$/, ''), stop: async () => {} };
  ensureWebBuild();
  const stack = await startEmbeddedStack();
  return {
    baseUrl: stack.webUrl,
    stop: () => stack.stop(),
    // The warn, error and fatal lines of every service of the embedded process (platform's logger).
    errorLog: () =>
      stack.process
        .output()
        .split('\n')
        .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
        .join('\n'),
  };
}

/**
 * Records what a page reports as an error: console errors and uncaught exceptions. A failed request
 * (a 4xx a test provokes) is logged by Chromium as a console error too: tests that provoke one do not
 * check this. Chromium's line names no URL, so a 5xx answer is recorded with its request as well.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${page.url()})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 500) {
      errors.push(`answer: ${response.status()} to ${response.request().method()} ${response.url()} (${page.url()})`);
    }
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message} (${page.url()})`));
  return errors;
}

export async function screenshot(page: Page, name: string, file = path.join(screenshotDir, `${name}.png`)) {
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}
