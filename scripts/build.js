// `npm run build` (run by prepack): compiles rtbench into dist/, which the npm package runs with plain Node (no
// TypeScript loader), and copies beside the compiled modules the files they read at run time: the built-in
// scenarios and the HTML report's assets. Prints nothing unless it fails (`npm pack --json` owns stdout).
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root);
/** Data files read at run time relative to their module, copied to the same place under dist/. */
const ASSETS = [
  ...readdirSync(new URL('scenarios/', root)).filter((f) => f.endsWith('.json')).map((f) => `scenarios/${f}`),
  'reports/assets/',
];

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: ['ignore', 2, 2] });
if (r.status !== 0) {
  console.error(`build: tsc failed (${r.error?.message ?? `exit code ${r.status ?? r.signal}`})`);
  process.exit(1);
}
for (const asset of ASSETS) cpSync(new URL(asset, root), new URL(asset, dist), { recursive: true });
