// Scenario files from disk (the built-in ones next to this module, or a user's own), and the run options of one
// profile with command-line overrides applied.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../lib/errors.ts';
import type { Transport } from '../lib/transports.ts';
import { FAULT_AT_SHARE, FIELDS, KIND_FIELDS, LINK_PROFILES, LINK_VALUE_FIELDS, flagOf, refusalOf, workersFor, type FieldName, type LinkProfileName, type ProfileValues, type ScenarioOptions } from '../lib/options.ts';
import { validateScenario, type ScenarioFile } from './schema.ts';
import { DEFAULT_MAX_STREAM_BYTES, DEFAULT_STREAM_BUDGET_BYTES, streamCostBytes } from '../servers/limits.ts';

const BUILTIN_DIR = fileURLToPath(new URL('./', import.meta.url));

/** Names of the built-in scenarios (scenarios/*.json), fan-out first. */
export function builtinScenarios(): string[] {
  const names = readdirSync(BUILTIN_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  return names.includes('fanout') ? ['fanout', ...names.filter((n) => n !== 'fanout')] : names;
}

/** Reads and validates a scenario file; `path` is quoted in every error as the user gave it. */
export function loadScenarioFile(path: string, label = path): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`scenario file "${label}" does not exist`);
    if (code === 'EISDIR') throw new UsageError(`scenario file "${label}" is a directory`);
    throw new UsageError(`cannot read scenario file "${label}": ${err instanceof Error ? err.message : String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${label} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateScenario(raw, label);
}

/** Loads built-in scenario `name` (scenarios/<name>.json). */
export function loadBuiltin(name: string): ScenarioFile {
  const names = builtinScenarios();
  if (!names.includes(name)) throw new UsageError(`unknown scenario "${name}"; expected one of: ${names.join(', ')} (run your own file with: rtbench run FILE)`);
  return loadScenarioFile(`${BUILTIN_DIR}${name}.json`, `scenarios/${name}.json`);
}

/**
 * The options of one run: `profile` of `file`, then `overrides` (command-line flags given explicitly) on top,
 * then the figures a kind derives (a chat's aggregate rate, a stream's payload). `transports` replaces the file's.
 */
export function resolveOptions(file: ScenarioFile, profile: string, overrides: ProfileValues = {}, transports?: Transport[]): ScenarioOptions {
  const base = file.profiles[profile as keyof ScenarioFile['profiles']];
  if (base === undefined) throw new UsageError(`unknown profile "${profile}"; expected one of: ${Object.keys(file.profiles).join(', ')}`);
  const allowed = KIND_FIELDS[file.kind] as readonly string[];
  for (const key of Object.keys(overrides)) {
    if (!allowed.includes(key)) throw new UsageError(`${flagOf(key as FieldName)} does not apply to ${file.kind} scenarios; their parameters are: ${allowed.join(', ')}`);
  }
  for (const t of transports ?? []) {
    const refusal = refusalOf(file.kind, t, '--transports names');
    if (refusal !== undefined) throw new UsageError(refusal);
  }
  const v = { ...base, ...overrides } as Record<string, unknown>;
  applyLinkProfile(v, base, overrides);
  const num = (k: FieldName, fallback: number): number => (typeof v[k] === 'number' ? (v[k] as number) : fallback);
  const clients = num('clients', 1);
  const o = {
    // Fields a kind does not take still get a value, so the options are complete.
    clients,
    rate: num('rate', 1),
    payloadBytes: num('payloadBytes', 0),
    warmupMs: num('warmupMs', 0),
    warmupMaxMs: num('warmupMaxMs', 0),
    durationMs: num('durationMs', 0),
    pollIntervalMs: num('pollIntervalMs', 1000),
    longPollWaitMs: num('longPollWaitMs', 30_000),
    sseRetryMs: num('sseRetryMs', 0),
    keepAlive: v.keepAlive !== false,
    wsCompression: v.wsCompression === true,
    tls: v.tls === true,
    http2: v.http2 === true,
    drainMs: num('drainMs', 5000),
    maxQueuedBytes: num('maxQueuedBytes', FIELDS.maxQueuedBytes.default),
    injectDelayMs: num('injectDelayMs', 0),
    injectCpuUs: num('injectCpuUs', 0),
    via: 'direct',
    ...v,
    scenario: file.name,
    kind: file.kind,
    profile,
    transports: [...(transports ?? file.transports)],
    workers: workersFor(clients, num('workers', 0)),
  } as ScenarioOptions;
  // HTTP/2 is spoken only over TLS (ALPN h2), and has no `connection: close` for a poll to ask for.
  if (o.http2) o.tls = true;
  if (o.http2 && !o.keepAlive && KIND_FIELDS[o.kind].includes('keepAlive')) {
    throw new UsageError('--http2 cannot be combined with --no-keep-alive: HTTP/2 has no "connection: close" for a poll to ask for; drop one of them');
  }
  if ((o as { clientsIn?: string }).clientsIn === 'chromium' && o.transports.some((t) => t === 'socketio' || t === 'socketio-ws')) {
    throw new UsageError('--clients-in chromium runs the five plain transports only: the pages have no Socket.IO client; drop socketio from --transports');
  }
  const via = (o as { via?: string }).via;
  if (o.tls && via !== undefined && via !== 'direct') {
    throw new UsageError(`--via ${via} cannot be combined with --tls or --http2 yet: the generated proxy configs speak plain HTTP to the server; drop one of them`);
  }
  // Figures a kind derives from its own parameters, so reports read the same fields for every kind.
  if (o.kind === 'chat') {
    o.rate = o.clients * o.sendRatePerClient;
    o.durationMs = Math.round((o.messagesPerClient * 1000) / o.sendRatePerClient);
  } else if (o.kind === 'burst') {
    o.warmupMs = 0;
    o.durationMs = o.bursts * Math.round(o.burstMs + o.quietMs);
    o.rate = Math.max(1, Math.round((o.bursts * o.burstEvents * 1000) / Math.max(1, o.durationMs)));
  } else if (o.kind === 'capacity') {
    o.durationMs = o.stepDurationMs;
  } else if (o.kind === 'stream') {
    o.warmupMs = 0;
    o.payloadBytes = o.tokenBytes;
    o.durationMs = o.tokens * o.tokenIntervalMs;
    o.rate = o.tokenIntervalMs > 0 ? Math.round((o.clients * 1000) / o.tokenIntervalMs) : 0;
    checkStreamMemory(o, `${file.source}: profile ${profile}`);
  }
  if (o.kind === 'faults' && o.fault === 'restart' && o.outageMs >= Math.floor(o.durationMs * (1 - FAULT_AT_SHARE))) {
    const outage = overrides.outageMs !== undefined ? '--outage' : `${file.source}: profiles.${profile}.outageMs`;
    throw new UsageError(`${outage} is ${o.outageMs} ms, but the restart comes a third into the ${o.durationMs} ms window and must end inside it; make the outage shorter than ${Math.floor(o.durationMs * (1 - FAULT_AT_SHARE))} ms or the window longer`);
  }
  checkDrain(o, file, profile, overrides);
  const deliveries = deliveriesOf(o);
  if (deliveries > 2_000_000_000) throw new UsageError(`${file.source}: profile ${profile} asks for ${deliveries} deliveries; keep it under 2 000 000 000`);
  return o;
}

/**
 * Fills the link's round trip, jitter and bandwidth from its named profile (`link`), except where a flag or the
 * scenario file set one (a file's value equal to the field's default counts as not set).
 */
function applyLinkProfile(v: Record<string, unknown>, base: ProfileValues, overrides: ProfileValues): void {
  const profile = LINK_PROFILES[v.link as LinkProfileName] as (typeof LINK_PROFILES)[LinkProfileName] | undefined;
  if (profile === undefined) return;
  for (const k of LINK_VALUE_FIELDS) {
    if (overrides[k] !== undefined || (base[k] !== undefined && base[k] !== FIELDS[k].default)) continue;
    v[k] = profile[k];
  }
}

/**
 * A short poller's last events arrive up to one poll interval after publishing stops, so a drain shorter than the
 * interval would call them lost (or the client a straggler) when nothing went wrong: refused, naming the setting.
 */
function checkDrain(o: ScenarioOptions, file: ScenarioFile, profile: string, overrides: ProfileValues): void {
  if (!KIND_FIELDS[o.kind].includes('drainMs') || !o.transports.includes('short-poll') || o.drainMs >= o.pollIntervalMs) return;
  const drain = overrides.drainMs !== undefined ? '--drain' : `${file.source}: profiles.${profile}.drainMs`;
  const interval = overrides.pollIntervalMs !== undefined ? '--poll-interval' : `profiles.${profile}.pollIntervalMs`;
  throw new UsageError(`${drain} is ${o.drainMs} ms, shorter than the ${o.pollIntervalMs} ms short-poll interval (${interval}): a poller's last events arrive up to one interval after publishing stops; make the drain at least ${o.pollIntervalMs} ms`);
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * A stream run's private streams must fit the servers' memory caps (servers/limits.ts, at their defaults), or the
 * servers would refuse them mid-run: one stream within the per-stream cap, and all of them (each client's, plus
 * one warm-up stream per client process, counted at full size) within the budget.
 */
function checkStreamMemory(o: { clients: number; workers: number; tokens: number; tokenBytes: number }, where: string): void {
  const each = streamCostBytes(o.tokens, o.tokenBytes);
  const asked = `streams of ${o.tokens} tokens of ${o.tokenBytes} bytes`;
  if (each > DEFAULT_MAX_STREAM_BYTES) {
    throw new UsageError(`${where} asks for ${asked}, ${mib(each)} of server memory each, over the ${mib(DEFAULT_MAX_STREAM_BYTES)} a server lets one stream hold; lower tokens or tokenBytes`);
  }
  const total = (o.clients + o.workers) * each;
  if (total > DEFAULT_STREAM_BUDGET_BYTES) {
    throw new UsageError(`${where} asks for ${o.clients + o.workers} ${asked}, ${mib(total)} of server memory together, over the ${mib(DEFAULT_STREAM_BUDGET_BYTES)} a server lets its streams hold; lower clients, tokens or tokenBytes`);
  }
}

/** Deliveries a run asks of each transport (events x clients). */
function deliveriesOf(o: ScenarioOptions): number {
  switch (o.kind) {
    case 'fanout':
    case 'churn':
    case 'slow-consumer':
    case 'faults':
      return Math.round((o.rate * (o.warmupMs + o.durationMs)) / 1000) * o.clients;
    case 'chat':
      return o.messagesPerClient * o.clients * o.clients;
    case 'burst':
      return o.bursts * o.burstEvents * o.clients;
    case 'stream':
      return o.tokens * o.clients;
    default:
      return 0;
  }
}
