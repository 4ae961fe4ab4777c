// JSON report: the result itself, stable 2-space JSON with a trailing newline, for scripts.
import type { RunResult } from '../lib/result.ts';

/** Renders a run as 2-space indented JSON plus a newline (key order as produced by the driver). */
export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
