#!/usr/bin/env node
// Entry point. From a checkout (cli.ts beside bin/) it runs the TypeScript sources through the tsx loader, so an
// edit takes effect at once; from the npm package (no sources) it runs the compiled dist/cli.js with plain Node.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli.js', import.meta.url);
const fromSources = existsSync(new URL('../cli.ts', import.meta.url));
// A checkout installed without its dev dependencies has no tsx: its build, if there is one, still runs.
const tsx = fromSources
  ? await import('tsx/esm/api').catch((err) => {
      if (err?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
      throw err;
    })
  : undefined;

if (tsx) {
  tsx.register();
  await import('../cli.ts');
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('rtbench: nothing to run: no dist/cli.js (npm run build) and no tsx to run the sources (npm ci)\n');
  process.exitCode = 1;
}
