// rtbench k8s: the generated Kubernetes manifests and GitHub Actions workflow parse, carry what each kind
// requires, run the shards as an Indexed Job with the completion index as the shard number, point the shards at
// the server's Service, and pass both sides the same options; the examples in docs/examples are its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { runCliBatch, type CliRun } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GEN = ['-t', 'sse', '--clients', '3000', '--rate', '100', '--warmup', '2s', '--duration', '10s'];

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The command lines this file knows in advance: run together in one process (rtbench k8s only prints) on first use. */
const KNOWN = [
  ['--shards', '4', '--image', 'registry.example/rtbench:1', '--name', 'bench', '--port', '9090', '--namespace', 'perf', ...GEN],
  ['--shards', '3', '--github-actions', ...GEN],
  ['--shards', '3', '--image', 'ghcr.io/your-org/rtbench:latest', ...GEN],
  ['--shards', '2', '-t', 'sse'],
  ['--shards', '2', '--image', 'x', '-t', 'sse,ws'],
];
let known: Promise<CliRun[]> | undefined;

/** `rtbench k8s ...args`: from the batch of known lines, else on its own. */
async function k8s(args: string[]): Promise<CliRun> {
  known ??= runCliBatch(KNOWN.map((a) => ({ args: ['k8s', ...a] })));
  const i = KNOWN.findIndex((a) => a.join('\0') === args.join('\0'));
  return i >= 0 ? ((await known)[i] as CliRun) : ((await runCliBatch([{ args: ['k8s', ...args] }]))[0] as CliRun);
}

async function render(args: string[]): Promise<string> {
  const r = await k8s(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The rtbench options a command line passes (from "--transports" to "--json"). */
function optionFlags(line: string): string {
  const m = /(--transports .*?) --(json|host)/.exec(line);
  assert.ok(m, `no option flags in: ${line}`);
  return m[1] as string;
}

test('Kubernetes: Deployment + Service for the server, an Indexed Job of N shards pointed at the Service, both with the same options', { timeout: 60_000 }, async () => {
  const text = await render(['--shards', '4', '--image', 'registry.example/rtbench:1', '--name', 'bench', '--port', '9090', '--namespace', 'perf', ...GEN]);
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as Obj;
  });
  assert.deepEqual(
    docs.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`),
    ['apps/v1 Deployment bench-server', 'v1 Service bench-server', 'batch/v1 Job bench-shards'],
  );
  for (const d of docs) assert.equal(d.metadata.namespace, 'perf');
  const [deployment, service, job] = docs as [Obj, Obj, Obj];
  // Deployment: a selector that matches its pods, a container with name and image, the server listening on the port.
  assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  const server = deployment.spec.template.spec.containers[0];
  assert.equal(server.name, 'server');
  assert.equal(server.image, 'registry.example/rtbench:1');
  assert.deepEqual(server.command.slice(0, 2), ['rtbench', 'shard-server']);
  assert.deepEqual(server.command.slice(-4), ['--host', '0.0.0.0', '--port', '9090']);
  assert.equal(server.ports[0].containerPort, 9090);
  // Service: selects the Deployment's pods, on the port.
  // Both sides read the control token from one Secret (the server needs it beyond loopback).
  const tokenEnv = [{ name: 'RTBENCH_CONTROL_TOKEN', valueFrom: { secretKeyRef: { name: 'bench-control-token', key: 'token' } } }];
  assert.deepEqual(server.env, tokenEnv);
  assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
  assert.equal(service.spec.ports[0].port, 9090);
  // Job: Indexed, N completions all at once, pods that are not restarted, the index as the shard number.
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 4);
  assert.equal(job.spec.parallelism, 4);
  const pod = job.spec.template.spec;
  assert.ok(['Never', 'OnFailure'].includes(pod.restartPolicy));
  const shard = pod.containers[0];
  assert.equal(shard.image, 'registry.example/rtbench:1');
  assert.deepEqual(shard.env, tokenEnv);
  assert.match(text, /kubectl create secret generic bench-control-token --from-literal=token=/);
  const line = shard.command[2] as string;
  // The shard is the run's --shard flag, its number the completion index; its --target the Service, with the run's transport.
  assert.match(line, /^rtbench compare --shard "\$JOB_COMPLETION_INDEX\/4" --target sse=http:\/\/bench-server:9090 --transports sse --clients 3000 --rate 100 /);
  assert.equal(optionFlags(line), optionFlags(server.command.join(' ')));
  // The flags mean what they were rendered from: rendering again from them gives the same manifests.
  const again = await render(['--shards', '4', '--image', 'registry.example/rtbench:1', '--name', 'bench', '--port', '9090', '--namespace', 'perf', ...optionFlags(line).split(' ')]);
  assert.equal(again, text);
});

test('GitHub Actions: one matrix job per shard uploads its result; the merge job needs them, downloads and merges', { timeout: 60_000 }, async () => {
  const wf = parse(await render(['--shards', '3', '--github-actions', ...GEN])) as Obj;
  assert.ok(wf.on && wf.jobs);
  const { shard, merge } = wf.jobs as { shard: Obj; merge: Obj };
  assert.deepEqual(shard.strategy.matrix.shard, [0, 1, 2]);
  for (const job of [shard, merge]) {
    assert.equal(typeof job['runs-on'], 'string');
    for (const step of job.steps as Obj[]) assert.ok(typeof step.uses === 'string' || typeof step.run === 'string', JSON.stringify(step));
  }
  const run = (shard.steps as Obj[]).find((s) => typeof s.run === 'string' && s.run.includes('rtbench compare --shard'))?.run as string;
  assert.deepEqual((shard.steps as Obj[]).find((s) => s.run === run)?.env, { RTBENCH_CONTROL_TOKEN: '${{ secrets.RTBENCH_CONTROL_TOKEN }}' });
  assert.match(run, /^npx rtbench compare --shard "\$\{\{ matrix\.shard \}\}\/3" --target "sse=\$\{\{ vars\.RTBENCH_SHARD_SERVER \}\}" --transports sse --clients 3000 /);
  assert.ok((shard.steps as Obj[]).some((s) => s.uses === 'actions/upload-artifact@v4' && s.with.path === 'shard-${{ matrix.shard }}.json'));
  assert.equal(merge.needs, 'shard');
  assert.ok((merge.steps as Obj[]).some((s) => s.uses === 'actions/download-artifact@v4'));
  assert.ok((merge.steps as Obj[]).some((s) => s.run === 'npx rtbench merge shards/shard-*.json -o merged.json'));
});

test('the examples in docs/examples are what rtbench k8s renders', { timeout: 60_000 }, async () => {
  assert.equal(readFileSync(`${ROOT}docs/examples/k8s/rtbench-shards.yaml`, 'utf8'), await render(['--shards', '3', '--image', 'ghcr.io/your-org/rtbench:latest', ...GEN]));
  assert.equal(readFileSync(`${ROOT}docs/examples/gate-shards.yml`, 'utf8'), await render(['--shards', '3', '--github-actions', ...GEN]));
});

test('bad input is refused with one sentence', { timeout: 60_000 }, async () => {
  const noImage = await k8s(['--shards', '2', '-t', 'sse']);
  assert.equal(noImage.code, 2);
  assert.equal(noImage.stderr, 'rtbench: --image is required: a container image with rtbench on its PATH (see docs/scale-out.md)\n');
  const two = await k8s(['--shards', '2', '--image', 'x', '-t', 'sse,ws']);
  assert.equal(two.stderr, 'rtbench: a sharded run measures one transport (one shared server), named with -t (e.g. -t sse); got sse,ws\n');
});
