// Incremental text/event-stream parser, following the HTML standard's "interpreting an event stream" exactly:
// UTF-8 decoding (a split character waits for its last byte, one leading BOM is dropped), CRLF, LF and CR line
// ends (a CR ending one chunk and the LF starting the next are one line end), fields with or without a colon,
// comments, and dispatch on a blank line. An event's data is handed over as a range of the decoded chunk, so
// the common event (`id: N\ndata: <json>\n\n` in one chunk) costs no allocation beyond the chunk's string.
import { StringDecoder } from 'node:string_decoder';

/**
 * Called once per dispatched event: its type ("message" unless an `event` field named another) and its data,
 * `text[start..end)`. A throw propagates out of feed() and leaves the rest of the chunk unparsed.
 */
export type SseEventHandler = (type: string, text: string, start: number, end: number) => void;

const LF = 10;
const COLON = 58;
const SPACE = 32;
const BOM = 0xfeff;

/** The parser of one event stream (one HTTP response); a reconnection needs a new one. */
export class SseParser {
  /** The reconnection time the stream last set with a valid `retry` field, ms (undefined: never set). */
  retryMs: number | undefined;
  private readonly decoder = new StringDecoder('utf8');
  /** No text decoded yet: a leading BOM is still to be dropped. */
  private atStart = true;
  /** The previous text ended with a CR: an LF starting the next one belongs to that line end. */
  private skipLf = false;
  /** The start of a line still arriving (text after the last line end). */
  private pending = '';
  /** Data lines in the data buffer (0: the buffer is empty and the event will not be dispatched). */
  private dataLines = 0;
  /** The data buffer, without its trailing LF: `dataText[dataStart..dataEnd)`. */
  private dataText = '';
  private dataStart = 0;
  private dataEnd = 0;
  /** The event type buffer ('' dispatches as "message"). */
  private eventType = '';
  /** The last event ID buffer, `idText[idStart..idEnd)`; it is not reset by a dispatch. */
  private idText = '';
  private idStart = 0;
  private idEnd = 0;
  /** The last event ID string as set by the last dispatch, kept as a range until someone asks for it. */
  private lastIdText = '';
  private lastIdStart = 0;
  private lastIdEnd = 0;
  private lastId: string | undefined = '';

  /** `onEvent` receives every dispatched event; `onRetry` every valid `retry` value, ms. */
  constructor(
    private readonly onEvent: SseEventHandler,
    private readonly onRetry?: (retryMs: number) => void,
  ) {}

  /** The last event ID string: what a reconnection would send as `Last-Event-ID` ('' before any `id` field). */
  get lastEventId(): string {
    if (this.lastId === undefined) {
      this.lastId = this.lastIdText.slice(this.lastIdStart, this.lastIdEnd);
      this.lastIdText = this.lastId;
      this.lastIdStart = 0;
      this.lastIdEnd = this.lastId.length;
    }
    return this.lastId;
  }

  /** Parses the next bytes of the stream. */
  feed(chunk: Uint8Array): void {
    const text = this.decoder.write(chunk as Buffer);
    if (text.length > 0) this.feedText(text);
  }

  /** Parses the next decoded text of the stream (what `feed` does after UTF-8 decoding). */
  feedText(chunk: string): void {
    if (chunk.length === 0) return;
    let text = chunk;
    let pos = 0;
    if (this.pending !== '') {
      // A line is still arriving: while no line end comes, only collect (a rope, not a copy per chunk).
      if (chunk.indexOf('\n') === -1 && chunk.indexOf('\r') === -1) {
        this.pending += chunk;
        return;
      }
      text = this.pending + chunk;
      this.pending = '';
    } else if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === BOM) pos = 1;
    }
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(pos) === LF) pos++;
    }
    const len = text.length;
    // Next CR and LF at or after pos; each is searched again only once passed, so a chunk is scanned once.
    let cr = text.indexOf('\r', pos);
    let lf = text.indexOf('\n', pos);
    while (pos < len) {
      if (cr !== -1 && cr < pos) cr = text.indexOf('\r', pos);
      if (lf !== -1 && lf < pos) lf = text.indexOf('\n', pos);
      let eol: number;
      if (cr === -1) {
        if (lf === -1) break;
        eol = lf;
      } else {
        eol = lf !== -1 && lf < cr ? lf : cr;
      }
      this.line(text, pos, eol);
      if (eol === cr) {
        if (eol + 1 === len) {
          this.skipLf = true;
          pos = len;
        } else {
          pos = text.charCodeAt(eol + 1) === LF ? eol + 2 : eol + 1;
        }
      } else {
        pos = eol + 1;
      }
    }
    if (pos < len) this.pending = pos === 0 ? text : text.slice(pos);
  }

  /** The stream ended: an unfinished line and an undispatched event are discarded, as the standard says. */
  end(): void {
    this.decoder.end();
    this.pending = '';
    this.skipLf = false;
    this.dataLines = 0;
    this.dataText = '';
    this.eventType = '';
  }

  /** One line, `text[start..end)`, without its line end. */
  private line(text: string, start: number, end: number): void {
    if (start === end) return this.dispatch();
    if (text.charCodeAt(start) === COLON) return; // a comment
    let colon = text.indexOf(':', start);
    if (colon >= end) colon = -1;
    const nameEnd = colon === -1 ? end : colon;
    let valueStart = end;
    if (colon !== -1) {
      valueStart = colon + 1;
      if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart++;
    }
    switch (nameEnd - start) {
      case 4:
        if (text.startsWith('data', start)) this.data(text, valueStart, end);
        return;
      case 2:
        if (text.startsWith('id', start)) this.id(text, valueStart, end);
        return;
      case 5:
        if (text.startsWith('event', start)) this.eventType = text.slice(valueStart, end);
        else if (text.startsWith('retry', start)) this.retry(text, valueStart, end);
        return;
      default:
      // any other field is ignored
    }
  }

  /** `data`: appends the value and an LF to the data buffer (the LF is implied until a second line arrives). */
  private data(text: string, start: number, end: number): void {
    if (this.dataLines === 0) {
      this.dataText = text;
      this.dataStart = start;
      this.dataEnd = end;
    } else {
      const joined = `${this.dataText.slice(this.dataStart, this.dataEnd)}\n${text.slice(start, end)}`;
      this.dataText = joined;
      this.dataStart = 0;
      this.dataEnd = joined.length;
    }
    this.dataLines++;
  }

  /** `id`: sets the last event ID buffer, unless the value contains NUL. */
  private id(text: string, start: number, end: number): void {
    for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0) return;
    this.idText = text;
    this.idStart = start;
    this.idEnd = end;
  }

  /** `retry`: sets the reconnection time when the value is ASCII digits only; anything else is ignored. */
  private retry(text: string, start: number, end: number): void {
    if (start === end) return;
    let ms = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return;
      ms = ms * 10 + (c - 48);
    }
    this.retryMs = ms;
    this.onRetry?.(ms);
  }

  /** A blank line: the last event ID string takes the buffer's value; the event goes out unless it has no data. */
  private dispatch(): void {
    this.lastIdText = this.idText;
    this.lastIdStart = this.idStart;
    this.lastIdEnd = this.idEnd;
    this.lastId = undefined;
    const type = this.eventType === '' ? 'message' : this.eventType;
    this.eventType = '';
    if (this.dataLines === 0) return;
    const text = this.dataText;
    this.dataLines = 0;
    this.dataText = '';
    this.onEvent(type, text, this.dataStart, this.dataEnd);
  }
}
