// The scenario file schema: one JSON file per scenario, a `kind` naming its runner, and `smoke`, `ci` and `full`
// profiles holding the kind's parameters. Validation fills defaults and names the offending field in one sentence.
import { UsageError } from '../lib/errors.ts';
import { TRANSPORTS, isTransport, type Transport } from '../lib/transports.ts';
import { FIELDS, KIND_FIELDS, PROFILES, SCENARIO_KINDS, checkField, defaultTransportsOf, refusalOf, show, type FieldSpec, type ProfileName, type ProfileValues, type ScenarioKind } from '../lib/options.ts';

export { PROFILES, SCENARIO_KINDS, type ProfileName, type ScenarioKind } from '../lib/options.ts';

/** A validated scenario file. */
export interface ScenarioFile {
  name: string;
  description: string;
  kind: ScenarioKind;
  /** The file's transports, or every transport its kind runs. */
  transports: Transport[];
  profiles: Record<ProfileName, ProfileValues>;
  /** Where it came from, as the user named it (prefixes every error). */
  source: string;
}

const TOP_FIELDS = ['name', 'description', 'kind', 'transports', 'profiles'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates one profile of a `kind` scenario and fills its defaults; throws UsageError naming the field. */
function validateProfile(source: string, kind: ScenarioKind, profile: ProfileName, raw: unknown): ProfileValues {
  const path = `profiles.${profile}`;
  if (!isObject(raw)) throw new UsageError(`${source}: ${path} must be an object of ${kind} parameters, got ${show(raw)}`);
  const allowed = KIND_FIELDS[kind];
  for (const key of Object.keys(raw)) {
    if (!(allowed as readonly string[]).includes(key)) throw new UsageError(`${source}: unknown field "${key}" in ${path}; expected one of: ${allowed.join(', ')}`);
  }
  const out: ProfileValues = {};
  for (const name of allowed) {
    const spec: FieldSpec = FIELDS[name];
    const v = raw[name];
    if (v === undefined) {
      out[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      continue;
    }
    const error = checkField(`${path}.${name}`, spec, v);
    if (error) throw new UsageError(`${source}: ${error}`);
    out[name] = v as number | boolean | string | number[];
  }
  if (kind === 'churn') {
    const clients = out.clients as number;
    if (out.stormClients === -1) out.stormClients = clients;
    if ((out.stormClients as number) > clients) throw new UsageError(`${source}: ${path}.stormClients must be at most clients (${clients}), got ${show(raw.stormClients)}`);
  }
  return out;
}

/** Validates a parsed scenario file (`source` names it in errors) and fills every default. */
export function validateScenario(raw: unknown, source: string): ScenarioFile {
  if (!isObject(raw)) throw new UsageError(`${source} must hold a JSON object with ${TOP_FIELDS.join(', ')}, got ${Array.isArray(raw) ? 'a list' : show(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!(TOP_FIELDS as readonly string[]).includes(key)) throw new UsageError(`${source}: unknown field "${key}"; expected one of: ${TOP_FIELDS.join(', ')}`);
  }
  const { name, description, kind, transports, profiles } = raw;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][\w.-]{0,63}$/.test(name)) {
    throw new UsageError(`${source}: name must be 1 to 64 letters, digits, ".", "_" or "-" (it names the result files), got ${show(name)}`);
  }
  if (description !== undefined && typeof description !== 'string') throw new UsageError(`${source}: description must be a string, got ${show(description)}`);
  if (typeof kind !== 'string' || !(SCENARIO_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`${source}: kind must be one of: ${SCENARIO_KINDS.join(', ')}; got ${show(kind)}`);
  }
  const k = kind as ScenarioKind;
  let list: Transport[] = defaultTransportsOf(k);
  if (transports !== undefined) {
    if (!Array.isArray(transports) || transports.length === 0) throw new UsageError(`${source}: transports must be a non-empty list of transport names, got ${show(transports)}`);
    list = [];
    for (const [i, t] of transports.entries()) {
      if (typeof t !== 'string' || !isTransport(t)) throw new UsageError(`${source}: transports[${i}] must be one of: ${TRANSPORTS.join(', ')}; got ${show(t)}`);
      const refusal = refusalOf(k, t, `${source}: transports[${i}] is`);
      if (refusal !== undefined) throw new UsageError(refusal);
      if (!list.includes(t)) list.push(t);
    }
  }
  if (!isObject(profiles)) throw new UsageError(`${source}: profiles must be an object with smoke, ci and full profiles, got ${show(profiles)}`);
  for (const key of Object.keys(profiles)) {
    if (!(PROFILES as readonly string[]).includes(key)) throw new UsageError(`${source}: unknown field "${key}" in profiles; expected one of: ${PROFILES.join(', ')}`);
  }
  const out = {} as Record<ProfileName, ProfileValues>;
  for (const p of PROFILES) {
    if (profiles[p] === undefined) throw new UsageError(`${source}: profiles.${p} is missing; a scenario file needs smoke, ci and full profiles`);
    out[p] = validateProfile(source, k, p, profiles[p]);
  }
  return { name, description: description ?? '', kind: k, transports: list, profiles: out, source };
}
