// Parsing of user-supplied values into numbers and lists, with one clear sentence on failure.
import { UsageError } from './errors.ts';
import { DEFAULT_TRANSPORTS, TRANSPORTS, isTransport, type Transport } from './transports.ts';

/** Parses `raw` as an integer in [min, max]; `field` names it in the error (e.g. "--clients"). */
export function parseIntIn(field: string, raw: string | number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(raw).trim();
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${field} must be an integer ${range}, got "${text}"`);
  }
  return value;
}

/** Parses `raw` as a finite number in [min, max]. */
export function parseNumberIn(field: string, raw: string | number, min: number, max = Number.MAX_VALUE): number {
  const text = String(raw).trim();
  const value = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${field} must be a number ${range}, got "${text}"`);
  }
  return value;
}

/** Parses a duration: "500ms", "10s", "2m" or a bare number of milliseconds; returns ms. */
export function parseDurationMs(field: string, raw: string | number, minMs: number, maxMs = 24 * 3600_000): number {
  const text = String(raw).trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  const unit = m?.[2] ?? 'ms';
  const ms = m ? Number(m[1]) * (unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    throw new UsageError(`${field} must be a duration like 500ms, 10s or 2m between ${minMs} ms and ${maxMs} ms, got "${text}"`);
  }
  return Math.round(ms);
}

/** Parses a bandwidth: "2mbit", "512kbit", "1gbit" or a bare number of kbit/s; returns kbit/s (whole). */
export function parseBandwidthKbit(field: string, raw: string | number, minKbit: number, maxKbit: number): number {
  const text = String(raw).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*(kbit|mbit|gbit)?$/.exec(text);
  const unit = m?.[2] ?? 'kbit';
  const kbit = m ? Math.round(Number(m[1]) * (unit === 'gbit' ? 1_000_000 : unit === 'mbit' ? 1000 : 1)) : Number.NaN;
  if (!Number.isFinite(kbit) || kbit < minKbit || kbit > maxKbit) {
    throw new UsageError(`${field} must be a bandwidth like 512kbit, 2mbit or 1gbit between ${minKbit} and ${maxKbit} kbit/s, got "${String(raw).trim()}"`);
  }
  return kbit;
}

/**
 * Parses a comma-separated transport list ("ws,sse", or "all" for every transport, Socket.IO's included). A given
 * list must name at least one transport: an empty or blank one ("", " , ") is refused. Only an absent list (no
 * positional names) means the default transports (the five plain ones).
 */
export function parseTransports(field: string, raw: string | string[] | undefined): Transport[] {
  const given = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const items = given
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (given.length > 0 && items.length === 0) {
    throw new UsageError(`${field} must name at least one transport (or "all"), got ${JSON.stringify(given.join(','))}; expected some of: ${TRANSPORTS.join(', ')}`);
  }
  if (items.length === 0) return [...DEFAULT_TRANSPORTS];
  if (items.length === 1 && items[0] === 'all') return [...TRANSPORTS];
  const out: Transport[] = [];
  for (const item of items) {
    if (!isTransport(item)) throw new UsageError(`unknown transport "${item}" in ${field}; expected one of: ${TRANSPORTS.join(', ')}`);
    if (!out.includes(item)) out.push(item);
  }
  return out;
}
