// `rtbench paths`: the path matrix. Runs the fan-out scenario once per path profile (each --links link x each
// --vias proxy), one after another, and writes one combined result (the per-path RunResults and the matrix) with
// its terminal, Markdown and HTML renderings (reports/paths.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError, Interrupted } from '../lib/errors.ts';
import { LINK_PROFILES, type LinkProfileName, type ProfileValues } from '../lib/options.ts';
import { VIAS, type Via } from '../net/path.ts';
import { checkMachineLimits } from '../driver/preflight.ts';
import { checkLinkAllowed } from '../net/link.ts';
import { runScenario } from '../driver/scenarios/index.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { buildPathsResult, pathName, renderPathsHtml, renderPathsMarkdown, renderPathsTerminal, type PathRun } from '../reports/paths.ts';
import { addOptionFlags, overridesFrom, profileFrom, runOne, type ScenarioFlags } from './run.ts';

/** Links and proxies of the matrix unless --links / --vias say otherwise. */
export const DEFAULT_LINKS: readonly LinkProfileName[] = ['loopback', 'lan', 'wan', 'mobile'];
export const DEFAULT_VIAS: readonly Via[] = ['direct', 'nginx-default', 'nginx-tuned'];

/** Raw commander options of `paths`. */
interface PathsFlags extends ScenarioFlags {
  links?: string;
  vias?: string;
}

/** The options the matrix sets itself, per path: given as flags they would be ambiguous. */
const PER_PATH = ['via', 'link', 'rttMs', 'jitterMs', 'bandwidthKbit'] as const;

/** A comma-separated list of names from `allowed`, each once. */
export function parseList<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`${flag} needs at least one name: ${allowed.join(', ')}`);
  for (const n of names) if (!(allowed as readonly string[]).includes(n)) throw new UsageError(`${flag} must list names from: ${allowed.join(', ')}; got "${n}"`);
  if (new Set(names).size !== names.length) throw new UsageError(`${flag} names a path twice: "${raw}"`);
  return names as T[];
}

/** Registers `rtbench paths`. */
export function registerPaths(program: Command): void {
  addOptionFlags(
    program
      .command('paths')
      .description('run the fan-out scenario once per network path (links x proxies) and print the matrix: latency and bytes per event per transport and path, with findings')
      .option('--links <list>', `comma-separated links: ${Object.keys(LINK_PROFILES).join(', ')} (default: ${DEFAULT_LINKS.join(',')})`)
      .option('--vias <list>', `comma-separated proxies: ${VIAS.join(', ')} (default: ${DEFAULT_VIAS.join(',')})`),
  )
    .option('-o, --out <dir>', 'directory for result files', 'results')
    .addOption(new Option('--html [file]', 'write the HTML report to this file').default(true, 'next to the JSON result'))
    .option('--no-html', 'do not write the HTML report')
    .option('--md <file>', 'write the Markdown matrix to a file (- for stdout)')
    .option('--json', 'print the combined result JSON to stdout instead of the matrix', false)
    .option('-q, --quiet', 'no live progress', false)
    .option('--no-color', 'no colours')
    .action(async (flags: PathsFlags, cmd: Command) => {
      const links = flags.links === undefined ? [...DEFAULT_LINKS] : parseList('--links', flags.links, Object.keys(LINK_PROFILES) as LinkProfileName[]);
      const vias = flags.vias === undefined ? [...DEFAULT_VIAS] : parseList('--vias', flags.vias, VIAS);
      const profile = profileFrom(flags);
      const { overrides, transports } = overridesFrom(flags, cmd);
      for (const k of PER_PATH) if (overrides[k] !== undefined) throw new UsageError(`rtbench paths sets the path itself; use --links and --vias instead of the option ${k}`);
      const file = loadBuiltin('fanout');
      const planned = links.flatMap((link) =>
        vias.map((via) => {
          const o: ProfileValues = { ...overrides, link, via };
          return { link, via, options: resolveOptions(file, profile, o, transports) };
        }),
      );
      // Every path must be possible here before the first one runs.
      for (const p of planned) {
        checkMachineLimits(p.options);
        checkLinkAllowed(p.options);
      }
      const say = flags.json ? process.stderr : process.stdout;
      const startedAt = new Date().toISOString();
      const runs: PathRun[] = [];
      for (const p of planned) {
        const path = pathName(p);
        if (!flags.quiet && !flags.json) process.stderr.write(`rtbench paths: ${path} (${runs.length + 1} of ${planned.length})\n`);
        const result = await runOne(p.options, flags, runScenario);
        runs.push({ link: p.link, via: p.via, path, result });
        if (result.interrupted) break;
      }
      const combined = buildPathsResult(runs, startedAt, new Date().toISOString());
      const base = join(resolve(flags.out), `${startedAt.replace(/[:.]/g, '-')}-paths`);
      mkdirSync(resolve(flags.out), { recursive: true });
      const written = [{ label: 'result', path: `${base}.json` }];
      writeFileSync(`${base}.json`, `${JSON.stringify(combined, null, 2)}\n`);
      if (flags.html !== false) {
        const htmlPath = typeof flags.html === 'string' ? resolve(flags.html) : `${base}.html`;
        mkdirSync(dirname(htmlPath), { recursive: true });
        writeFileSync(htmlPath, renderPathsHtml(combined, new Date().toISOString()));
        written.push({ label: 'report', path: htmlPath });
      }
      if (flags.md === '-') process.stdout.write(renderPathsMarkdown(combined));
      else if (flags.md) {
        writeFileSync(resolve(flags.md), renderPathsMarkdown(combined));
        written.push({ label: 'markdown', path: resolve(flags.md) });
      }
      if (flags.json) process.stdout.write(`${JSON.stringify(combined, null, 2)}\n`);
      else process.stdout.write(renderPathsTerminal(combined));
      for (const f of written) say.write(`${f.label}: ${f.path}\n`);
      if (combined.interrupted) throw new Interrupted('interrupted; what was measured is in the files above');
    });
}
