// Formatters shared by every report: exact strings, no locale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NONE, formatBytes, formatCount, formatDelta, formatMs, formatPercent, formatPercentile, formatRate, formatRatio, formatSig, formatUs } from '../reports/format.ts';

test('formatUs picks µs, ms or s with 3 significant digits', () => {
  assert.equal(formatUs(0), '0 µs');
  assert.equal(formatUs(850), '850 µs');
  assert.equal(formatUs(999.4), '999 µs');
  assert.equal(formatUs(999.6), '1.00 ms');
  assert.equal(formatUs(1_234), '1.23 ms');
  assert.equal(formatUs(12_345), '12.3 ms');
  assert.equal(formatUs(123_456), '123 ms');
  assert.equal(formatUs(999_999), '1.00 s');
  assert.equal(formatUs(1_020_000), '1.02 s');
  assert.equal(formatUs(61_000_000), '61.0 s');
  assert.equal(formatUs(Number.NaN), NONE);
});

test('formatSig keeps significant digits without exponents and handles carries', () => {
  assert.equal(formatSig(0), '0');
  assert.equal(formatSig(1), '1.00');
  assert.equal(formatSig(9.9996), '10.0');
  assert.equal(formatSig(0.001), '0.00100');
  assert.equal(formatSig(1234.5), '1235');
  assert.equal(formatSig(-12.34), '-12.3');
  assert.equal(formatSig(Number.POSITIVE_INFINITY), NONE);
});

test('formatBytes uses binary units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(14 * 1024), '14.0 KiB');
  assert.equal(formatBytes(62 * 1024 * 1024), '62.0 MiB');
  assert.equal(formatBytes(16 * 1024 ** 3), '16.0 GiB');
});

test('formatCount, formatRate, formatRatio, formatPercent', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1,000');
  assert.equal(formatCount(1234567.4), '1,234,567');
  assert.equal(formatCount(-48500), '-48,500');
  assert.equal(formatRate(5000), '5,000/s');
  assert.equal(formatRate(12.34), '12.3/s');
  assert.equal(formatRate(100, ' events/s'), '100 events/s');
  assert.equal(formatRatio(0), '0');
  assert.equal(formatRatio(0.001), '0.00100');
  assert.equal(formatRatio(0.97), '0.970');
  assert.equal(formatRatio(1), '1.00');
  assert.equal(formatRatio(12.5), '12.5');
  assert.equal(formatRatio(2500), '2,500');
  // a carry into a new digit keeps three significant digits
  assert.equal(formatRatio(0.00099980004), '0.00100');
  assert.equal(formatRatio(0.09998), '0.100');
  assert.equal(formatRatio(9.9996), '10.0');
  assert.equal(formatPercent(0.0208333), '2.08%');
});

test('formatMs, formatDelta and formatPercentile', () => {
  assert.equal(formatMs(850), '850 ms');
  assert.equal(formatMs(10_000), '10.0 s');
  assert.equal(formatMs(125_000), '2m 05s');
  assert.equal(formatDelta(100, 100), '±0%');
  assert.equal(formatDelta(100, 112.34), '+12.3%');
  assert.equal(formatDelta(100, 99.6), '-0.4%');
  assert.equal(formatDelta(100, 350), '+250%');
  assert.equal(formatDelta(0, 5), '+∞');
  assert.equal(formatPercentile(50), '50%');
  assert.equal(formatPercentile(99.9), '99.9%');
  assert.equal(formatPercentile(99.999), '99.999%');
});
