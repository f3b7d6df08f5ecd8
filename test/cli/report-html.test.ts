import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionLine } from '../admission/log-lines.js';
import { chromiumAvailable, launchChromium } from './chromium.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ztgate-report-html-'));
const START = Date.UTC(2026, 0, 1, 10, 2);
const minute = (n: number) => START + n * 60_000;
// A name anyone could give an object: escaped, it is text; unescaped, it would fetch an image.
const HOSTILE = '<img src="http://127.0.0.1:9/pixel.png">';

/**
 * 90 minutes of decisions: denials in shop and payments, audit-mode warnings in legacy, a dry run
 * (counted apart), and a pod with a hostile name. 10:02 to 11:32 in 5-minute buckets from 10:00
 * is 19 points a line.
 */
function log(): string[] {
  const lines: string[] = [];
  for (let n = 0; n <= 90; n += 10) {
    lines.push(
      decisionLine({
        time: minute(n),
        decision: 'deny',
        namespace: 'shop',
        name: 'web',
        rules: ['allow-list-policy'],
      }),
    );
    lines.push(
      decisionLine({
        time: minute(n + 1),
        decision: 'warn',
        namespace: 'legacy',
        name: 'old',
        rules: ['namespace-default-deny', 'allow-list-policy'],
      }),
    );
  }
  lines.push(
    decisionLine({
      time: minute(45),
      decision: 'deny',
      namespace: 'payments',
      name: 'pay',
      kind: 'Pod',
      rules: ['dedicated-service-account'],
    }),
  );
  lines.push(
    decisionLine({
      time: minute(50),
      decision: 'deny',
      namespace: 'payments',
      name: HOSTILE,
      kind: 'Pod',
      rules: ['dedicated-service-account'],
    }),
  );
  lines.push(
    decisionLine({
      time: minute(60),
      decision: 'deny',
      namespace: 'shop',
      name: 'web',
      dryRun: true,
      rules: ['x'],
    }),
  );
  lines.push(decisionLine({ time: minute(90), decision: 'allow', namespace: 'shop', name: 'api' }));
  return lines;
}

describe.runIf(chromiumAvailable())('ztgate report -o html in headless Chromium', () => {
  let page: import('playwright-core').Page;
  let close: () => Promise<void>;
  const requests: string[] = [];
  let html = '';

  beforeAll(async () => {
    const input = join(dir, 'decisions.log');
    writeFileSync(input, `${log().join('\n')}\n`);
    const result = await runCli('report', ['-o', 'html', input]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    html = result.stdout;
    const output = join(dir, 'report.html');
    writeFileSync(output, html);
    const browser = await launchChromium();
    close = browser.close;
    page = await browser.context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(output).href, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => close?.());

  it('renders the summary tables', async () => {
    expect(await page.title()).toBe('ztgate decision report');
    const totals = await page.locator('#totals tr').allInnerTexts();
    expect(totals.map((row) => row.split('\t').map((cell) => cell.trim()))).toEqual([
      ['', 'decisions', 'allowed', 'warned', 'denied'],
      ['requests', '23', '1', '10', '12'],
      ['dry runs (counted apart)', '1', '0', '0', '1'],
    ]);
    const byRule = await page.locator('table:has(caption:text("Warnings by rule")) td').allInnerTexts();
    expect(byRule).toEqual(['allow-list-policy', '10', 'namespace-default-deny', '10']);
  });

  it('draws denials and warnings over time by namespace and by rule, one point a 5-minute bucket', async () => {
    const charts = {
      'chart-deny-by-namespace': ['shop', 'payments'],
      'chart-deny-by-rule': ['allow-list-policy', 'dedicated-service-account'],
      'chart-warn-by-namespace': ['legacy'],
      'chart-warn-by-rule': ['allow-list-policy', 'namespace-default-deny'],
    };
    for (const [id, series] of Object.entries(charts)) {
      const svg = page.locator(`#${id} svg`);
      expect(await svg.getAttribute('data-buckets')).toBe('19');
      const lines = svg.locator('polyline');
      expect(await lines.evaluateAll((all) => all.map((line) => line.getAttribute('data-series')))).toEqual(
        series,
      );
      const points = await lines.evaluateAll((all) =>
        all.map((line) => (line as unknown as { points: { numberOfItems: number } }).points.numberOfItems),
      );
      expect(points).toEqual(series.map(() => 19));
      expect(await svg.locator('circle').count()).toBe(19 * series.length);
      // Rendered: the browser laid the chart out at its size.
      expect((await svg.boundingBox())?.width).toBeGreaterThan(700);
    }
    // Each point counts its bucket: shop's denials, one every 10 minutes from 10:02.
    const shop = await page
      .locator('#chart-deny-by-namespace polyline[data-series="shop"] ~ circle title')
      .evaluateAll((all) => all.map((title) => title.textContent ?? ''));
    expect(shop.filter((title) => title.startsWith('shop: 1')).length).toBe(10);
  });

  it('lists the most refused objects with their rule and fix', async () => {
    const rows = page.locator('#top-refused tr');
    expect(await rows.count()).toBe(4);
    const first = await rows.nth(1).innerText();
    expect(first).toContain('Deployment shop/web');
    expect(first).toContain('[allow-list-policy]');
    expect(await rows.nth(1).locator('pre').innerText()).toContain('kind: ServiceAccount');
  });

  it('shows a hostile name as text and makes no network request', async () => {
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('#top-refused').innerText()).toContain(HOSTILE);
    expect(requests).toEqual([page.url()]);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\ssrc="|\shref="/i);
  });
});
