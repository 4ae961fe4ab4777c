// Shared number formatters for every report. Deterministic: no locale, no Intl, same output everywhere.

/** Placeholder for a value that was not measured. */
export const NONE = '–';

/** Formats `n` with `digits` significant digits, without exponent notation ("12.3", "0.0120", "1234"). */
export function formatSig(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return NONE;
  if (n === 0) return '0';
  const abs = Math.abs(n);
  const magnitude = Math.floor(Math.log10(abs));
  if (magnitude >= digits - 1) return String(Math.round(n));
  const decimals = Math.min(20, digits - 1 - magnitude);
  let text = n.toFixed(decimals);
  // rounding can carry into a new digit (9.995 -> "10.00"): drop the extra decimal
  if (Math.abs(Number(text)) >= 10 ** (magnitude + 1) && decimals > 0) text = n.toFixed(decimals - 1);
  return text;
}

/** Formats an integer count with thin thousands separators ("12,345"). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return NONE;
  const rounded = Math.round(n);
  const sign = rounded < 0 ? '-' : '';
  const digits = String(Math.abs(rounded));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Formats a duration given in microseconds: "850 µs", "12.3 ms", "1.02 s". */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return NONE;
  const abs = Math.abs(us);
  if (abs < 999.5) return `${Math.round(us)} µs`;
  if (abs < 999_500) return `${formatSig(us / 1000)} ms`;
  return `${formatSig(us / 1_000_000)} s`;
}

/** Formats a duration given in milliseconds ("850 ms", "12.3 s", "2m 05s"). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return NONE;
  if (Math.abs(ms) < 60_000) return formatUs(ms * 1000);
  const totalS = Math.round(ms / 1000);
  const m = Math.floor(totalS / 60);
  const s = totalS % 60;
  return `${m}m ${String(s).padStart(2, '0')}s`;
}

/** Formats seconds of CPU or wall time ("0.42 s", "12.3 s"). */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return NONE;
  return `${formatSig(s)} s`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Formats a byte count in binary units: "512 B", "1.50 KiB", "12.3 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return NONE;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1023.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${formatSig(value)} ${BYTE_UNITS[unit]}`;
}

/** Formats a per-second rate: "12,345/s" from 1 000 up, else 3 significant digits ("12.3/s"). */
export function formatRate(perSec: number, unit = '/s'): string {
  if (!Number.isFinite(perSec)) return NONE;
  return `${Math.abs(perSec) >= 999.5 ? formatCount(perSec) : formatSig(perSec)}${unit}`;
}

/** Formats a ratio such as requests per event with 3 significant digits ("0.0100", "1.00", "12.5"). */
export function formatRatio(n: number): string {
  if (!Number.isFinite(n)) return NONE;
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1000) return formatCount(n);
  // keep trailing zeros so columns line up in meaning ("1.00" rather than "1")
  const magnitude = Math.floor(Math.log10(abs));
  const decimals = Math.max(0, 2 - magnitude);
  const text = n.toFixed(decimals);
  // rounding can carry into a new digit (0.0009998 -> "0.001000"): drop the extra decimal
  return Math.abs(Number(text)) >= 10 ** (magnitude + 1) && decimals > 0 ? n.toFixed(decimals - 1) : text;
}

/** Formats a fraction (0..1) as a percentage with 3 significant digits ("0.120%", "12.5%"). */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return NONE;
  return `${formatSig(fraction * 100)}%`;
}

/** Formats a signed relative change (after/before - 1) as "+12.3%" / "-0.4%" / "+250%" / "±0%". */
export function formatDelta(before: number, after: number): string {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return NONE;
  if (before === after) return '±0%';
  if (before === 0) return after > 0 ? '+∞' : '-∞';
  const pct = (after / before - 1) * 100;
  const abs = Math.abs(pct);
  const text = abs >= 99.95 ? formatCount(abs) : abs.toFixed(1);
  return `${pct > 0 ? '+' : '-'}${text}%`;
}

/** Formats a percentile (0..100) as an axis label: "50%", "99.9%", "99.999%". */
export function formatPercentile(percentile: number): string {
  if (!Number.isFinite(percentile)) return NONE;
  const text = percentile.toFixed(6).replace(/\.?0+$/, '');
  return `${text}%`;
}
