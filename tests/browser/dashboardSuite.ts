/**
 * The dashboard in a real browser against a real stack (issue 13): every page loads without an error
 * and passes axe-core, and each application works through its page. One suite, run against `npm start`
 * (tests/browser/dashboard.test.ts) and against the compose stack's web port in the container tests
 * (tests/containers/dashboard.test.ts).
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, readmeScreenshot, screenshot, watchErrors, type Target } from './browser.js';

const PAGES = [
  { path: '/', name: 'overview', heading: 'Overview', ready: 'Services' },
  { path: '/movies', name: 'movies', heading: 'Movies', ready: 'Add a movie' },
  { path: '/orders', name: 'orders', heading: 'Orders', ready: 'Stored orders, newest first' },
  { path: '/vote', name: 'vote', heading: 'Vote', ready: 'Results' },
  { path: '/system', name: 'system', heading: 'System', ready: 'Operating system' },
  { path: '/predict', name: 'predict', heading: 'Prediction', ready: 'Model card' },
] as const;

/**
 * How long a check waits for the page to get somewhere: vitest's default of 1 s is too short for a
 * vote's fsync or a list's refresh on a loaded 2-core CI host running the whole stack and Chromium.
 */
const patient = { timeout: 15_000 };

const NARROW_RULES = ['scrollable-region-focusable', 'target-size', 'meta-viewport', 'region'];

/** A run's own marker, so that what a test looks for was made by this run. */
const run = Date.now().toString(36);

/**
 * Declares the suite: `where` names the stack in the test names, `startTarget` gives the dashboard's
 * URL, `screenshotPrefix` keeps each stack's screenshots apart. Skipped unless `enabled`.
 */
export function describeDashboard(
  where: string,
  startTarget: () => Promise<Target>,
  { enabled, screenshotPrefix = '' }: { enabled: boolean; screenshotPrefix?: string },
): void {
  describe.runIf(enabled)(`the dashboard in Chromium, ${where}`, () => {
    let target: Target;
    let browser: Browser;
    let context: BrowserContext;

    beforeAll(async () => {
      [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await target?.stop();
    });

    async function open(path: string, page?: Page): Promise<Page> {
      const tab = page ?? (await context.newPage());
      await tab.goto(target.baseUrl + path);
      return tab;
    }

    /** A page is there once its heading and its content (not a loading line) are. */
    async function loaded(page: Page, entry: (typeof PAGES)[number]) {
      await page.getByRole('heading', { level: 1, name: entry.heading }).waitFor();
      await page.getByRole('heading', { name: entry.ready, exact: true }).waitFor();
      await expect.poll(() => page.locator('.state-loading').count(), { timeout: 10_000 }).toBe(0);
    }

    /** axe-core's serious and critical violations; `rules` to run only those (what width changes). */
    async function seriousViolations(page: Page, rules?: string[]) {
      const builder = new AxeBuilder({ page });
      const results = await (rules ? builder.withRules(rules) : builder).analyze();
      return results.violations
        .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
        .map(
          (violation) =>
            `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target).join(', ')})`,
        );
    }

    it('loads every page from the navigation bar without an error, with no serious axe violation', async () => {
      const page = await open('/');
      const errors = watchErrors(page);
      for (const entry of PAGES) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: entry.heading }).click();
        await loaded(page, entry);
        expect(new URL(page.url()).pathname).toBe(entry.path);
        expect(await seriousViolations(page), entry.path).toEqual([]);
        await screenshot(page, `${screenshotPrefix}${entry.name}`);
      }
      expect(errors, target.errorLog?.()).toEqual([]);
      await page.close();
    }, 90_000);

    it('lays every page out at 375 px without a horizontal scroll bar or a scrolling region a keyboard misses', async () => {
      const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
      const page = await phone.newPage();
      const errors = watchErrors(page);
      for (const entry of PAGES) {
        await open(entry.path, page);
        await loaded(page, entry);
        const width = await page.evaluate<number>('document.documentElement.scrollWidth');
        expect(width, entry.path).toBeLessThanOrEqual(375);
        // Every rule ran on the desktop pass; what a narrow screen changes is scrolling and target sizes.
        expect(await seriousViolations(page, NARROW_RULES), entry.path).toEqual([]);
        await screenshot(page, `${screenshotPrefix}${entry.name}-375`);
      }
      expect(errors, target.errorLog?.()).toEqual([]);
      await phone.close();
    }, 90_000);

    it('answers a deep link and an unknown page with the app, and reaches the main content by keyboard', async () => {
      const page = await open('/no-such-page');
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await open('/', page);
      await loaded(page, PAGES[0]);
      await page.keyboard.press('Tab');
      await expect.poll(() => page.evaluate('document.activeElement?.textContent'), patient).toBe('Skip to content');
      await page.keyboard.press('Tab');
      await expect
        .poll(() => page.evaluate("document.activeElement?.getAttribute('aria-label')"), patient)
        .toBe('Shipshape, overview');
      await page.close();
    });

    it('shows a movie created in the page in its search, edits it and deletes it', async () => {
      const page = await open('/movies');
      const form = page.getByRole('form', { name: 'Add a movie' });
      const title = `Browser test ${run}`;
      await form.getByLabel('Title').fill(title);
      await form.getByLabel('Description').fill('Made by tests/browser');
      await form.getByRole('button', { name: 'Add movie' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Added “${title}”` })
        .waitFor();

      await page.getByLabel('Search by title').fill(run);
      const rows = page.locator('tbody tr');
      await expect.poll(() => rows.allInnerTexts(), patient).toEqual([expect.stringContaining(title)]);

      await page.getByRole('button', { name: `Edit ${title}` }).click();
      const edit = page.getByRole('form', { name: `Edit “${title}”` });
      await edit.getByLabel('Title').fill(`${title} (edited)`);
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => rows.allInnerTexts(), patient).toEqual([expect.stringContaining(`${title} (edited)`)]);

      // The API's own 400 lands next to the field: a title of 201 characters passes no form check here.
      await form.getByLabel('Title').fill('x'.repeat(201));
      await form.getByRole('button', { name: 'Add movie' }).click();
      await expect(form.getByLabel('Title').getAttribute('aria-invalid')).resolves.toBe('true');
      await page.getByText('title must be at most 200 characters').waitFor();

      await page.getByRole('button', { name: `Delete ${title} (edited)` }).click();
      await page.getByText(`No movie has “${run}” in its title.`).waitFor();
      await page.close();
    });

    it('shows an order placed in the page in the stored list once billing has stored it', async () => {
      const page = await open('/orders');
      const form = page.getByRole('form', { name: 'Place an order' });
      await form.getByLabel('User id').fill('42');
      await form.getByLabel('Number of items').fill('3');
      await form.getByLabel('Total amount').fill('27.50');
      await form.getByRole('button', { name: 'Place order' }).click();
      const id = await page.getByTestId('order-id').textContent();
      expect(id).toMatch(/\S/);
      await page.getByText('Stored by billing').waitFor({ timeout: 20_000 });
      const row = page.locator('tbody tr.fresh');
      await expect.poll(() => row.innerText(), patient).toContain(id!);
      expect(await row.innerText()).toMatch(/42\s+3\s+27\.50/);
      await page.close();
    });

    it('moves the live results in one browser when another votes, without a reload', async () => {
      const watcher = await open('/vote');
      await watcher.getByText('Live', { exact: true }).waitFor();
      const total = watcher.getByTestId('results-total');
      await total.waitFor();
      // A mark on this document: a reload would make a new one without it.
      await watcher.evaluate(`window.shipshapeRun = '${run}'`);
      const counted = async () =>
        Number((await total.innerText()).match(/^([\d,]+) voters? counted/)?.[1]?.replace(/,/g, '') ?? 0);
      const start = await counted();

      const voterContext = await browser.newContext();
      const voter = await voterContext.newPage();
      await voter.goto(`${target.baseUrl}/vote`);
      const first = voter.getByRole('group').getByRole('button').first();
      await first.click();
      await expect.poll(() => first.getAttribute('aria-pressed'), patient).toBe('true');
      await voter.getByText(/^You voted for /).waitFor();

      await expect.poll(counted, { timeout: 15_000 }).toBe(start + 1);
      expect(await watcher.evaluate<string>('window.shipshapeRun')).toBe(run);
      // The voter's own choice survives a reload (the cookie is HttpOnly; the page remembers it).
      await voter.reload();
      await expect
        .poll(() => voter.getByRole('group').getByRole('button').first().getAttribute('aria-pressed'), patient)
        .toBe('true');
      await voterContext.close();
      await watcher.close();
    });

    it('shows the system service’s limits, or says there is none, and its live samples', async () => {
      const page = await open('/system');
      await page.getByText('Live', { exact: true }).waitFor();
      for (const gauge of ['cpu', 'memory']) {
        const limit = await page.getByTestId(`${gauge}-limit`).innerText();
        expect(limit).toMatch(/^(limit \d|no limit \(host: )/);
      }
      const samples = page.getByText(/^\d+ samples$/);
      await expect
        .poll(async () => Number((await samples.innerText()).split(' ')[0]), { timeout: 10_000 })
        .toBeGreaterThan(1);
      await expect(page.locator('canvas[role="img"]').count()).resolves.toBe(1);
      await page.close();
    });

    it('answers the prediction form with a class of the model card and its probabilities', async () => {
      const page = await open('/predict');
      await loaded(page, PAGES[5]);
      const classes = await page.locator('table.matrix tbody th').allInnerTexts();
      expect(classes.length).toBeGreaterThanOrEqual(2);
      await page.getByRole('button', { name: 'Predict' }).click();
      const answer = page.getByTestId('prediction');
      await answer.waitFor();
      const predicted = await answer.locator('.prediction').innerText();
      expect(classes).toContain(predicted);
      const percents = await answer.locator('.bar-value').allInnerTexts();
      const sum = percents.reduce((total, text) => total + Number.parseFloat(text), 0);
      expect(sum).toBeGreaterThan(99);
      expect(sum).toBeLessThan(101);
      await page.close();
    });

    it('counts on the overview what the other tests made', async () => {
      const page = await open('/');
      await loaded(page, PAGES[0]);
      const figure = (caption: string) =>
        page
          .locator('.stat', { hasText: caption })
          .locator('.figure')
          .innerText()
          .then((text) => Number(text.replace(/,/g, '')));
      await expect.poll(() => figure('orders stored by billing'), patient).toBeGreaterThanOrEqual(1);
      await expect.poll(() => figure('voters counted'), patient).toBeGreaterThanOrEqual(1);
      await expect.poll(() => page.locator('tbody .badge').count(), patient).toBeGreaterThan(0);
      const states = await page.locator('tbody .badge').allInnerTexts();
      for (const state of states) expect(state).toMatch(/up|not ready|down/);
      if (process.env.UPDATE_README_SCREENSHOT === '1' && screenshotPrefix === '')
        await screenshot(page, 'dashboard', readmeScreenshot);
      await page.close();
    });
  });
}
