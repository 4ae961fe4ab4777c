// Reads a result JSON file and checks it is an rtbench result this version can render.
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, type RunResult } from '../driver/result.ts';
import { UsageError } from '../lib/errors.ts';
import { TRANSPORTS, isTransport } from '../lib/transports.ts';

const STATUSES = ['ok', 'errored', 'interrupted'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses `text` (the contents of `file`) as a RunResult; throws UsageError with one sentence naming the file
 * when it is not JSON, has another schemaVersion, or lacks the fields reports need.
 */
export function parseResult(text: string, file: string): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`result file "${file}" is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(data)) throw new UsageError(`result file "${file}" is not an rtbench result: expected a JSON object`);
  if (data.schemaVersion !== SCHEMA_VERSION) {
    throw new UsageError(`result file "${file}" has schemaVersion ${JSON.stringify(data.schemaVersion) ?? 'undefined'}; this rtbench reads schemaVersion ${SCHEMA_VERSION}`);
  }
  const bad = (what: string): UsageError => new UsageError(`result file "${file}" is not an rtbench result: ${what}`);
  for (const key of ['scenario', 'startedAt', 'finishedAt'] as const) {
    if (typeof data[key] !== 'string') throw bad(`"${key}" must be a string`);
  }
  if (typeof data.interrupted !== 'boolean') throw bad('"interrupted" must be true or false');
  if (!isObject(data.options)) throw bad('"options" must be an object');
  for (const key of ['clients', 'rate', 'payloadBytes', 'warmupMs', 'durationMs', 'pollIntervalMs', 'workers']) {
    if (typeof data.options[key] !== 'number') throw bad(`"options.${key}" must be a number`);
  }
  if (!isObject(data.environment)) throw bad('"environment" must be an object');
  if (!Array.isArray(data.transports)) throw bad('"transports" must be an array');
  data.transports.forEach((t: unknown, i: number) => {
    if (!isObject(t)) throw bad(`"transports[${i}]" must be an object`);
    if (typeof t.transport !== 'string' || !isTransport(t.transport)) {
      throw bad(`"transports[${i}].transport" is ${JSON.stringify(t.transport)}; expected one of: ${TRANSPORTS.join(', ')}`);
    }
    if (typeof t.status !== 'string' || !STATUSES.includes(t.status)) {
      throw bad(`"transports[${i}].status" is ${JSON.stringify(t.status)}; expected one of: ${STATUSES.join(', ')}`);
    }
  });
  return data as unknown as RunResult;
}

/** Reads and validates a result file; throws UsageError naming the file when it is missing or invalid. */
export function loadResult(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read result file "${file}": ${why}`);
  }
  return parseResult(text, file);
}
