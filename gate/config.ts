// rtbench.config.json: which scenarios the gate runs, how many rounds, alpha, strictness, and per-metric
// floors, directions and tolerances. Validated up front; every error is one sentence naming the field.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../lib/errors.ts';
import { DEFAULT_TRANSPORTS, TRANSPORTS, isTransport, type Transport } from '../lib/transports.ts';
import { DEFAULT_FANOUT, FANOUT_FIELDS, FIELDS, checkField, workersFor, type FieldSpec, type OptionsOf, type ProfileValues } from '../lib/options.ts';
import { DEFAULT_RULES, METRIC_PATHS, defaultDirection, isMetricPath, uniformTolerance, type Direction, type GateKind, type MetricRule } from './metrics.ts';
import { minRoundsFor } from './stats.ts';

/** File name the gate looks for in the working directory when --config is not given. */
export const CONFIG_FILE = 'rtbench.config.json';

/**
 * The options of the default gate scenario: `rtbench compare`'s defaults with 20 clients instead of 100. With
 * 100 clients in one client process, the process handles every event's 100 messages one after another, and on a
 * 2-core machine its own event-loop delay reaches a quarter of the low-latency transports' p99: those rounds are
 * generator-bound, and the gate leaves them out. 20 clients keep them valid on a small CI runner (measured:
 * docs/gate.md, "The default scenario").
 */
export const DEFAULT_GATE_OPTIONS: OptionsOf<'fanout'> = { ...DEFAULT_FANOUT, clients: 20 };

/** Default rounds per side. */
export const DEFAULT_ROUNDS = 10;
/** Default significance level of the statistical gates. */
export const DEFAULT_ALPHA = 0.01;

/**
 * How the statistical gates share alpha: `holm` (default) keeps the chance of any false regression in a whole
 * gate run below alpha (Holm–Bonferroni over the regression tests of every transport x metric, and separately over
 * the improvement tests); `none` applies alpha to each test alone.
 */
export type Correction = 'holm' | 'none';
const CORRECTIONS: readonly Correction[] = ['holm', 'none'];

/** One scenario the gate runs: a name and the complete fan-out options (transports included). */
export interface GateScenario {
  name: string;
  options: OptionsOf<'fanout'>;
}

/** The gate's configuration with every default filled in. */
export interface GateConfig {
  scenarios: GateScenario[];
  /** Rounds per side when the gate runs them. */
  rounds: number;
  /** Significance level of the one-sided tests against the floor (shared by a run's comparisons under Holm). */
  alpha: number;
  /** When true an inconclusive metric fails the gate. */
  strict: boolean;
  /** Multiple-comparison correction over the statistical comparisons of one gate run. */
  correction: Correction;
  /** Metrics checked, in report order. */
  rules: MetricRule[];
}

/** Options a gate scenario may set: the fan-out options, with the ranges and defaults of lib/options.ts. */
type OptionKey = (typeof FANOUT_FIELDS)[number];
const OPTION_KEYS: readonly OptionKey[] = FANOUT_FIELDS;

const TOP_KEYS = ['$schema', 'rounds', 'alpha', 'correction', 'strict', 'transports', 'profiles', 'scenarios', 'metrics'];
const SCENARIO_KEYS = ['name', 'profile', 'transports', 'options'];
const RULE_KEYS = ['gate', 'direction', 'floorPercent', 'tolerancePercent'];
const GATES: readonly GateKind[] = ['statistical', 'exact', 'zero'];
const DIRECTIONS: readonly Direction[] = ['higher-is-worse', 'lower-is-worse'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Validates the parsed contents of a config file; `source` names it in errors. */
export function parseConfig(data: unknown, source = CONFIG_FILE): GateConfig {
  const fail = (field: string, expected: string, got: unknown): UsageError => new UsageError(`${source}: "${field}" must be ${expected}, got ${show(got)}`);
  if (!isObject(data)) throw new UsageError(`${source} must hold a JSON object, got ${show(data)}`);
  checkKeys(data, TOP_KEYS, '', source);

  const alpha = data.alpha === undefined ? DEFAULT_ALPHA : data.alpha;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 0.5)) throw fail('alpha', 'a number above 0 and at most 0.5', data.alpha);
  const rounds = data.rounds === undefined ? DEFAULT_ROUNDS : data.rounds;
  if (typeof rounds !== 'number' || !Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw fail('rounds', 'an integer between 1 and 1000', data.rounds);
  const correction = data.correction === undefined ? 'holm' : data.correction;
  if (typeof correction !== 'string' || !CORRECTIONS.includes(correction as Correction)) throw fail('correction', `one of: ${CORRECTIONS.join(', ')}`, data.correction);
  const strict = data.strict === undefined ? false : data.strict;
  if (typeof strict !== 'boolean') throw fail('strict', 'true or false', data.strict);

  const transports = data.transports === undefined ? [...DEFAULT_TRANSPORTS] : parseTransportList(data.transports, 'transports', source);
  const profiles = data.profiles === undefined ? {} : data.profiles;
  if (!isObject(profiles)) throw fail('profiles', 'an object of named option sets', data.profiles);
  const profileOptions = new Map<string, ProfileValues>();
  for (const [name, value] of Object.entries(profiles)) profileOptions.set(name, parseOptions(value, `profiles.${name}`, source));

  const rawScenarios = data.scenarios === undefined ? [{ name: DEFAULT_FANOUT.scenario }] : data.scenarios;
  if (!Array.isArray(rawScenarios) || rawScenarios.length === 0) throw fail('scenarios', 'a non-empty array', data.scenarios);
  const scenarios = rawScenarios.map((raw: unknown, i: number): GateScenario => {
    const at = `scenarios[${i}]`;
    if (!isObject(raw)) throw fail(at, 'an object', raw);
    checkKeys(raw, SCENARIO_KEYS, `${at}.`, source);
    if (typeof raw.name !== 'string' || !/^[\w.-]{1,64}$/.test(raw.name)) throw fail(`${at}.name`, 'a name of 1 to 64 letters, digits, ".", "_" or "-"', raw.name);
    let fromProfile: ProfileValues = {};
    if (raw.profile !== undefined) {
      const p = typeof raw.profile === 'string' ? profileOptions.get(raw.profile) : undefined;
      if (!p) {
        const known = [...profileOptions.keys()];
        throw fail(`${at}.profile`, known.length > 0 ? `one of the profiles: ${known.join(', ')}` : 'the name of an entry of "profiles" (there are none)', raw.profile);
      }
      fromProfile = p;
    }
    const own = raw.options === undefined ? {} : parseOptions(raw.options, `${at}.options`, source);
    const merged = { ...DEFAULT_GATE_OPTIONS, ...fromProfile, ...own } as OptionsOf<'fanout'>;
    const explicitWorkers = (own.workers ?? fromProfile.workers) as number | undefined;
    const options: OptionsOf<'fanout'> = {
      ...merged,
      scenario: DEFAULT_FANOUT.scenario,
      transports: raw.transports === undefined ? [...transports] : parseTransportList(raw.transports, `${at}.transports`, source),
      workers: workersFor(merged.clients, explicitWorkers),
    };
    return { name: raw.name, options };
  });
  const seen = new Set<string>();
  for (const [i, s] of scenarios.entries()) {
    if (seen.has(s.name)) throw new UsageError(`${source}: "scenarios[${i}].name" repeats the scenario name "${s.name}"; names must be unique`);
    seen.add(s.name);
  }

  const rules = parseRules(data.metrics, source);
  const config: GateConfig = { scenarios, rounds, alpha, correction: correction as Correction, strict, rules };
  checkRounds(config, `${source}: "rounds"`);
  return config;
}

/** Statistical comparisons one gate run of `config` makes: statistical metrics x transports, over all scenarios. */
export function familySize(config: Pick<GateConfig, 'scenarios' | 'rules'>): number {
  const perTransport = config.rules.filter((r) => r.gate === 'statistical').length;
  return config.scenarios.reduce((n, s) => n + s.options.transports.length * perTransport, 0);
}

/**
 * Throws UsageError when `config.rounds` per side can never reach significance at its alpha (divided among the
 * comparisons under the Holm correction) in the one-sided test against the floor; `what` names the setting.
 */
export function checkRounds(config: Pick<GateConfig, 'rounds' | 'alpha' | 'correction' | 'scenarios' | 'rules'>, what: string): void {
  const family = config.correction === 'holm' ? Math.max(1, familySize(config)) : 1;
  const min = minRoundsFor(config.alpha / family, 1);
  if (config.rounds < min) {
    const at = family > 1 ? `alpha ${config.alpha} shared by ${family} comparisons` : `alpha ${config.alpha}`;
    throw new UsageError(`${what} is ${config.rounds}, but at ${at} the test needs at least ${min} rounds per side to ever find a significant change`);
  }
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string, source: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new UsageError(`${source}: unknown field "${prefix}${key}"; expected one of: ${allowed.join(', ')}`);
  }
}

function parseTransportList(raw: unknown, field: string, source: string): Transport[] {
  if (raw === 'all') return [...TRANSPORTS];
  if (!Array.isArray(raw) || raw.length === 0) throw new UsageError(`${source}: "${field}" must be "all" or a non-empty array of transport names, got ${show(raw)}`);
  const out: Transport[] = [];
  for (const item of raw) {
    if (typeof item !== 'string' || !isTransport(item)) throw new UsageError(`${source}: unknown transport ${show(item)} in "${field}"; expected one of: ${TRANSPORTS.join(', ')}`);
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function parseOptions(raw: unknown, field: string, source: string): ProfileValues {
  if (!isObject(raw)) throw new UsageError(`${source}: "${field}" must be an object of fan-out options, got ${show(raw)}`);
  const out: ProfileValues = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      const hint = key === 'transports' ? ' (set "transports" on the scenario, not in its options)' : '';
      throw new UsageError(`${source}: unknown option "${field}.${key}"${hint}; expected one of: ${OPTION_KEYS.join(', ')}`);
    }
    const error = checkField(`"${field}.${key}"`, FIELDS[key as OptionKey] as FieldSpec, value);
    if (error) throw new UsageError(`${source}: ${error}`);
    out[key as OptionKey] = value as number | boolean;
  }
  return out;
}

function parseRules(raw: unknown, source: string): MetricRule[] {
  if (raw !== undefined && !isObject(raw)) throw new UsageError(`${source}: "metrics" must be an object keyed by metric path, got ${show(raw)}`);
  const entries = raw ?? {};
  const rules: MetricRule[] = [];
  for (const def of DEFAULT_RULES) {
    const override = entries[def.metric];
    if (override === false) continue;
    rules.push(parseRule(def.metric, override, def, source));
  }
  for (const [metric, override] of Object.entries(entries)) {
    if (DEFAULT_RULES.some((d) => d.metric === metric)) continue;
    if (!isMetricPath(metric)) {
      throw new UsageError(`${source}: unknown metric "${metric}" in "metrics"; expected a path such as latency.p99Us, one of: ${METRIC_PATHS.join(', ')}`);
    }
    if (override === false) continue;
    rules.push(parseRule(metric, override, undefined, source));
  }
  return rules;
}

function parseRule(metric: string, raw: unknown, def: MetricRule | undefined, source: string): MetricRule {
  const at = `metrics.${metric}`;
  if (raw === undefined && def) return { ...def, tolerancePercent: { ...def.tolerancePercent } };
  if (!isObject(raw)) throw new UsageError(`${source}: "${at}" must be false (off) or an object with ${RULE_KEYS.join(', ')}, got ${show(raw)}`);
  checkKeys(raw, RULE_KEYS, `${at}.`, source);
  const gate = raw.gate ?? def?.gate;
  if (typeof gate !== 'string' || !GATES.includes(gate as GateKind)) {
    throw new UsageError(`${source}: "${at}.gate" must be one of: ${GATES.join(', ')}, got ${show(raw.gate)}`);
  }
  const direction = raw.direction ?? def?.direction ?? defaultDirection(metric);
  if (typeof direction !== 'string' || !DIRECTIONS.includes(direction as Direction)) {
    throw new UsageError(`${source}: "${at}.direction" must be one of: ${DIRECTIONS.join(', ')}, got ${show(raw.direction)}`);
  }
  const floor = raw.floorPercent ?? def?.floorPercent ?? 10;
  if (typeof floor !== 'number' || !(floor >= 0 && floor <= 1000)) throw new UsageError(`${source}: "${at}.floorPercent" must be a number between 0 and 1000, got ${show(raw.floorPercent)}`);
  const tolerance = def ? { ...def.tolerancePercent } : uniformTolerance(0);
  const rawTol = raw.tolerancePercent;
  const checkPercent = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1000)) throw new UsageError(`${source}: "${field}" must be a number between 0 and 1000, got ${show(v)}`);
    return v;
  };
  if (typeof rawTol === 'number' || (rawTol !== undefined && !isObject(rawTol))) {
    const v = checkPercent(rawTol, `${at}.tolerancePercent`);
    for (const t of TRANSPORTS) tolerance[t] = v;
  } else if (isObject(rawTol)) {
    for (const [t, v] of Object.entries(rawTol)) {
      if (!isTransport(t)) throw new UsageError(`${source}: unknown transport "${t}" in "${at}.tolerancePercent"; expected one of: ${TRANSPORTS.join(', ')}`);
      tolerance[t] = checkPercent(v, `${at}.tolerancePercent.${t}`);
    }
  }
  return { metric, gate: gate as GateKind, direction: direction as Direction, floorPercent: floor, tolerancePercent: tolerance };
}

/** The configuration used when there is no config file: `rtbench compare`'s defaults, every default metric. */
export function defaultConfig(): GateConfig {
  return parseConfig({}, 'built-in defaults');
}

/** Reads and validates a config file; throws UsageError naming the file when it is missing or invalid. */
export function loadConfig(file: string): GateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read config file "${file}": ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file "${file}" is not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(data, file);
}

/** The config file in `cwd` when there is one, else undefined. */
export function findConfig(cwd: string): string | undefined {
  const path = join(cwd, CONFIG_FILE);
  return existsSync(path) ? path : undefined;
}

/**
 * The raw JSON form of a resolved config (what a baseline stores): every scenario's full options and every
 * metric spelled out, disabled defaults as false, so parseConfig(toRawConfig(c)) equals c.
 */
export function toRawConfig(config: GateConfig): Record<string, unknown> {
  const metrics: Record<string, unknown> = {};
  for (const def of DEFAULT_RULES) if (!config.rules.some((r) => r.metric === def.metric)) metrics[def.metric] = false;
  for (const r of config.rules) {
    metrics[r.metric] = { gate: r.gate, direction: r.direction, floorPercent: r.floorPercent, tolerancePercent: { ...r.tolerancePercent } };
  }
  return {
    rounds: config.rounds,
    alpha: config.alpha,
    correction: config.correction,
    strict: config.strict,
    scenarios: config.scenarios.map((s) => {
      const options: Record<string, unknown> = {};
      for (const key of OPTION_KEYS) options[key] = s.options[key];
      return { name: s.name, transports: [...s.options.transports], options };
    }),
    metrics,
  };
}
