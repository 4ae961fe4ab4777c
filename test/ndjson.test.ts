// The NDJSON line splitter (clients/ndjson.ts) against the whole text split on '\n': seeded random streams of
// lines with multi-byte UTF-8 and blank lines, cut into 1-byte, random and inside-a-character chunks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdjsonSplitter } from '../clients/ndjson.ts';
import { seededRandom } from './helpers/synthetic.ts';
import { cutAt } from './helpers/chunks.ts';

/** The lines the splitter hands over for `chunks`, fed as bytes or, with `asText`, as already decoded strings. */
function split(chunks: readonly Buffer[], asText = false): string[] {
  const lines: string[] = [];
  const splitter = new NdjsonSplitter((text, start, end) => lines.push(text.slice(start, end)));
  for (const chunk of chunks) {
    if (asText) splitter.feedText(chunk.toString());
    else splitter.feed(chunk);
  }
  splitter.end();
  return lines;
}

/** The expected lines: every '\n'-terminated line of `text` that is not empty (the unterminated rest is not a line). */
function expected(text: string): string[] {
  return text
    .split('\n')
    .slice(0, -1)
    .filter((line) => line !== '');
}

const CHARS = ['a', '7', ' ', '"', '{', '}', ',', ':', '\r', 'é', '€', '中', '😀', '𝄞'];

/** A seeded random NDJSON text: event-like lines and free text, blank lines, sometimes an unterminated last line. */
function generate(seed: number): string {
  const rand = seededRandom(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const value = (): string => Array.from({ length: int(40) }, () => CHARS[int(CHARS.length)] as string).join('');
  let out = '';
  const lines = 1 + int(40);
  for (let i = 0; i < lines; i++) {
    const r = rand();
    out += r < 0.6 ? `{"seq":${i + 1},"ts":${int(1e12)},"data":"${value()}"}\n` : r < 0.8 ? `${value()}\n` : '\n';
  }
  if (rand() < 0.5) out += value();
  return out;
}

describe('NdjsonSplitter', { timeout: 30_000 }, () => {
  it('hands over exactly the non-empty lines of the text split on LF, however the bytes are cut', () => {
    let utf8Cuts = 0;
    let lineCuts = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const text = generate(seed);
      const buf = Buffer.from(text);
      const want = expected(text);
      const rand = seededRandom(seed * 104_729);
      const random: number[] = [];
      for (let i = 0; i < buf.length; i += 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 200))) random.push(i);
      // Inside every multi-byte character (after its first byte), and right before and after every LF.
      const inside: number[] = [];
      for (let i = 0; i < buf.length; i++) {
        const b = buf[i] as number;
        if (b >= 0xc0) inside.push(i + 1);
        if (b === 10) inside.push(i, i + 1);
      }
      utf8Cuts += inside.filter((i) => (buf[i] ?? 0) >= 0x80 && (buf[i] ?? 0) < 0xc0).length;
      lineCuts += random.filter((i) => i > 0 && buf[i - 1] !== 10).length;
      const ways: Record<string, Buffer[]> = {
        whole: [buf],
        'one byte': cutAt(buf, Array.from({ length: buf.length }, (_, i) => i)),
        random: cutAt(buf, random),
        'inside characters, around LFs': cutAt(buf, inside),
      };
      for (const [way, chunks] of Object.entries(ways)) assert.deepEqual(split(chunks), want, `seed ${seed}, ${way}`);
      // Already decoded text (the web client decodes with its own TextDecoder): cut between characters only.
      assert.deepEqual(split(cutAt(buf, random.filter((i) => ((buf[i] ?? 0) & 0xc0) !== 0x80)), true), want, `seed ${seed}, text`);
    }
    assert.ok(utf8Cuts > 1000, `${utf8Cuts} cuts inside characters`);
    assert.ok(lineCuts > 1000, `${lineCuts} cuts inside lines`);
  });

  it('hands a line over as a range of the chunk it arrived in, skipping a blank line', () => {
    const ranges: [string, number, number][] = [];
    const splitter = new NdjsonSplitter((text, start, end) => ranges.push([text, start, end]));
    const chunk = '{"seq":1}\n\n{"seq":2}\n';
    splitter.feedText(chunk);
    assert.deepEqual(ranges, [
      [chunk, 0, 9],
      [chunk, 11, 20],
    ]);
  });
});
