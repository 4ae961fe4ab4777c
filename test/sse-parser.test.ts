// The lean event-stream parser (clients/sse-parser.ts) against the HTML standard's examples, and against
// eventsource-parser (what the `eventsource` library runs, fed as eventsource feeds it: through a streaming
// TextDecoder) on seeded random streams holding every construct of the format, cut into random chunks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from 'eventsource-parser';
import { SseParser } from '../clients/sse-parser.ts';
import { seededRandom } from './helpers/synthetic.ts';
import { cutAt } from './helpers/chunks.ts';

/** One thing a parser reported: an event (type, data, last event ID string) or a valid retry value. */
type Report = readonly ['event', string, string, string] | readonly ['retry', number];

/** What the lean parser reports for `chunks`. */
function lean(chunks: readonly Uint8Array[]): Report[] {
  const out: Report[] = [];
  const parser = new SseParser(
    (type, text, start, end) => out.push(['event', type, text.slice(start, end), parser.lastEventId]),
    (ms) => out.push(['retry', ms]),
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return out;
}

/** What eventsource 4 reports for `chunks`: its decoder, its parser, and its lastEventId rule. */
function reference(chunks: readonly Uint8Array[]): Report[] {
  const out: Report[] = [];
  let lastEventId = '';
  const parser = createParser({
    onEvent: (e) => {
      if (typeof e.id === 'string') lastEventId = e.id;
      out.push(['event', e.event || 'message', e.data, lastEventId]);
    },
    onRetry: (ms) => out.push(['retry', ms]),
  });
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  return out;
}

const bytes = (s: string): Uint8Array[] => [Buffer.from(s)];

describe('SseParser: the HTML standard', { timeout: 10_000 }, () => {
  it("dispatches the standard's first example: comments, data, id, an empty id, one leading space stripped", () => {
    const stream = ': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n';
    assert.deepEqual(lean(bytes(stream)), [
      ['event', 'message', 'first event', '1'],
      ['event', 'message', 'second event', ''],
      ['event', 'message', ' third event', ''],
    ]);
  });

  it("dispatches the standard's second example: empty data, a lone newline, and no event without its blank line", () => {
    assert.deepEqual(lean(bytes('data\n\ndata\ndata\n\ndata:')), [
      ['event', 'message', '', ''],
      ['event', 'message', '\n', ''],
    ]);
  });

  it("dispatches the standard's third example: 'data:test' and 'data: test' alike", () => {
    assert.deepEqual(lean(bytes('data:test\n\ndata: test\n\n')), [
      ['event', 'message', 'test', ''],
      ['event', 'message', 'test', ''],
    ]);
  });

  it('ends lines at CRLF, LF and CR, also a CR ending one chunk and its LF starting the next', () => {
    const chunks = ['data: a\r\n', 'data: b\rdata: c\n\r', '\nevent: x\rdata\r', '\r'].map((s) => Buffer.from(s));
    assert.deepEqual(lean(chunks), [
      ['event', 'message', 'a\nb\nc', ''],
      ['event', 'x', '', ''],
    ]);
  });

  it('drops one leading BOM, even split over three chunks, and keeps a second one', () => {
    const bom = Buffer.from('\uFEFF');
    const rest = Buffer.from('data: x\n\n');
    const split = [bom.subarray(0, 1), bom.subarray(1, 2), bom.subarray(2), rest];
    assert.deepEqual(lean(split), [['event', 'message', 'x', '']]);
    // With two, the second is part of the field name: "\uFEFFdata" is an unknown field, nothing is dispatched.
    assert.deepEqual(lean([bom, bom, rest]), []);
  });

  it('ignores an id containing NUL, a retry that is not all ASCII digits, and unknown or miscased fields', () => {
    const stream = 'id: 5\ndata: a\n\nid: 6\u00007\nretry: 12a\nretry:\nretry: -1\nretry: 0250\nData: no\ndata : no\nfoo\ndata: b\n\n';
    assert.deepEqual(lean(bytes(stream)), [
      ['event', 'message', 'a', '5'],
      ['retry', 250],
      ['event', 'message', 'b', '5'],
    ]);
  });

  it('ends a line at a CR at once, where eventsource-parser waits for a later chunk holding a CR or LF', () => {
    const chunks = bytes('data: x\r\r');
    assert.deepEqual(lean(chunks), [['event', 'message', 'x', '']]);
    // eventsource-parser holds a chunk's last CR until a chunk with a line end arrives (never, if the stream ends).
    assert.deepEqual(reference(chunks), []);
    assert.deepEqual(reference([...chunks, Buffer.from(':')]), []);
    assert.deepEqual(reference([...chunks, Buffer.from(':'), Buffer.from('\n')]), [['event', 'message', 'x', '']]);
  });

  it('keeps the last event ID across events, and takes it from a block that dispatches nothing (where eventsource-parser does not)', () => {
    const stream = 'id: 7\n\ndata: x\n\nid: 8\ndata: y\n\ndata: z\n\n';
    assert.deepEqual(lean(bytes(stream)), [
      ['event', 'message', 'x', '7'],
      ['event', 'message', 'y', '8'],
      ['event', 'message', 'z', '8'],
    ]);
    // eventsource-parser forgets an id in a block without data: the random streams below leave that case out.
    assert.deepEqual(reference(bytes(stream)), [
      ['event', 'message', 'x', ''],
      ['event', 'message', 'y', '8'],
      ['event', 'message', 'z', '8'],
    ]);
  });
});

/** Characters of generated values: ASCII (':' and spaces too), 2-, 3- and 4-byte UTF-8, a BOM and NUL. */
const CHARS = ['a', 'Z', '7', ' ', ':', '{', '"', ',', 'é', 'ß', '€', '中', '😀', '𝄞', '\uFEFF', '\u0000'];
const EOLS = ['\n', '\r', '\r\n'] as const;

/** How often each construct occurs in the generated streams (so a test can check they all did). */
type Coverage = Record<string, number>;

/** A seeded random event stream, and a tally of the constructs it holds. */
function generate(seed: number, coverage: Coverage): string {
  const rand = seededRandom(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const count = (name: string): void => void (coverage[name] = (coverage[name] ?? 0) + 1);
  const value = (): string => Array.from({ length: int(10) }, () => pick(CHARS)).join('');
  /** `name: value` with the usual space, without it, with two (one kept), or the bare name (an empty value). */
  const field = (name: string, v: string): string => {
    const form = int(4);
    if (form === 3) count(`${name} without colon`);
    return form === 0 ? `${name}: ${v}` : form === 1 ? `${name}:${v}` : form === 2 ? `${name}:  ${v}` : name;
  };
  const eol = (): string => {
    const e = pick(EOLS);
    count(`eol ${JSON.stringify(e)}`);
    return e;
  };
  let out = '';
  if (rand() < 0.5) {
    out += '\uFEFF';
    count('bom');
  }
  const blocks = 5 + int(30);
  for (let b = 0; b < blocks; b++) {
    const dispatched = rand() < 0.7;
    const lines: string[] = [];
    if (dispatched) {
      const dataLines = 1 + int(3);
      if (dataLines > 1) count('several data lines');
      for (let i = 0; i < dataLines; i++) lines.push(field('data', value()));
      count('dispatched block');
      // Only blocks that dispatch carry ids: eventsource-parser forgets the id of a block without data.
      if (rand() < 0.6) {
        const nul = rand() < 0.15;
        if (nul) count('id with NUL');
        lines.push(field('id', nul ? `${int(100)}\u0000${int(100)}` : String(int(1000))));
      }
    } else {
      count('block without data');
    }
    if (rand() < 0.3) {
      const type = pick(['gap', 'custom', 'message', '', 'é中😀']);
      count(type === '' ? 'empty event type' : 'event type');
      lines.push(field('event', type));
    }
    if (rand() < 0.2) {
      const retry = pick(['1500', '0', '0042', '12a', '', '-5', ' 7', '3.5', '1/2', '٣', '9:']);
      count(/^\d+$/.test(retry) ? 'valid retry' : 'invalid retry');
      lines.push(field('retry', retry));
    }
    if (rand() < 0.3) {
      count('comment');
      lines.push(pick([':', ': heartbeat', `:${value()}`]));
    }
    if (rand() < 0.2) {
      count('unknown field');
      lines.push(pick([`foo: ${value()}`, 'Data: x', 'data : x', ' data: x', 'ID: 9', `x${value().replace(/:/g, '')}`]));
    }
    // Any order within the block; a blank line ends it (sometimes a few).
    for (let i = lines.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
    }
    for (const line of lines) out += line + eol();
    out += eol();
    if (rand() < 0.15) {
      count('extra blank lines');
      out += eol() + eol();
    }
  }
  if (rand() < 0.3) {
    count('unfinished last block');
    out += `data: ${value()}${eol()}id: 1${eol()}`;
  }
  // A last LF lets eventsource-parser act on a CR it still holds (see the CR test above); no blank line follows.
  return `${out}:\n`;
}

/** Indexes just after each CR (a cut inside CRLF when an LF follows) and inside each multi-byte UTF-8 character. */
function awkwardCuts(buf: Buffer): { afterCr: number[]; insideUtf8: number[] } {
  const afterCr: number[] = [];
  const insideUtf8: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i] as number;
    if (b === 13) afterCr.push(i + 1);
    if (b >= 0xc0) {
      // A lead byte of a 2-, 3- or 4-byte character: cut after its first, second or third byte (varying).
      const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      insideUtf8.push(i + 1 + (i % (length - 1)));
    }
  }
  return { afterCr, insideUtf8 };
}

describe('SseParser agrees with eventsource-parser', { timeout: 60_000 }, () => {
  it('on 400 seeded random streams, each whole, in 1-byte chunks, in random chunks, and cut inside every CRLF and UTF-8 character', () => {
    const coverage: Coverage = {};
    let events = 0;
    let crlfCuts = 0;
    let utf8Cuts = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const buf = Buffer.from(generate(seed, coverage));
      const rand = seededRandom(seed * 7919);
      const { afterCr, insideUtf8 } = awkwardCuts(buf);
      crlfCuts += afterCr.filter((i) => buf[i] === 10).length;
      utf8Cuts += insideUtf8.length;
      const random: number[] = [];
      for (let i = 0; i < buf.length; i += 1 + Math.floor(rand() * (rand() < 0.5 ? 4 : 64))) random.push(i);
      const ways: Record<string, Buffer[]> = {
        whole: [buf],
        'one byte': cutAt(buf, Array.from({ length: buf.length }, (_, i) => i)),
        random: cutAt(buf, random),
        'inside CRLF and UTF-8': cutAt(buf, [...afterCr, ...insideUtf8]),
      };
      const expected = reference([buf]);
      events += expected.filter((r) => r[0] === 'event').length;
      for (const [way, chunks] of Object.entries(ways)) {
        assert.deepEqual(reference(chunks), expected, `eventsource-parser, seed ${seed}, ${way}`);
        assert.deepEqual(lean(chunks), expected, `lean parser, seed ${seed}, ${way}`);
      }
    }
    // Every construct occurred, and the awkward cuts happened.
    const constructs = [
      'bom', 'eol "\\n"', 'eol "\\r"', 'eol "\\r\\n"', 'dispatched block', 'block without data', 'several data lines',
      'data without colon', 'id without colon', 'event without colon', 'retry without colon', 'id with NUL',
      'event type', 'empty event type', 'valid retry', 'invalid retry', 'comment', 'unknown field', 'extra blank lines',
      'unfinished last block',
    ];
    assert.deepEqual(constructs.filter((c) => !(coverage[c] ?? 0)), []);
    assert.ok(events > 4000, `${events} events`);
    assert.ok(crlfCuts > 1000, `${crlfCuts} cuts inside CRLF`);
    assert.ok(utf8Cuts > 1000, `${utf8Cuts} cuts inside UTF-8 characters`);
  });
});
