// `npm run bench:browser`: browser versus Node client latency for the same server (issue #11). Per transport (ws,
// sse, fetch-stream, long-poll, short-poll), the same fan-out (20 clients, 50 events/s, 100-byte payload, 2 s
// warm-up, 10 s window, short-poll every 1 s) with the subscribers in rtbench's Node clients and in headless
// Chromium (the browser's own WebSocket, EventSource, fetch() stream reader and fetch() polls), each repeated 3
// times and interleaved (per repetition and transport: Node, then Chromium) so that drift of the machine hits both.
// 20 Chromium subscribers fit by design: each has its own origin (s<id>.rtbench.test), so the browser's six
// connections per HTTP/1.1 origin never queue one behind another, and they share one page (25 a page at most)
// in one Chromium (200 at most), whose main thread handles 20 x 50 = 1 000 deliveries/s. Chromium's latencies
// carry the alignment uncertainty of the page clock (half its best round trip to the host plus performance.now()'s
// step), shown per transport. Writes bench/results/browser-<date>.json (every result, the environment and the load
// average before and after) and the Markdown table next to it, and prints the table; several minutes, on a quiet
// machine. Knobs: RTBENCH_BROWSER_TRANSPORTS (comma-separated), RTBENCH_BROWSER_CLIENTS, RTBENCH_BROWSER_RATE,
// RTBENCH_BROWSER_PAYLOAD_BYTES, RTBENCH_BROWSER_DURATION_MS, RTBENCH_BROWSER_WARMUP_MS, RTBENCH_BROWSER_REPEATS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runScenario } from '../driver/scenarios/index.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { describeEnvironment } from '../driver/environment.ts';
import { CLIENTS_IN } from '../lib/options.ts';
import { parseTransports } from '../lib/validate.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { formatBytes } from '../reports/format.ts';
import { browserMarkdownTable, browserRows, type BrowserBenchRun } from './browser-summary.ts';

const env = (name: string): string | undefined => process.env[name] || undefined;
const transports = parseTransports('RTBENCH_BROWSER_TRANSPORTS', env('RTBENCH_BROWSER_TRANSPORTS') ?? 'ws,sse,fetch-stream,long-poll,short-poll');
const settings = {
  clients: Number(env('RTBENCH_BROWSER_CLIENTS') ?? 20),
  rate: Number(env('RTBENCH_BROWSER_RATE') ?? 50),
  payloadBytes: Number(env('RTBENCH_BROWSER_PAYLOAD_BYTES') ?? 100),
  warmupMs: Number(env('RTBENCH_BROWSER_WARMUP_MS') ?? 2000),
  durationMs: Number(env('RTBENCH_BROWSER_DURATION_MS') ?? 10_000),
};
const repeats = Number(env('RTBENCH_BROWSER_REPEATS') ?? 3);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`RTBENCH_BROWSER_REPEATS must be an integer >= 1, got "${env('RTBENCH_BROWSER_REPEATS')}"`);

// Every planned run validated (and checked against this machine's limits) before the first starts.
const file = loadBuiltin('fanout');
const planned = Array.from({ length: repeats }, (_, i) => i + 1).flatMap((repetition) =>
  transports.flatMap((transport) => CLIENTS_IN.map((clientsIn) => ({ repetition, transport, clientsIn, options: resolveOptions(file, 'ci', { ...settings, clientsIn }, [transport]) }))),
);
for (const p of planned) checkMachineLimits(p.options);

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const loadBefore = loadavg();
const startedAt = new Date().toISOString();
const runs: BrowserBenchRun[] = [];
for (const [i, p] of planned.entries()) {
  if (abort.signal.aborted) break;
  const label = `[${i + 1}/${planned.length}] ${p.transport} ${p.clientsIn} #${p.repetition}`;
  const result = await runScenario(p.options, {
    signal: abort.signal,
    onProgress: (pr) => process.stderr.write(`\r${label}: ${pr.phase} ${Math.round(pr.elapsedMs / 1000)} s   `),
  });
  for (const t of result.transports) runs.push({ transport: t.transport, clientsIn: p.clientsIn, repetition: p.repetition, result: t });
}
const loadAfter = loadavg();
process.stderr.write('\n');

const rows = browserRows(runs);
const stamp = startedAt.replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const json = new URL(`./results/browser-${stamp}.json`, import.meta.url);
const md = new URL(`./results/browser-${stamp}.md`, import.meta.url);
const environment = describeEnvironment();
const chromium = runs.find((r) => r.result.browser)?.result.browser?.version;
writeFileSync(json, `${JSON.stringify({ kind: 'rtbench-bench-browser', environment, loadavg: { before: loadBefore, after: loadAfter }, interrupted: abort.signal.aborted, startedAt, finishedAt: new Date().toISOString(), settings: { ...settings, repeats, transports }, rows, runs }, null, 2)}\n`);
const load = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' ');
const table = browserMarkdownTable(rows);
writeFileSync(
  md,
  [
    `# bench:browser, ${startedAt}${abort.signal.aborted ? ' (interrupted)' : ''}`,
    '',
    `Fan-out, ${settings.clients} clients, ${settings.rate} events/s, ${formatBytes(settings.payloadBytes)} payload, ${settings.warmupMs / 1000} s warm-up, ${settings.durationMs / 1000} s window, short-poll every 1 s; ` +
      `${repeats} repetitions per transport and client, interleaved (Node, then Chromium). Chromium ${chromium ?? 'not run'}; Node ${environment.node}, ${environment.cpus} × ${environment.cpuModel}${environment.gitCommit ? `, commit ${environment.gitCommit.slice(0, 12)}${environment.gitDirty ? ' (dirty)' : ''}` : ''}. ` +
      `Load average before ${load(loadBefore)}, after ${load(loadAfter)}.`,
    '',
    'Each cell: the median of the valid repetitions (lowest–highest); Δ: Chromium minus Node; clock ±: the largest alignment uncertainty of the Chromium repetitions (every Chromium latency carries it); lost / dup: summed over the repetitions.',
    '',
    table,
  ].join('\n'),
);
process.stdout.write(`${table}\nfull results: ${json.pathname}\nMarkdown: ${md.pathname}\n`);
