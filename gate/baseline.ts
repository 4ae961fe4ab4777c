// The baseline file: the gate config it was recorded with and every round's full RunResult (raw per-round
// figures and the encoded latency histograms), so a later gate can rerun the same scenarios and compare.
import { readFileSync, writeFileSync } from 'node:fs';
import type { RunResult } from '../lib/result.ts';
import { UsageError } from '../lib/errors.ts';
import { parseResult } from '../lib/result.ts';
import { parseConfig, toRawConfig, type GateConfig } from './config.ts';

/** Version of the baseline file shape. */
export const BASELINE_SCHEMA_VERSION = 1;
/** The `kind` every baseline file carries. */
export const BASELINE_KIND = 'rtbench-baseline';

/** A baseline file as stored. */
export interface BaselineFile {
  schemaVersion: typeof BASELINE_SCHEMA_VERSION;
  kind: typeof BASELINE_KIND;
  /** ISO time the file was written. */
  savedAt: string;
  /** The resolved gate config (raw JSON form, every default spelled out). */
  config: Record<string, unknown>;
  /** One RunResult per scenario per round, in the order they ran. */
  rounds: RunResult[];
}

/** A loaded baseline: its validated config and rounds. */
export interface Baseline {
  file: string;
  savedAt: string;
  config: GateConfig;
  rounds: RunResult[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds the stored form of a baseline. */
export function makeBaseline(config: GateConfig, rounds: RunResult[], savedAt: string): BaselineFile {
  return { schemaVersion: BASELINE_SCHEMA_VERSION, kind: BASELINE_KIND, savedAt, config: toRawConfig(config), rounds };
}

/** Serialises a baseline as 2-space JSON plus a newline. */
export function renderBaseline(b: BaselineFile): string {
  return `${JSON.stringify(b, null, 2)}\n`;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read ${what} "${file}": ${why}`);
  }
}

function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} "${file}" is not valid JSON (${(err as Error).message})`);
  }
}

/** Validates parsed baseline data from `file`; throws UsageError with one sentence naming the file. */
export function parseBaseline(data: unknown, file: string): Baseline {
  if (!isObject(data) || data.kind !== BASELINE_KIND) {
    throw new UsageError(`baseline file "${file}" is not an rtbench baseline: expected "kind": "${BASELINE_KIND}" (write one with rtbench baseline save)`);
  }
  if (data.schemaVersion !== BASELINE_SCHEMA_VERSION) {
    throw new UsageError(`baseline file "${file}" has schemaVersion ${JSON.stringify(data.schemaVersion) ?? 'undefined'}; this rtbench reads schemaVersion ${BASELINE_SCHEMA_VERSION}`);
  }
  if (!Array.isArray(data.rounds) || data.rounds.length === 0) throw new UsageError(`baseline file "${file}" has no rounds: "rounds" must be a non-empty array of results`);
  const rounds = data.rounds.map((r: unknown, i: number) => parseResult(JSON.stringify(r), `${file}, rounds[${i}]`));
  const config = parseConfig(data.config, `baseline file "${file}", config`);
  return { file, savedAt: typeof data.savedAt === 'string' ? data.savedAt : '', config, rounds };
}

/** Reads and validates a baseline file. */
export function loadBaseline(file: string): Baseline {
  return parseBaseline(parseJson(readText(file, 'baseline file'), file, 'baseline file'), file);
}

/**
 * Reads the results in `file`: one RunResult (as `rtbench compare --json` prints it), a JSON array of them, or
 * a baseline file (its rounds). Throws UsageError naming the file when it is none of these.
 */
export function loadRounds(file: string): RunResult[] {
  const data = parseJson(readText(file, 'result file'), file, 'result file');
  if (isObject(data) && data.kind === BASELINE_KIND) return parseBaseline(data, file).rounds;
  if (Array.isArray(data)) {
    if (data.length === 0) throw new UsageError(`result file "${file}" holds an empty array; expected rtbench results`);
    return data.map((r: unknown, i: number) => parseResult(JSON.stringify(r), `${file}, [${i}]`));
  }
  return [parseResult(JSON.stringify(data), file)];
}

/** Writes `text` to `file`; throws UsageError naming the file when it cannot. */
export function writeTextFile(file: string, text: string, what: string, append = false): void {
  try {
    writeFileSync(file, text, { flag: append ? 'a' : 'w' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot write ${what} "${file}": ${why}`);
  }
}
