// `npm run bench:paths`: the path matrix at benchmark grade. The fan-out scenario over the five plain transports
// on every path profile: links loopback, lan, wan, mobile x proxies direct, nginx-default, nginx-tuned (12 runs);
// 50 clients, 100 events/s, 2 s warm-up, 5 s window each. Writes bench/results/paths-<date>.json (the combined
// paths result with every RunResult, the environment and the load average before and after) and the Markdown
// matrix next to it, and prints the matrix; several minutes, and root for the lan and mobile links (bandwidth
// needs a network namespace). Knobs: RTBENCH_BENCH_DURATION_MS (window, default 5000), RTBENCH_BENCH_CLIENTS
// (default 50), RTBENCH_BENCH_LINKS, RTBENCH_BENCH_VIAS, RTBENCH_BENCH_TRANSPORTS (comma-separated subsets).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runScenario } from '../driver/scenarios/index.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { describeEnvironment } from '../driver/environment.ts';
import { checkLinkAllowed } from '../net/link.ts';
import { LINK_PROFILES, type LinkProfileName } from '../lib/options.ts';
import { VIAS } from '../net/path.ts';
import { PLAIN_TRANSPORTS } from '../lib/transports.ts';
import { parseTransports } from '../lib/validate.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { DEFAULT_LINKS, DEFAULT_VIAS, parseList } from '../commands/paths.ts';
import { buildPathsResult, pathName, renderPathsMarkdown, renderPathsTerminal, type PathRun } from '../reports/paths.ts';

const CLIENTS = Number(process.env.RTBENCH_BENCH_CLIENTS ?? 50);
const RATE = 100;
const WARMUP_MS = 2000;
const durationMs = Number(process.env.RTBENCH_BENCH_DURATION_MS ?? 5000);
const env = (name: string): string | undefined => process.env[name] || undefined;
const linksRaw = env('RTBENCH_BENCH_LINKS');
const viasRaw = env('RTBENCH_BENCH_VIAS');
const transportsRaw = env('RTBENCH_BENCH_TRANSPORTS');
const links = linksRaw === undefined ? [...DEFAULT_LINKS] : parseList('RTBENCH_BENCH_LINKS', linksRaw, Object.keys(LINK_PROFILES) as LinkProfileName[]);
const vias = viasRaw === undefined ? [...DEFAULT_VIAS] : parseList('RTBENCH_BENCH_VIAS', viasRaw, VIAS);
const transports = transportsRaw === undefined ? [...PLAIN_TRANSPORTS] : parseTransports('RTBENCH_BENCH_TRANSPORTS', transportsRaw);

const file = loadBuiltin('fanout');
const planned = links.flatMap((link) => vias.map((via) => ({ link, via, options: resolveOptions(file, 'ci', { clients: CLIENTS, rate: RATE, warmupMs: WARMUP_MS, durationMs, link, via }, transports) })));
for (const p of planned) {
  checkMachineLimits(p.options);
  checkLinkAllowed(p.options);
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
const loadBefore = loadavg();
const startedAt = new Date().toISOString();
const runs: PathRun[] = [];
for (const p of planned) {
  if (abort.signal.aborted) break;
  const path = pathName(p);
  const result = await runScenario(p.options, {
    signal: abort.signal,
    onProgress: (pr) => process.stderr.write(`\r${path}: ${pr.transport} ${pr.phase} ${Math.round(pr.elapsedMs / 1000)} s   `),
  });
  runs.push({ link: p.link, via: p.via, path, result });
}
const loadAfter = loadavg();
process.stderr.write('\n');

const combined = buildPathsResult(runs, startedAt, new Date().toISOString());
const stamp = startedAt.replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const json = new URL(`./results/paths-${stamp}.json`, import.meta.url);
const md = new URL(`./results/paths-${stamp}.md`, import.meta.url);
const settings = { clients: CLIENTS, rate: RATE, warmupMs: WARMUP_MS, durationMs, links, vias, transports };
writeFileSync(json, `${JSON.stringify({ kind: 'rtbench-bench-paths', environment: describeEnvironment(), loadavg: { before: loadBefore, after: loadAfter }, interrupted: abort.signal.aborted, settings, paths: combined }, null, 2)}\n`);
writeFileSync(md, renderPathsMarkdown(combined));
process.stdout.write(
  `${renderPathsTerminal(combined)}load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\nfull results: ${json.pathname}\nMarkdown: ${md.pathname}\n`,
);
