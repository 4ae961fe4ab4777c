// Live progress on a terminal: one line redrawn in place while a transport runs, one line kept per finished
// transport. Silent unless the stream is a TTY, --quiet is off and NO_COLOR is unset.
import type { Progress } from '../lib/result.ts';
import { formatCount, formatMs, formatUs } from './format.ts';

/** Width of the progress bar, characters. */
const BAR_WIDTH = 20;

/** Seconds with one decimal under a minute ("8.0 s"), minutes and seconds above ("2m 05s"). */
function clock(ms: number): string {
  return ms < 59_950 ? `${(Math.max(0, ms) / 1000).toFixed(1)} s` : formatMs(ms);
}

/** A text bar of `fraction` (0..1), e.g. "[██████░░░░░░░░░░░░░░]". */
export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** One progress line: "[2/5] ws  measuring  [███░…]  8.0 s / 12.0 s  40,000 delivered  p99 1.11 ms". */
export function formatProgress(p: Progress): string {
  const fraction = p.plannedMs > 0 ? p.elapsedMs / p.plannedMs : 0;
  const p99 = p.currentP99Us > 0 ? formatUs(p.currentP99Us) : '–';
  return [
    `[${p.index + 1}/${p.total}] ${p.transport}`,
    p.phase,
    progressBar(p.phase === 'done' ? 1 : fraction),
    `${clock(p.elapsedMs)} / ${clock(p.plannedMs)}`,
    `${formatCount(p.delivered)} delivered`,
    `p99 ${p99}`,
  ].join('  ');
}

/** The line kept on screen once a transport is done: "✓ [2/5] ws  40,000 delivered  p99 1.11 ms  in 12.0 s". */
export function formatProgressDone(p: Progress): string {
  const p99 = p.currentP99Us > 0 ? formatUs(p.currentP99Us) : '–';
  return `✓ [${p.index + 1}/${p.total}] ${p.transport}  ${formatCount(p.delivered)} delivered  p99 ${p99}  in ${clock(p.elapsedMs)}`;
}

/** The part of a stream the display needs (process.stderr fits). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width, characters. */
  columns?: number;
}

/** Options of the live display. */
export interface ProgressOptions {
  /** --quiet: show nothing. */
  quiet?: boolean;
  /** Environment to read NO_COLOR from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** A live progress display: feed it every Progress sample, then call done() once. */
export interface ProgressDisplay {
  /** True when the display writes anything at all. */
  readonly enabled: boolean;
  update(progress: Progress): void;
  /** Clears the live line (the finished-transport lines stay). */
  done(): void;
}

/** True when live progress should be drawn on `stream`: a TTY, not --quiet, NO_COLOR unset or empty. */
export function progressEnabled(stream: ProgressStream, opts: ProgressOptions = {}): boolean {
  const env = opts.env ?? process.env;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return stream.isTTY === true && opts.quiet !== true && !noColor;
}

/** Creates a live display on `stream` (normally process.stderr); it writes nothing when not enabled. */
export function createProgressDisplay(stream: ProgressStream, opts: ProgressOptions = {}): ProgressDisplay {
  const enabled = progressEnabled(stream, opts);
  let live = false;
  const fit = (line: string): string => {
    const max = (stream.columns ?? 100) - 1;
    const chars = [...line];
    return max > 0 && chars.length > max ? chars.slice(0, max).join('') : line;
  };
  return {
    enabled,
    update(progress: Progress): void {
      if (!enabled) return;
      if (progress.phase === 'done') {
        stream.write(`\r${fit(formatProgressDone(progress))}\x1b[K\n`);
        live = false;
        return;
      }
      stream.write(`\r${fit(formatProgress(progress))}\x1b[K`);
      live = true;
    },
    done(): void {
      if (!enabled || !live) return;
      stream.write('\r\x1b[K');
      live = false;
    },
  };
}
