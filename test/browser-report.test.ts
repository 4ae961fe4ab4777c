// Opens generated reports in real headless Chromium with the network blocked: no console errors, every
// chart's canvas has drawn pixels in the transports' colours, the summary lists every transport; the scenario
// reports (churn, chat, burst, stream, poll-ceiling) with their extra charts too.
// Screenshots go to test-artifacts/. Chromium: RTBENCH_CHROMIUM or /usr/bin/chromium (Debian's `chromium`); a missing one fails the tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/chromium.ts';
import type { RunResult } from '../lib/result.ts';
import { PLAIN_TRANSPORTS as TRANSPORTS } from '../lib/transports.ts';
import { TRANSPORT_COLORS } from '../reports/charts.ts';
import { renderHtml } from '../reports/html.ts';


const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
let browser: Browser | undefined;

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as RunResult;
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A missing Chromium fails here, with the install command, rather than skipping the tests.
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** What a page showed: console errors, blocked requests, per-canvas pixel counts, table headers. */
interface Seen {
  errors: string[];
  blocked: string[];
  drawn: string | null;
  canvases: Array<{ id: string; painted: number; colors: string[] }>;
  headers: string[];
  /** Titles of chart boxes that hold a "not measured" note instead of a canvas. */
  notes: string[];
  /** The page's visible text. */
  text: string;
}

/** Writes `html` to test-artifacts/<name>.html, opens it offline, screenshots it, and reports what it saw. */
async function open(name: string, html: string): Promise<Seen> {
  assert.ok(browser, 'browser launched');
  const file = new URL(`${name}.html`, ARTIFACTS);
  writeFileSync(file, html);
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 }, deviceScaleFactor: 1, offline: true });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    await page.goto(file.href, { waitUntil: 'load' });
    const drawn = await page.getAttribute('html', 'data-charts-drawn');
    const colors = Object.entries(TRANSPORT_COLORS).map(([t, hex]) => {
      const n = Number.parseInt(hex.slice(1), 16);
      return { t, rgb: [(n >> 16) & 255, (n >> 8) & 255, n & 255] };
    });
    const canvases = await page.$$eval(
      'canvas',
      (els, palette) =>
        els.map((el) => {
          const canvas = el as HTMLCanvasElement;
          const ctx = canvas.getContext('2d');
          const data = ctx ? ctx.getImageData(0, 0, canvas.width, canvas.height).data : new Uint8ClampedArray();
          let painted = 0;
          const found = new Set<string>();
          for (let i = 0; i < data.length; i += 4) {
            if ((data[i + 3] ?? 0) === 0) continue;
            painted += 1;
            for (const c of palette) {
              if (Math.abs((data[i] ?? 0) - (c.rgb[0] ?? 0)) <= 2 && Math.abs((data[i + 1] ?? 0) - (c.rgb[1] ?? 0)) <= 2 && Math.abs((data[i + 2] ?? 0) - (c.rgb[2] ?? 0)) <= 2) found.add(c.t);
            }
          }
          return { id: canvas.id, painted, colors: [...found].sort() };
        }),
      colors,
    );
    const headers = await page.$$eval('table.summary thead th', (ths) => ths.map((th) => (th.textContent ?? '').trim()));
    const notes = await page.$$eval('figure.not-measured h3', (hs) => hs.map((h) => (h.textContent ?? '').trim()));
    const text = await page.innerText('body');
    await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
    return { errors, blocked, drawn, canvases, headers, notes, text };
  } finally {
    await context.close();
  }
}

function assertClean(seen: Seen, expectedCharts: number): void {
  assert.deepEqual(seen.errors, [], 'no console errors');
  assert.deepEqual(seen.blocked, [], 'no network requests');
  assert.equal(seen.drawn, String(expectedCharts), 'every chart drawn');
  assert.equal(seen.canvases.length, expectedCharts);
  for (const c of seen.canvases) {
    assert.ok(c.painted > 0, `${c.id} has drawn pixels`);
    assert.ok(c.colors.length > 0, `${c.id} shows at least one transport's colour`);
  }
}

test('the fan-out report draws every chart offline and lists every transport', async () => {
  const seen = await open('report', renderHtml([fixture('result-small.json')], { generatedAt: '2025-06-01T12:05:00.000Z' }));
  // 50 clients: memory per connection is not measured, so a note stands where its chart would be
  assertClean(seen, 7);
  assert.ok(seen.notes.includes('Server memory per connection'));
  for (const t of TRANSPORTS) assert.ok(seen.headers.includes(t), `summary shows ${t}`);
  const percentiles = seen.canvases.find((c) => c.id === 'chart-r0-percentiles');
  assert.deepEqual(percentiles?.colors, [...TRANSPORTS].sort(), 'one curve per transport');
  const timeline = seen.canvases.find((c) => c.id === 'chart-r0-timeline');
  assert.deepEqual(timeline?.colors, [...TRANSPORTS].sort());
});

test('a run with warnings, a before/after pair and idle + capacity runs side by side all render cleanly', async () => {
  const warned = await open('report-warnings', renderHtml([fixture('result-warnings.json')], { generatedAt: 'x' }));
  assertClean(warned, 7);
  for (const t of TRANSPORTS) assert.ok(warned.headers.includes(t), `summary shows ${t}`);

  const pair = await open('report-before-after', renderHtml([fixture('result-small.json'), fixture('result-after.json')], { generatedAt: 'x' }));
  assertClean(pair, 7);
  for (const t of TRANSPORTS) assert.ok(pair.headers.includes(t), `before/after shows ${t}`);

  // the same commit twice: only noise differs, and the page a reader sees names no verdict
  const rerun = renderHtml([fixture('result-small.json'), fixture('result-rerun.json')], { generatedAt: 'x' });
  const again = await open('report-rerun', rerun);
  assertClean(again, 7);
  assert.equal(/\b(better|worse)\b/i.test(again.text), false, 'no verdict on the page');

  const sbs = await open('report-side-by-side', renderHtml([fixture('result-small.json'), fixture('result-idle.json'), fixture('result-capacity.json')], { generatedAt: 'x' }));
  assertClean(sbs, 7 + 3 + 2);
  const capacity = sbs.canvases.find((c) => c.id === 'chart-r2-capacity');
  assert.deepEqual(capacity?.colors, [...TRANSPORTS].sort());
  const idle = sbs.canvases.find((c) => c.id === 'chart-r1-idle');
  assert.deepEqual(idle?.colors, [...TRANSPORTS].sort());
});

test('scenario reports draw their extra charts offline: churn, chat, burst, stream, poll-ceiling, slow-consumer', async () => {
  const expected: Record<string, string[]> = {
    churn: ['connect-times', 'connect-rates'],
    chat: ['round-trip', 'upstream'],
    burst: ['burst'],
    stream: ['first-token', 'token-bytes'],
    'poll-ceiling': ['poll-ceiling'],
    'slow-consumer': ['slow-memory'],
  };
  for (const [name, extra] of Object.entries(expected)) {
    const result = fixture(`result-${name}.json`);
    const html = renderHtml([result], { generatedAt: 'x' });
    const charts = (html.match(/<canvas id="chart-/g) ?? []).length;
    const seen = await open(`report-${name}`, html);
    assertClean(seen, charts);
    for (const id of extra) {
      const canvas = seen.canvases.find((c) => c.id === `chart-r0-${id}`);
      assert.ok(canvas, `${name} has chart ${id}`);
      assert.deepEqual(canvas.colors, result.transports.map((t) => t.transport).sort(), `${name} ${id}: a bar per transport`);
    }
    for (const t of result.transports) assert.ok(seen.headers.includes(t.transport), `${name} summary shows ${t.transport}`);
  }

  // every scenario side by side in one file: unique ids, every canvas drawn
  const all = ['churn', 'chat', 'burst', 'stream', 'poll-ceiling', 'slow-consumer', 'idle', 'capacity'].map((n) => fixture(`result-${n}.json`));
  const html = renderHtml(all, { generatedAt: 'x' });
  const seen = await open('report-all-scenarios', html);
  assertClean(seen, (html.match(/<canvas id="chart-/g) ?? []).length);
});
