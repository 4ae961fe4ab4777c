// The npm package as a user gets it: `npm pack`, `npm install -g` of the tarball into an empty prefix, then the
// installed `rtbench compare` with plain Node. The package holds compiled JavaScript only (no sources, no tsx), so
// a child process or an asset still looked up among the sources fails here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../lib/result.ts';
import { TAG_VAR, taggedProcesses } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Top-level entries of the checkout the copy leaves out: installs, builds, outputs, git. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'results', 'test-artifacts', '.scratch', '.git']);
/** What pack, install and one tiny compare may take, each, ms. */
const STEP_TIMEOUT_MS = 120_000;

/** What a finished command printed. */
interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` in a process group of its own and resolves when it exits; past `timeoutMs` the whole group is
 * killed and the promise rejects. Anything of the group still there at the end is killed too.
 */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = STEP_TIMEOUT_MS): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
    };
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`${command} ${args.join(' ')} took longer than ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The environment for npm run as a user in a shell would: without the variables an outer `npm test` exports to
 * its scripts (its package, its lifecycle, and its prefixes, which would point npm at this checkout).
 */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_(?!config_)|^npm_config_(local_prefix|prefix|global_prefix|global|loglevel|json|dry_run)$/i.test(k)),
  );
}

describe('npm pack + npm install -g: rtbench runs with only Node', { timeout: 360_000 }, () => {
  let tmp = '';
  let prefix = '';
  let packed: { filename: string; files: { path: string }[] } | undefined;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'rtbench-package-'));
    // Pack a copy of the checkout (prepack builds dist/ there), so the test leaves this checkout as it was.
    const src = join(tmp, 'src');
    for (const name of readdirSync(ROOT)) {
      if (!NOT_COPIED.has(name) && !name.endsWith('.tgz')) cpSync(join(ROOT, name), join(src, name), { recursive: true });
    }
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(src, 'node_modules'));
    const pack = await run('npm', ['pack', '--json', '--pack-destination', tmp], src, npmEnv());
    assert.equal(pack.code, 0, pack.stderr);
    packed = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0];
    assert.ok(packed, pack.stdout);
    // Dependencies come from the registry (the npm cache when it holds them), as for any user.
    prefix = join(tmp, 'prefix');
    const install = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], tmp, npmEnv());
    assert.equal(install.code, 0, install.stderr);
  });

  after(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('the tarball holds the compiled CLI, its child entry points and data files, and nothing else', () => {
    const paths = (packed?.files ?? []).map((f) => f.path).sort();
    const outside = paths.filter((p) => !p.startsWith('dist/') && !['bin/rtbench.js', 'package.json', 'README.md'].includes(p));
    assert.deepEqual(outside, [], 'only bin/, dist/, package.json and README.md');
    assert.deepEqual(paths.filter((p) => p.endsWith('.ts')), [], 'no TypeScript');
    for (const p of ['dist/cli.js', 'dist/servers/host.js', 'dist/driver/client-process.js', 'dist/reports/assets/report.css', 'dist/reports/assets/report.js']) assert.ok(paths.includes(p), p);
    const scenarios = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(paths.filter((p) => /^dist\/scenarios\/.*\.json$/.test(p)), scenarios.map((f) => `dist/scenarios/${f}`).sort(), 'every built-in scenario');
  });

  it('the install holds no TypeScript loader or compiler', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'rtbench');
    assert.ok(existsSync(join(prefix, 'bin', 'rtbench')), 'the rtbench command');
    for (const dev of ['tsx', 'typescript', 'esbuild']) assert.equal(existsSync(join(installed, 'node_modules', dev)), false, dev);
    assert.equal(existsSync(join(installed, 'cli.ts')), false);
  });

  it('the installed rtbench compare delivers every event, with its servers and clients started from the package', async () => {
    const cwd = join(tmp, 'work');
    const out = join(cwd, 'results');
    mkdirSync(cwd);
    const tag = `${process.pid}-package`;
    // Only Node and the installed command on PATH; no inherited loader flags.
    const env: NodeJS.ProcessEnv = {
      PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
      HOME: tmp,
      NO_COLOR: '1',
      [TAG_VAR]: tag,
      ...(process.env.RTBENCH_TEST_RUN === undefined ? {} : { RTBENCH_TEST_RUN: process.env.RTBENCH_TEST_RUN }),
    };
    const args = ['compare', '--transports', 'ws,sse', '--clients', '2', '--rate', '10', '--warmup', '200ms', '--duration', '500ms', '--out', out, '--json', '--quiet'];
    const r = await run('rtbench', args, cwd, env);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as RunResult;
    assert.deepEqual(result.transports.map((t) => [t.transport, t.status, t.error]), [['ws', 'ok', undefined], ['sse', 'ok', undefined]]);
    for (const t of result.transports) {
      const d = t.delivery;
      assert.ok(d && d.deliveredEvents > 0 && d.deliveredEvents === d.expectedDeliveries, `${t.transport}: ${JSON.stringify(d)}`);
      assert.deepEqual([d.lost, d.duplicates, d.outOfOrder, d.failedClients], [0, 0, 0, 0], t.transport);
    }
    // The result file and its HTML report, the report's script and styles read from the package.
    const files = readdirSync(out).sort();
    assert.deepEqual(files.map((f) => f.replace(/^.*-fanout\./, '')), ['html', 'json']);
    const html = readFileSync(join(out, files[0] as string), 'utf8');
    for (const asset of ['report.css', 'report.js']) {
      const firstLine = readFileSync(join(ROOT, 'reports', 'assets', asset), 'utf8').split('\n')[0] as string;
      assert.ok(html.includes(firstLine), `the report inlines ${asset}`);
    }
    assert.deepEqual(taggedProcesses(tag), [], 'no process of the run survives it');
  });
});
