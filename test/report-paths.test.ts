// The path matrix (reports/paths.ts) over synthetic results: exact cells, exact finding sentences, the renderings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../lib/result.ts';
import type { PlainTransport } from '../lib/transports.ts';
import type { Via } from '../net/path.ts';
import { buildPathsResult, pathFindings, pathName, renderPathsHtml, renderPathsMarkdown, renderPathsTerminal, BYTES_NOTE, type PathRun } from '../reports/paths.ts';
import { SYNTHETIC_TYPICAL, syntheticRun, type SyntheticFigures } from './helpers/synthetic.ts';

type Figures = Partial<Record<PlainTransport, Partial<SyntheticFigures>>>;

/** A synthetic run on one path: typical figures with `changes`, and the round trip the clients measured. */
function pathRun(link: 'loopback' | 'lan' | 'wan' | 'mobile', via: Via, changes: Figures, measuredRttUs?: number, rttMs = 0): PathRun {
  const figures: Partial<Record<PlainTransport, SyntheticFigures>> = {};
  for (const [t, f] of Object.entries(changes) as [PlainTransport, Partial<SyntheticFigures>][]) figures[t] = { ...SYNTHETIC_TYPICAL[t], ...f };
  const result: RunResult = syntheticRun(figures, { link, via, rttMs });
  for (const t of result.transports) {
    t.path = { via, ...(link === 'loopback' ? {} : { link: { profile: link, rttMs, jitterMs: 0, bandwidthKbit: 0, ...(measuredRttUs === undefined ? {} : { measuredRttMinUs: measuredRttUs, measuredRttP50Us: measuredRttUs }) } }) };
  }
  return { link, via, path: pathName({ link, via }), result };
}

test('a link finding states each median growth in RTTs of the measured round trip, and noise as noise', () => {
  const runs = [
    pathRun('loopback', 'direct', { 'long-poll': { p50Us: 1400 }, ws: { p50Us: 420 }, sse: { p50Us: 520 } }),
    pathRun('wan', 'direct', { 'long-poll': { p50Us: 83_000 }, ws: { p50Us: 40_420 }, sse: { p50Us: 720 } }, 80_000, 80),
  ];
  assert.deepEqual(pathFindings(runs), [
    "Over wan via direct (measured RTT 80.0 ms, half of it 40.0 ms), against loopback via direct: long-poll's median grew by 1.02 RTT (81.6 ms), ws's median grew by 0.50 RTT (40.0 ms) and sse's median did not move beyond noise (+200 µs).",
  ]);
});

test('a link without a measured round trip says the configured one is used; a link without a loopback run has no finding', () => {
  const runs = [pathRun('loopback', 'nginx-tuned', { ws: { p50Us: 1000 } }), pathRun('mobile', 'nginx-tuned', { ws: { p50Us: 76_000 } }, undefined, 150), pathRun('wan', 'direct', { ws: { p50Us: 41_000 } }, 80_000, 80)];
  assert.deepEqual(pathFindings(runs), ["Over mobile via nginx-tuned (configured RTT (not measured) 150 ms, half of it 75.0 ms), against loopback via nginx-tuned: ws's median grew by 0.50 RTT (75.0 ms)."]);
});

test('proxy findings compare nginx-default with nginx-tuned per transport: withheld, delayed, within noise, errored', () => {
  const runs = [
    pathRun('loopback', 'nginx-default', { sse: { p50Us: 1_200_000, lost: 4000 }, 'fetch-stream': { p50Us: 560 }, ws: { error: 'upgrade refused' } }),
    pathRun('loopback', 'nginx-tuned', { sse: { p50Us: 520 }, 'fetch-stream': { p50Us: 600 }, ws: { p50Us: 450 } }),
  ];
  assert.deepEqual(pathFindings(runs), [
    'On loopback, ws through nginx-default vs nginx-tuned: errored through nginx-default (upgrade refused).',
    'On loopback, sse through nginx-default vs nginx-tuned: the default config withheld 4,000 more deliveries (96,000 of 100,000 vs 100,000 of 100,000; lost 4,000 vs 0); the default config delayed events: median 1.20 s vs 520 µs (+1.20 s).',
    'On loopback, fetch-stream through nginx-default vs nginx-tuned: both missed 0 deliveries (100,000 of 100,000 vs 100,000 of 100,000; lost 0 vs 0); the medians are the same within noise (560 µs vs 600 µs).',
  ]);
});

test('the combined result holds every cell; the terminal and Markdown matrices have a row per transport and a column per link, per via', () => {
  const runs = [
    pathRun('loopback', 'direct', { 'long-poll': { p50Us: 1400, p99Us: 9000, bytesPerEvent: 240.5 }, ws: { p50Us: 420, p99Us: 4000, bytesPerEvent: 131 } }),
    pathRun('wan', 'direct', { 'long-poll': { p50Us: 83_000, p99Us: 170_000, bytesPerEvent: 480 }, ws: { p50Us: 40_420, p99Us: 48_000, bytesPerEvent: 131, lost: 3 } }, 80_000, 80),
  ];
  const result = buildPathsResult(runs, '2025-01-01T00:00:00.000Z', '2025-01-01T00:02:00.000Z');
  assert.equal(result.kind, 'rtbench-paths');
  assert.deepEqual(result.paths, ['loopback/direct', 'wan/direct']);
  assert.deepEqual(result.transports, ['long-poll', 'ws']);
  assert.equal(result.matrix.length, 4);
  assert.deepEqual(result.matrix[3], { transport: 'ws', path: 'wan/direct', status: 'ok', p50Us: 40_420, p99Us: 48_000, bytesPerEvent: 131, deliveredEvents: 99_997, expectedDeliveries: 100_000, lost: 3 });
  assert.equal(result.findings.length, 1);

  const lines = renderPathsTerminal(result).split('\n');
  assert.equal(lines[0], 'rtbench paths: 2 paths x 2 transports (100 clients, 100 events/s, 8.00 s window per path)');
  assert.equal(lines[3], 'via direct                    loopback                                  wan');
  assert.equal(lines[4], 'long-poll    1.40 ms / 9.00 ms · 241 B             83.0 ms / 170 ms · 480 B');
  assert.equal(lines[5], 'ws            420 µs / 4.00 ms · 131 B   40.4 ms / 48.0 ms · 131 B · 3 lost');
  assert.ok(lines.includes(BYTES_NOTE));
  assert.ok(lines.includes(`- ${result.findings[0] as string}`));

  const md = renderPathsMarkdown(result).split('\n');
  assert.ok(md.includes('| via direct | loopback | wan |'));
  assert.ok(md.includes('| long-poll | 1.40 ms / 9.00 ms · 241 B | 83.0 ms / 170 ms · 480 B |'));
  assert.ok(md.includes('| ws | 420 µs / 4.00 ms · 131 B | 40.4 ms / 48.0 ms · 131 B · 3 lost |'));
  assert.ok(md.includes(`- ${result.findings[0] as string}`));

  const html = renderPathsHtml(result, '2025-01-01T00:03:00.000Z');
  assert.ok(html.includes('<tr><th>via direct</th><th>loopback</th><th>wan</th></tr>'));
  assert.ok(html.includes('<tr><th>ws</th><td>420 µs / 4.00 ms · 131 B</td><td>40.4 ms / 48.0 ms · 131 B · 3 lost</td></tr>'));
  assert.ok(html.includes(`<li>${result.findings[0] as string}</li>`));
});

test('an errored cell says so; a via with one path has its own block', () => {
  const runs = [pathRun('loopback', 'direct', { sse: { p50Us: 520 } }), pathRun('loopback', 'nginx-default', { sse: { error: 'no events' } })];
  const lines = renderPathsTerminal(buildPathsResult(runs, 'a', 'b')).split('\n');
  assert.ok(!lines.includes('Findings:'), 'no loopback pair of proxies, no link: nothing to find');
  assert.equal(lines[0], 'rtbench paths: 2 paths x 1 transport (100 clients, 100 events/s, 8.00 s window per path)');
  assert.ok(lines.includes('via direct                   loopback'));
  assert.ok(lines.includes('sse          520 µs / 5.00 ms · 152 B'));
  assert.ok(lines.includes('via nginx-default   loopback'));
  assert.ok(lines.includes('sse                  errored'));
});
