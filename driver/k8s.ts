// Manifests for a sharded run on an engine teams already run: a Kubernetes Deployment + Service for the shard
// server and an Indexed Job whose pods are the shards (the completion index is the shard number), and a GitHub
// Actions workflow with one matrix job per shard and a final job that merges their artifacts. Pure: options in,
// plain objects out (commands/k8s.ts turns them into YAML).
import { FIELDS, type FieldName, type FieldSpec, type ScenarioOptions } from '../lib/options.ts';

/** What the manifests are made for. */
export interface ClusterPlan {
  /** Shards (pods of the Job, jobs of the matrix). */
  shards: number;
  /** Container image with rtbench on its PATH. */
  image: string;
  /** Name prefix of every object (default "rtbench"). */
  name: string;
  /** The shard server's port. */
  port: number;
  /** Kubernetes namespace (absent: the current one). */
  namespace?: string;
}

/** The options a shard and its server must agree on, passed as flags to both. */
const PLAN_FIELDS: readonly FieldName[] = ['clients', 'rate', 'payloadBytes', 'warmupMs', 'durationMs', 'drainMs', 'pollIntervalMs', 'longPollWaitMs', 'sseRetryMs', 'keepAlive', 'wsCompression', 'workers', 'maxQueuedBytes'];

/** `o` as command-line flags: the transport and every option of PLAN_FIELDS (durations in ms). */
export function planFlags(o: ScenarioOptions): string[] {
  const out = ['--transports', o.transports.join(',')];
  for (const name of PLAN_FIELDS) {
    const spec = FIELDS[name] as FieldSpec;
    const value = (o as unknown as Record<string, unknown>)[name];
    if (spec.flag === undefined || value === undefined) continue;
    if (spec.type === 'boolean') {
      // "--no-x" flags are given when the option is off, plain ones when it is on.
      const negated = spec.flag.startsWith('--no-');
      if ((value === true) !== negated) out.push(spec.flag);
    } else {
      out.push(spec.flag, 'unit' in spec && spec.unit === 'ms' ? `${String(value)}ms` : String(value));
    }
  }
  return out;
}

/** The Secret (key "token") the manifests of `name` read the control token from; created by the user, not rendered. */
export function controlTokenSecret(name: string): string {
  return `${name}-control-token`;
}

/** The three Kubernetes objects: the server's Deployment and Service, and the shards' Indexed Job. */
export function kubernetesManifests(o: ScenarioOptions, p: ClusterPlan): Record<string, unknown>[] {
  const flags = planFlags(o);
  const meta = (name: string): Record<string, unknown> => ({ name, ...(p.namespace ? { namespace: p.namespace } : {}), labels: { app: name } });
  const server = `${p.name}-server`;
  const shards = `${p.name}-shards`;
  const url = `http://${server}:${p.port}`;
  // Beyond loopback the shard server's control endpoints take a token: both sides read it from one Secret.
  const env = [{ name: 'RTBENCH_CONTROL_TOKEN', valueFrom: { secretKeyRef: { name: controlTokenSecret(p.name), key: 'token' } } }];
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(server),
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: server } },
        template: {
          metadata: { labels: { app: server } },
          spec: {
            containers: [
              {
                name: 'server',
                image: p.image,
                // One run per server start: it exits once every shard has left, and the Deployment starts a fresh one.
                command: ['rtbench', 'shard-server', ...flags, '--host', '0.0.0.0', '--port', String(p.port)],
                env,
                ports: [{ name: 'http', containerPort: p.port }],
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(server),
      spec: { selector: { app: server }, ports: [{ name: 'http', port: p.port, targetPort: 'http' }] },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(shards),
      spec: {
        completionMode: 'Indexed',
        completions: p.shards,
        parallelism: p.shards,
        backoffLimit: 0,
        template: {
          metadata: { labels: { app: shards } },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'shard',
                image: p.image,
                env,
                // The partial result is the pod's only stdout (collected with kubectl logs); what rtbench says goes to stderr, shown on failure.
                command: ['sh', '-c', `rtbench compare --shard "$JOB_COMPLETION_INDEX/${p.shards}" --target ${o.transports[0]}=${url} ${flags.join(' ')} --json --quiet --no-html --out /tmp 2>/tmp/rtbench.log > /tmp/shard.json || { cat /tmp/rtbench.log >&2; exit 1; }; cat /tmp/shard.json`],
              },
            ],
          },
        },
      },
    },
  ];
}

/** A GitHub Actions workflow: one matrix job per shard against a shard server reachable at `vars.RTBENCH_SHARD_SERVER` (its token in `secrets.RTBENCH_CONTROL_TOKEN`), then a merge. */
export function githubWorkflow(o: ScenarioOptions, p: Pick<ClusterPlan, 'shards'>): Record<string, unknown> {
  const flags = planFlags(o).join(' ');
  const indexes = Array.from({ length: p.shards }, (_, i) => i);
  return {
    name: 'rtbench sharded run',
    on: { workflow_dispatch: {} },
    jobs: {
      shard: {
        'runs-on': 'ubuntu-latest',
        strategy: { 'fail-fast': true, matrix: { shard: indexes } },
        steps: [
          { uses: 'actions/checkout@v4' },
          { uses: 'actions/setup-node@v4', with: { 'node-version': 20 } },
          { run: 'npm ci' },
          {
            name: 'Run this shard against the shared shard server',
            env: { RTBENCH_CONTROL_TOKEN: '${{ secrets.RTBENCH_CONTROL_TOKEN }}' },
            run: `npx rtbench compare --shard "\${{ matrix.shard }}/${p.shards}" --target "${o.transports[0]}=\${{ vars.RTBENCH_SHARD_SERVER }}" ${flags} --json --quiet --no-html --out /tmp > shard-\${{ matrix.shard }}.json`,
          },
          { uses: 'actions/upload-artifact@v4', with: { name: 'shard-${{ matrix.shard }}', path: 'shard-${{ matrix.shard }}.json' } },
        ],
      },
      merge: {
        'runs-on': 'ubuntu-latest',
        needs: 'shard',
        steps: [
          { uses: 'actions/checkout@v4' },
          { uses: 'actions/setup-node@v4', with: { 'node-version': 20 } },
          { run: 'npm ci' },
          { uses: 'actions/download-artifact@v4', with: { pattern: 'shard-*', 'merge-multiple': true, path: 'shards' } },
          { run: 'npx rtbench merge shards/shard-*.json -o merged.json' },
          { uses: 'actions/upload-artifact@v4', with: { name: 'merged', path: 'merged.*' } },
        ],
      },
    },
  };
}
