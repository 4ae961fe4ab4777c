// `rtbench k8s --shards N --image IMG [options]`: print the Kubernetes manifests of a sharded run (the shard
// server's Deployment and Service, the shards' Indexed Job), or with --github-actions the matrix workflow.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { UsageError } from '../lib/errors.ts';
import { parseIntIn } from '../lib/validate.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { checkShardable } from '../driver/shards.ts';
import { controlTokenSecret, githubWorkflow, kubernetesManifests } from '../driver/k8s.ts';
import { addOptionFlags, overridesFrom, profileFrom, type ScenarioFlags } from './run.ts';

interface K8sFlags extends ScenarioFlags {
  shards: string;
  image?: string;
  name: string;
  port: string;
  namespace?: string;
  githubActions: boolean;
}

/** Kubernetes object names: lowercase letters, digits and '-', at most 52 characters (a Job's pods add a suffix). */
const NAME = /^[a-z]([-a-z0-9]{0,50}[a-z0-9])?$/;

/** Said at the top of the Kubernetes manifests of `name` with `shards` shards. */
function k8sHeader(name: string, shards: number): string {
  return `# A sharded rtbench run on Kubernetes, rendered by \`rtbench k8s\` (see docs/scale-out.md).
#   kubectl create secret generic ${controlTokenSecret(name)} --from-literal=token=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
#   kubectl apply -f THIS.yaml          # the shard server (Deployment + Service) and the shards (Indexed Job)
#   kubectl wait --for=condition=complete job/${name}-shards --timeout=30m
#   for i in $(seq 0 ${shards - 1}); do
#     kubectl logs -l job-name=${name}-shards,batch.kubernetes.io/job-completion-index=$i > shard-$i.json
#   done
#   rtbench merge shard-*.json -o merged.json
# The shard server serves one run and exits when every shard has left; the Deployment starts a fresh one.
`;
}

/** Said at the top of the GitHub Actions workflow. */
const GHA_HEADER = `# A sharded rtbench run on GitHub Actions, rendered by \`rtbench k8s --github-actions\` (see docs/scale-out.md).
# One matrix job per shard, each uploading its partial result; the merge job downloads them and runs rtbench merge.
# Runners cannot reach one another: the shard server runs where every runner reaches it (e.g. the Kubernetes
# Service of \`rtbench k8s\`, exposed), started fresh per run, its URL in the repository variable RTBENCH_SHARD_SERVER
# and its control token in the repository secret RTBENCH_CONTROL_TOKEN.
`;

/** The YAML `rtbench k8s` prints for `flags` (multi-document for Kubernetes). */
export function renderCluster(flags: K8sFlags, cmd: Command): string {
  const { overrides, transports } = overridesFrom(flags, cmd);
  const o = resolveOptions(loadBuiltin('fanout'), profileFrom(flags), overrides, transports);
  checkShardable(o);
  const shards = parseIntIn('--shards', flags.shards, 1, 1000);
  if (flags.githubActions) return GHA_HEADER + stringify(githubWorkflow(o, { shards }), { lineWidth: 0 });
  if (flags.image === undefined || flags.image.trim() === '') throw new UsageError('--image is required: a container image with rtbench on its PATH (see docs/scale-out.md)');
  if (!NAME.test(flags.name)) throw new UsageError(`--name must be lowercase letters, digits and '-' (at most 52), got "${flags.name}"`);
  const port = parseIntIn('--port', flags.port, 1, 65_535);
  return k8sHeader(flags.name, shards) + kubernetesManifests(o, { shards, image: flags.image, name: flags.name, port, ...(flags.namespace ? { namespace: flags.namespace } : {}) })
    .map((doc) => stringify(doc, { lineWidth: 0 }))
    .join('---\n');
}

/** Registers `rtbench k8s`. */
export function registerK8s(program: Command): void {
  addOptionFlags(
    program
      .command('k8s')
      .description('print the Kubernetes manifests of a sharded fan-out run (shard server Deployment + Service, shards as an Indexed Job), or the GitHub Actions matrix workflow')
      .requiredOption('--shards <n>', 'shards: pods of the Job, jobs of the matrix')
      .option('--image <image>', 'container image with rtbench on its PATH (Kubernetes only)')
      .option('--name <name>', 'name prefix of the objects', 'rtbench')
      .option('--port <n>', "the shard server's port", '8080')
      .option('--namespace <ns>', 'Kubernetes namespace of the objects (default: the current one)')
      .option('--github-actions', 'print the GitHub Actions matrix workflow instead', false),
  ).action((flags: K8sFlags, cmd: Command) => {
    process.stdout.write(renderCluster(flags, cmd));
  });
}
