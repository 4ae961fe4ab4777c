// Incremental NDJSON line splitter: bytes (or decoded text) in, one callback per non-empty line out. A line or a
// UTF-8 character split across chunks waits for its end; each line is handed over as a range of the chunk's
// string, so a chunk of whole lines costs no allocation beyond that string.
import { StringDecoder } from 'node:string_decoder';

/** Called once per non-empty line, `text[start..end)` (without its LF); a throw leaves the rest of the chunk unsplit. */
export type LineHandler = (text: string, start: number, end: number) => void;

/** Splits one NDJSON stream into lines. */
export class NdjsonSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** Text after the last LF: the start of a line still arriving. */
  private pending = '';

  constructor(private readonly onLine: LineHandler) {}

  /** Splits the next bytes of the stream. */
  feed(chunk: Uint8Array): void {
    const text = this.decoder.write(chunk as Buffer);
    if (text.length > 0) this.feedText(text);
  }

  /** Splits the next decoded text of the stream (what `feed` does after UTF-8 decoding). */
  feedText(chunk: string): void {
    let nl = chunk.indexOf('\n');
    if (nl === -1) {
      // No line ends here: only collect (a rope, not a copy per chunk).
      this.pending += chunk;
      return;
    }
    let text = chunk;
    if (this.pending !== '') {
      text = this.pending + chunk;
      nl += this.pending.length;
      this.pending = '';
    }
    const end = text.length;
    let start = 0;
    while (nl !== -1) {
      if (nl > start) this.onLine(text, start, nl);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (start < end) this.pending = text.slice(start);
  }

  /** The stream ended: an unfinished line is discarded. */
  end(): void {
    this.decoder.end();
    this.pending = '';
  }
}
