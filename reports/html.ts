// Self-contained HTML report: summary table (best per row highlighted), "who won" cards, warnings, and
// Chart.js charts inlined with their data, so the one file opens offline anywhere.
// Pure: the same results and generatedAt give the same bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RunResult, TransportResult } from '../lib/result.ts';
import { TRANSPORT_LABELS, type Transport } from '../lib/transports.ts';
import { TRANSPORT_COLORS, chartNotes, chartsFor, type ChartNote, type ChartSpec, type TaggedRun } from './charts.ts';
import { NONE, formatBytes, formatCount, formatMs, formatRate, formatSig, formatUs } from './format.ts';
import { CHANGE_LEGEND, GATE_SENTENCE, NOISE_TAGS, beforeAfterCell, layoutFor } from './change.ts';
import { differences } from './differences.ts';
import { floorText } from './floor.ts';
import { linkText } from './link.ts';
import { BOUND_EXPLAIN, VALID_EXPLAIN, boundOf, boundText, cellText, explainText, hasHealth, loadText, metric, orderedTransports, pathNote, pathText, processesText, statusText, validText, visibleMetrics, wireText, type MetricDef } from './metrics.ts';
import { JOINT_TEXT, TOO_FEW_TEXT, isComparable, listText, rankMetric, secondsNeededText, verdicts } from './ranking.ts';
import { allRows, sectionsFor } from './scenarios.ts';
import { warningsFor, type Warning } from './warnings.ts';

/** Options of the HTML report. */
export interface HtmlOptions {
  /** Timestamp printed on the generated-at line, the only line that differs between two renders. */
  generatedAt: string;
}

/** Marks the one line of a report that varies between renders (tests strip the line holding it). */
export const GENERATED_AT_MARKER = '<p class="generated">';

let assets: { chartJs: string; script: string; css: string } | undefined;

/** Chart.js (UMD build) and the report's own script and styles, read once. */
function loadAssets(): { chartJs: string; script: string; css: string } {
  if (!assets) {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('chart.js'));
    let chartJs: string;
    try {
      chartJs = readFileSync(join(dist, 'chart.umd.min.js'), 'utf8');
    } catch {
      chartJs = readFileSync(join(dist, 'chart.umd.js'), 'utf8');
    }
    assets = {
      chartJs,
      script: readFileSync(new URL('./assets/report.js', import.meta.url), 'utf8'),
      css: readFileSync(new URL('./assets/report.css', import.meta.url), 'utf8'),
    };
  }
  return assets;
}

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Makes script text safe inside <script>: no "</script" can end it early. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

function swatch(t: Transport): string {
  return `<span class="swatch" style="background:${TRANSPORT_COLORS[t]}"></span>`;
}

/** Renders one or more runs as one self-contained HTML page. */
export function renderHtml(results: readonly RunResult[], opts: HtmlOptions): string {
  const { chartJs, script, css } = loadAssets();
  const layout = layoutFor(results);
  const charts: ChartSpec[] = [];
  let title: string;
  let body: string;
  const [before, after] = results;
  if (results.length === 0) {
    title = 'rtbench report';
    body = '<h1>rtbench report</h1>\n<p>No results.</p>';
  } else if (layout === 'before-after' && before && after) {
    title = `rtbench ${after.scenario}: before → after`;
    body = renderBeforeAfter(before, after, charts);
  } else if (layout === 'single' && before) {
    title = `rtbench ${before.scenario}${pathText(before)}: ${orderedTransports(before).map((t) => t.transport).join(' vs ')}`;
    body = `<h1>${esc(title)}</h1>\n${renderRun(before, 'r0', charts, 2)}`;
  } else {
    title = `rtbench: ${results.length} runs side by side`;
    const toc = results.map((r, i) => `<li><a href="#run-${i}">${esc(r.scenario)}</a> <span class="muted">${esc(r.startedAt)}</span></li>`).join('\n');
    const sections = results.map((r, i) => `<section id="run-${i}">\n<h2>Run ${i + 1}: ${esc(r.scenario + pathText(r))} <span class="muted">${esc(r.startedAt)}</span></h2>\n${renderRun(r, `r${i}`, charts, 3)}\n</section>`);
    body = `<h1>${esc(title)}</h1>\n<nav class="toc"><ol>\n${toc}\n</ol></nav>\n${sections.join('\n')}`;
  }
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title>`,
    `<style>\n${css}</style>`,
    '</head>',
    '<body>',
    '<main>',
    body,
    `${GENERATED_AT_MARKER}Generated at ${esc(opts.generatedAt)} by rtbench report. Charts: Chart.js, inlined; this file needs no network.</p>`,
    '</main>',
    `<script type="application/json" id="rtbench-charts">${JSON.stringify(charts).replace(/</g, '\\u003c')}</script>`,
    `<script>\n${scriptSafe(chartJs)}\n</script>`,
    `<script>\n${scriptSafe(script)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The body of one run: warnings, who won, summary table, scenario tables, charts, how it works, settings. */
function renderRun(result: RunResult, idPrefix: string, charts: ChartSpec[], level: 2 | 3): string {
  const h = `h${level}`;
  const ts = orderedTransports(result);
  const runCharts = chartsFor(idPrefix, [{ result }]);
  const notes = chartNotes(idPrefix, [{ result }]);
  charts.push(...runCharts);
  const sections = sectionsFor(ts).map((s) => {
    const findings = s.findings?.(ts) ?? [];
    const found = findings.length > 0 ? `\n<p class="findings">${esc(findings.join(' '))}</p>` : '';
    return `<${h} id="${idPrefix}-section-${s.id}">${esc(s.title)}</${h}>\n<p class="muted">${esc(s.note)}</p>\n${renderMetricTable(ts, s.rows, false)}${found}`;
  });
  const parts = [
    `<p class="muted">${esc(result.startedAt)} → ${esc(result.finishedAt)}${result.interrupted ? ' · <strong>interrupted</strong>' : ''} · ${esc(shortSettings(result))}</p>`,
    renderLink(result),
    renderWarnings(warningsFor(result)),
    renderGlance(result),
    `<${h}>Summary</${h}>`,
    `<p class="muted">Best value in each row highlighted in green (lowest, or highest where more is wanted). A timed row's best must stand clear of this run's per-second noise: its window seconds' notched median (median ± 1.58 × IQR / √n) must not overlap any other transport's. Timed rows without a per-second series are not ranked. Transports that errored, were interrupted or whose figures are invalid do not compete.</p>`,
    renderMetricTable(ts, visibleMetrics(ts), true),
    renderFloor(result),
    ...sections,
    renderIdleTable(ts, h),
    renderCapacityTable(ts, h),
    runCharts.length + notes.length > 0 ? `<${h}>Charts</${h}>\n${renderChartBoxes(runCharts, notes)}` : '',
    `<${h}>Why the transports differ</${h}>`,
    renderDifferences(result),
    renderHow(result, ts.map((t) => t.transport)),
    `<${h}>Settings and environment</${h}>`,
    renderSettings(result),
  ];
  return parts.filter((p) => p !== '').join('\n');
}

function shortSettings(r: RunResult): string {
  const o = r.options;
  if (r.transports.some((t) => t.pollCeiling)) return loadText(r);
  return `${loadText(r)} · ${formatBytes(o.payloadBytes)} payload · ${formatMs(o.durationMs)} measured`;
}

function renderWarnings(warnings: readonly Warning[]): string {
  if (warnings.length === 0) return '';
  const tag: Record<Warning['level'], string> = { invalid: 'Invalid:', error: 'Errored:', warning: 'Warning:', note: 'Note:' };
  const items = warnings.map((w) => `<li class="${w.level}"><strong>${tag[w.level]}</strong>${esc(w.message)}</li>`);
  return `<ul class="warnings">\n${items.join('\n')}\n</ul>`;
}

/** The link the run's clients went through, one paragraph (nothing without one). */
function renderLink(result: RunResult): string {
  const text = linkText(result);
  return text ? `<p class="link">${esc(text)}</p>` : '';
}

/** The instrument's floor of a run, one paragraph. */
function renderFloor(result: RunResult): string {
  const text = floorText(result);
  return text ? `<p class="floor">${esc(text)}</p>` : '';
}

/** The metrics that get a "who won" card, in order. */
const GLANCE = ['p99', 'p50', 'eventsPerSec', 'requestsPerEvent', 'bytesPerEvent', 'rssPerConnection', 'cpuPer1k', 'connectionsOpened'];

/** Cards naming the winner of the headline metrics and how far behind the worst was, or why nobody won. */
function renderGlance(result: RunResult): string {
  const ts = orderedTransports(result);
  const cards: string[] = [];
  const defs = [...sectionsFor(ts).flatMap((s) => s.rows.filter((d) => d.card !== undefined)), ...GLANCE.map(metric)];
  for (const v of verdicts(result, defs)) {
    const def = v.metric;
    const who = (names: readonly Transport[]): string => names.map((n) => `${swatch(n)}${esc(n)}`).join(', ');
    const title = `<div class="what">${esc(cardTitle(def))}</div>`;
    if (v.transports.length === 0) {
      const verdict = v.kind === 'tie' ? 'tie' : v.kind === 'too-few-seconds' ? 'cannot tell' : 'not ranked';
      const why =
        v.kind === 'tie'
          ? `${listText(v.withinNoise)} ${v.withinNoise.length === 1 ? 'is' : 'are'} within this run's per-second noise`
          : v.kind === 'too-few-seconds'
            ? `${TOO_FEW_TEXT} (${secondsNeededText(v.seconds ?? 0)})`
            : 'no per-second series to tell it from noise';
      cards.push(`<div class="card no-winner">${title}<div class="who">${verdict}</div><div class="why">${who([v.leader])} leads with ${esc(v.value)}, but ${esc(why)}</div></div>`);
      continue;
    }
    const ranking = rankMetric(def, ts);
    const leader = ts.find((t) => t.transport === v.leader);
    const bestValue = leader ? def.value(leader) : undefined;
    const rivals = ts.map((t, i) => ({ t, i, v: def.value(t) })).filter((x) => !ranking.best.includes(x.i) && isComparable(x.t) && x.v !== undefined);
    let why = '';
    if (rivals.length > 0 && bestValue !== undefined) {
      const worst = rivals.reduce((a, b) => ((def.better === 'lower' ? (b.v ?? 0) > (a.v ?? 0) : (b.v ?? 0) < (a.v ?? 0)) ? b : a));
      const wv = worst.v ?? 0;
      const factor = def.better === 'lower' ? wv / bestValue : bestValue / wv;
      const word = def.better === 'higher' ? 'fewer' : def.format === formatUs ? 'slower' : 'more';
      const times = Number.isFinite(factor) && factor >= 1.1 ? ` (${formatSig(factor, 2)}× ${word})` : '';
      why = `worst: ${swatch(worst.t.transport)}${esc(worst.t.transport)} ${esc(def.format(wv))}${esc(times)}`;
    }
    const joint = v.kind === 'joint' && def.noise !== 'exact' ? ` <span class="muted">(${esc(JOINT_TEXT)})</span>` : '';
    cards.push(`<div class="card">${title}<div class="who">${who(v.transports)} <span class="muted">${esc(v.value)}</span>${joint}</div><div class="why">${why}</div></div>`);
  }
  if (cards.length === 0) return '';
  return `<div class="glance">\n${cards.join('\n')}\n</div>`;
}

function cardTitle(def: MetricDef): string {
  const titles: Record<string, string> = {
    p99: 'Lowest tail latency (p99)',
    p50: 'Lowest typical latency (p50)',
    eventsPerSec: 'Most events delivered per second',
    requestsPerEvent: 'Fewest HTTP requests per event',
    bytesPerEvent: 'Fewest bytes per event',
    rssPerConnection: 'Least server memory per connection',
    cpuPer1k: 'Least server CPU per 1 000 events',
    connectionsOpened: 'Fewest connections opened',
  };
  return def.card ?? titles[def.id] ?? def.label;
}

/** A metric-per-row table, transports as columns, the best of each row highlighted; `summary` adds status, bound and valid rows. */
function renderMetricTable(ts: readonly TransportResult[], defs: readonly MetricDef[], summary: boolean): string {
  if (ts.length === 0) return summary ? '<p>No transports were run.</p>' : '';
  const head = `<thead><tr><th>metric</th>${ts.map((t) => `<th>${swatch(t.transport)}${esc(t.transport)}</th>`).join('')}<th class="explain">what it means</th></tr></thead>`;
  const rows: string[] = [];
  if (summary) rows.push(
    `<tr><td>status</td>${ts.map((t) => `<td class="status${t.status === 'ok' ? '' : ' errored'}">${esc(statusText(t))}</td>`).join('')}<td class="explain">ok, or why the transport failed; a failed transport does not stop the others.</td></tr>`,
  );
  for (const def of defs) {
    const best = new Set(rankMetric(def, ts).best);
    const cells = ts.map((t, i) => {
      const v = def.value(t);
      if (v === undefined) return `<td${def.missing?.(t) !== undefined ? ' class="unmeasured"' : ''}>${esc(cellText(def, t))}</td>`;
      const cls = best.has(i) ? ' class="best"' : def.id === 'lost' && v > 0 ? ' class="bad"' : '';
      return `<td${cls}>${esc(cellText(def, t))}</td>`;
    });
    rows.push(`<tr id="row-${def.id}"><td>${esc(def.label)}</td>${cells.join('')}<td class="explain">${esc(explainText(def))}</td></tr>`);
  }
  if (summary && hasHealth(ts)) {
    rows.push(
      `<tr id="row-bound"><td>bound by</td>${ts.map((t) => `<td class="status${boundOf(t) === 'generator' || boundOf(t) === 'host' ? ' bad' : ''}">${esc(boundText(t))}</td>`).join('')}<td class="explain">${esc(BOUND_EXPLAIN)}</td></tr>`,
      `<tr id="row-valid"><td>valid</td>${ts.map((t) => `<td class="status${validText(t).startsWith('no') ? ' bad' : ''}">${esc(validText(t))}</td>`).join('')}<td class="explain">${esc(VALID_EXPLAIN)}</td></tr>`,
    );
  }
  return `<div class="table-wrap"><table class="${summary ? 'summary' : 'scenario'}">\n${head}\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function renderIdleTable(ts: readonly TransportResult[], h: string): string {
  const withIdle = ts.filter((t) => t.idle && t.idle.points.length > 0);
  if (withIdle.length === 0) return '';
  const cols: Array<{ label: string; get: (t: TransportResult) => number | undefined; fmt: (v: number) => string }> = [
    { label: 'RSS / conn', get: (t) => t.idle?.rssBytesPerConnection, fmt: formatBytes },
    { label: 'heap / conn', get: (t) => t.idle?.heapBytesPerConnection, fmt: formatBytes },
    { label: 'kernel sockets / conn', get: (t) => t.idle?.kernelBytesPerConnection, fmt: formatBytes },
    { label: 'most connections held', get: (t) => t.idle?.points[t.idle.points.length - 1]?.connections, fmt: formatCount },
    { label: 'RSS there', get: (t) => t.idle?.points[t.idle.points.length - 1]?.rssBytes, fmt: formatBytes },
    { label: 'requests/s while idle', get: (t) => t.idle?.points[t.idle.points.length - 1]?.wastedRequestsPerSec, fmt: (v) => formatRate(v) },
  ];
  return `<${h}>Idle connections</${h}>\n<p class="muted">Cost of holding connections while nothing is published: least-squares slope over the sweep. Lower is better.</p>\n${lowerIsBetterTable(withIdle, cols)}`;
}

function renderCapacityTable(ts: readonly TransportResult[], h: string): string {
  const withCap = ts.filter((t) => t.capacity && t.capacity.steps.length > 0);
  if (withCap.length === 0) return '';
  const kneeOf = (t: TransportResult): number | undefined => {
    const c = t.capacity;
    if (!c) return undefined;
    if (!c.knee) return 0;
    return c.axis === 'clients' ? c.knee.clients : c.knee.rate;
  };
  const knees = withCap.map(kneeOf);
  const bestKnee = Math.max(...knees.map((k) => k ?? 0));
  const rows = withCap.map((t, i) => {
    const c = t.capacity;
    const k = knees[i];
    const unit = c?.axis === 'clients' ? 'clients' : 'events/s';
    const kneeText = !c?.knee ? 'no step held' : `${formatCount(k ?? 0)} ${unit}`;
    const cls = k !== undefined && k === bestKnee && bestKnee > 0 && knees.filter((x) => x === bestKnee).length < withCap.length ? ' class="best"' : '';
    const broke = c?.steps.find((s) => !s.held);
    const brokeText = broke ? `${formatCount(c?.axis === 'clients' ? broke.clients : broke.rate)} ${unit}: p99 ${formatUs(broke.p99Us)}${broke.lost > 0 ? `, ${formatCount(broke.lost)} lost` : ''}` : 'never (search ended)';
    return `<tr><td>${swatch(t.transport)}${esc(t.transport)}</td><td${cls}>${esc(kneeText)}</td><td>${esc(brokeText)}</td><td>${esc(formatUs(c?.sloP99Us ?? Number.NaN))}</td><td>${formatCount(c?.steps.length ?? 0)}</td></tr>`;
  });
  return `<${h}>Capacity</${h}>\n<p class="muted">The knee is the highest load whose p99 stayed within the SLO with no loss. Higher is better.</p>\n<div class="table-wrap"><table>\n<thead><tr><th>transport</th><th>knee</th><th>first step that broke</th><th>SLO p99</th><th>steps</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** A transports-by-columns table where the lowest value of each column is highlighted. */
function lowerIsBetterTable(ts: readonly TransportResult[], cols: Array<{ label: string; get: (t: TransportResult) => number | undefined; fmt: (v: number) => string }>): string {
  const bests = cols.map((c) => {
    const vals = ts.map((t) => c.get(t)).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length < 2) return undefined;
    const min = Math.min(...vals);
    return min === Math.max(...vals) ? undefined : min;
  });
  const rows = ts.map((t) => {
    const cells = cols.map((c, j) => {
      const v = c.get(t);
      if (v === undefined) return `<td>${NONE}</td>`;
      return `<td${bests[j] === v ? ' class="best"' : ''}>${esc(c.fmt(v))}</td>`;
    });
    return `<tr><td>${swatch(t.transport)}${esc(t.transport)}</td>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table>\n<thead><tr><th>transport</th>${cols.map((c) => `<th>${esc(c.label)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function renderChartBoxes(specs: readonly ChartSpec[], notes: readonly ChartNote[] = []): string {
  const boxes = specs.map((s) => {
    const wide = s.id.endsWith('-percentiles') || s.id.endsWith('-timeline') || s.id.endsWith('-capacity') || s.id.endsWith('-idle');
    return `<figure class="chart${wide ? ' wide' : ''}" id="box-${s.id}"><h3>${esc(s.title)}</h3><div class="note">${esc(s.note)}</div><div class="canvas"><canvas id="chart-${s.id}" role="img" aria-label="${esc(s.title)}"></canvas></div></figure>`;
  });
  for (const n of notes) boxes.push(`<figure class="chart not-measured" id="box-${n.id}"><h3>${esc(n.title)}</h3><p class="note">${esc(n.note)}</p></figure>`);
  return `<div class="charts">\n${boxes.join('\n')}\n</div>`;
}

/** The sentences computed from this run's figures on why its transports differ (nothing when none applies). */
function renderDifferences(result: RunResult): string {
  const why = differences(result);
  if (why.length === 0) return '';
  return `<p class="muted">In this run:</p>\n<ul class="differences">\n${why.map((d) => `<li>${esc(d)}</li>`).join('\n')}\n</ul>\n<p class="muted">How each transport works:</p>`;
}

/** One line per transport on how it works, which is why its numbers look the way they do. */
function renderHow(result: RunResult, names: readonly Transport[]): string {
  const o = result.options;
  const how: Record<Transport, string> = {
    'short-poll': `asks the server every ${formatCount(o.pollIntervalMs)} ms whether anything is new. An event waits up to a full interval (about half on average) before the next poll picks it up, and every poll is a full HTTP request and response, even when nothing happened.`,
    'long-poll': 'sends a request the server holds open until an event exists, then asks again at once. Latency is close to a push, but every delivery costs a new request with full HTTP headers, and a burst waits for the re-request.',
    ws: 'upgrades one TCP connection and sends each event as a frame with 2–14 bytes of framing. No per-event request or headers: the least overhead per event, and the channel runs both ways.',
    sse: `keeps one HTTP response open and writes each event as an "id:" and "data:" text frame. Little per-event overhead; browsers reconnect and resume with Last-Event-ID on their own. Upstream messages go over separate POST requests.`,
    'fetch-stream': 'keeps one chunked HTTP response open and writes one JSON line per event, read with fetch() and a stream reader. Like SSE without the built-in reconnect: the client resumes itself.',
    socketio: 'is the socket.io library in its default configuration: each client connects with HTTP long-polling (a handshake and a few requests), then upgrades to a WebSocket. Each event is a Socket.IO packet 42["event",{...}] (12 bytes more than the plain event), one WebSocket frame once upgraded; the library adds a ping every 25 s and its own reconnection (off here: rtbench resumes with the cursor).',
    'socketio-ws': 'is the socket.io library with WebSocket only: no polling handshake, one WebSocket from the start, then the same 42["event",{...}] packet per event, 12 bytes over plain ws, and the library\'s decoding on both sides.',
  };
  const items = names.map((n) => `<li>${swatch(n)}<strong>${esc(n)}</strong> (${esc(TRANSPORT_LABELS[n])}) ${esc(how[n])}</li>`);
  return `<ul class="how">\n${items.join('\n')}\n</ul>`;
}

function renderSettings(result: RunResult): string {
  const o = result.options;
  const e = result.environment;
  const rows: Array<[string, string]> = [
    ['scenario', result.scenario],
    ['started', result.startedAt],
    ['finished', `${result.finishedAt}${result.interrupted ? ' (interrupted)' : ''}`],
    ['transports', o.transports.join(', ')],
    ['load', loadText(result)],
    ['payload', formatBytes(o.payloadBytes)],
    ['warm-up / measured / drain', `${formatMs(o.warmupMs)} / ${formatMs(o.durationMs)} / up to ${formatMs(o.drainMs)}`],
    ['short-poll interval', `${formatCount(o.pollIntervalMs)} ms`],
    ['long-poll wait', `${formatCount(o.longPollWaitMs)} ms`],
    ['client processes', o.workers > 0 ? formatCount(o.workers) : processesText(result)],
    ['ws compression', o.wsCompression ? 'on' : 'off'],
    ['wire', wireText(result) || 'plain HTTP/1.1'],
  ];
  if (pathText(result)) rows.push(['path', `${pathText(result).trim()}. ${pathNote(result)}`]);
  if (o.injectDelayMs > 0) rows.push(['injected server delay', `${formatCount(o.injectDelayMs)} ms per tick`]);
  if (o.injectCpuUs > 0) rows.push(['injected server CPU', `${formatCount(o.injectCpuUs)} µs per event per subscriber`]);
  rows.push(
    ['Node', e.node],
    ['OS', `${e.platform} ${e.osRelease} ${e.arch}`],
    ['CPU', `${e.cpus} × ${e.cpuModel}`],
    ['memory', formatBytes(e.totalMemBytes)],
    ['host', e.hostname],
    ['rtbench', `${e.rtbenchVersion}${e.gitCommit ? ` (commit ${e.gitCommit.slice(0, 12)})` : ''}`],
  );
  const proxied = result.transports.find((t) => t.path?.proxyConfig !== undefined);
  const details = proxied?.path?.proxyConfig === undefined ? '' : `\n<details><summary>the proxy's generated config (${esc(proxied.transport)}'s; the others differ only in ports and paths)</summary><pre>${esc(proxied.path.proxyConfig)}</pre></details>`;
  return `<dl class="settings">\n${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}\n</dl>${details}`;
}

/** Two runs of one scenario: changes per metric and transport, charts overlaid (dashed = before). */
function renderBeforeAfter(before: RunResult, after: RunResult, charts: ChartSpec[]): string {
  const runs: TaggedRun[] = [
    { result: before, tag: 'before' },
    { result: after, tag: 'after' },
  ];
  const pairCharts = chartsFor('ba', runs);
  const pairNotes = chartNotes('ba', runs);
  charts.push(...pairCharts);
  const names: Transport[] = [];
  for (const t of [...orderedTransports(before), ...orderedTransports(after)]) if (!names.includes(t.transport)) names.push(t.transport);
  const find = (r: RunResult, n: Transport): TransportResult | undefined => r.transports.find((t) => t.transport === n);
  const head = `<thead><tr><th>metric</th>${names.map((n) => `<th>${swatch(n)}${esc(n)}</th>`).join('')}<th class="explain">what it means</th></tr></thead>`;
  const rows: string[] = [];
  rows.push(
    `<tr><td>status</td>${names
      .map((n) => {
        const b = find(before, n);
        const a = find(after, n);
        const bad = (a && a.status !== 'ok') || (b && b.status !== 'ok');
        return `<td class="status${bad ? ' errored' : ''}">${esc(`${b ? statusText(b) : 'not run'} → ${a ? statusText(a) : 'not run'}`)}</td>`;
      })
      .join('')}<td class="explain">ok, or why the transport failed.</td></tr>`,
  );
  for (const def of allRows([...before.transports, ...after.transports])) {
    const cells = names.map((n) => {
      const c = beforeAfterCell(def, find(before, n), find(after, n));
      if (c.kind !== 'changed') return `<td>${esc(c.text)}</td>`;
      const tag = c.noise ? NOISE_TAGS[c.noise].label : '';
      return `<td class="changed${c.noise ? ` ${c.noise}` : ''}">${esc(`${c.beforeText} → ${c.afterText}`)}<span class="delta">${esc(tag ? `${c.delta} · ${tag}` : c.delta)}</span></td>`;
    });
    rows.push(`<tr id="row-${def.id}"><td>${esc(def.label)}</td>${cells.join('')}<td class="explain">${esc(def.explain)}</td></tr>`);
  }
  const warnings = [...warningsFor(before).map((w) => ({ ...w, message: `before: ${w.message}` })), ...warningsFor(after).map((w) => ({ ...w, message: `after: ${w.message}` }))];
  const title = `rtbench ${after.scenario}: before → after`;
  const floors = [
    ['Before', floorText(before)],
    ['After', floorText(after)],
  ].flatMap(([tag, text]) => (text ? [`<p class="floor">${esc(`${tag ?? ''}: ${text}`)}</p>`] : []));
  return [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">Before: ${esc(before.startedAt)}${before.environment.gitCommit ? ` (commit ${esc(before.environment.gitCommit.slice(0, 12))})` : ''}${esc(pathText(before))} · After: ${esc(after.startedAt)}${after.environment.gitCommit ? ` (commit ${esc(after.environment.gitCommit.slice(0, 12))})` : ''}${esc(pathText(after))} · ${esc(shortSettings(after))}</p>`,
    renderWarnings(warnings),
    '<h2>What changed</h2>',
    `<p class="muted">${esc(CHANGE_LEGEND)}</p>`,
    `<p class="gate">${esc(GATE_SENTENCE).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`,
    `<div class="table-wrap"><table class="summary">\n${head}\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`,
    ...floors,
    '<h2>Who won in the after run</h2>',
    renderGlance(after),
    pairCharts.length + pairNotes.length > 0 ? `<h2>Charts</h2>\n<p class="muted">Dashed or pale = before, solid = after.</p>\n${renderChartBoxes(pairCharts, pairNotes)}` : '',
    '<h2>Settings and environment</h2>',
    '<h3>Before</h3>',
    renderSettings(before),
    '<h3>After</h3>',
    renderSettings(after),
  ]
    .filter((p) => p !== '')
    .join('\n');
}
