// Raw-TCP helpers for tests that send what no well-behaved client would: a socket that parses the HTTP responses
// and WebSocket frames it receives, a WebSocket frame builder (masked or not, any opcode, RSV bits, length), and
// `until()`, the deadline-bounded wait every test uses instead of sleeping.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Resolves when `check()` holds, polling every 10 ms; rejects with `what` (and `detail()`) after `ms`. */
export async function until(check: () => boolean, what: string, ms = 5000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${detail() ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One HTTP response as received: its status, lower-cased headers and body (empty for a streaming response). */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One WebSocket frame from the server. */
export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

/** A client socket that records every HTTP response, then (after a 101 or an SSE/NDJSON 200) frames or raw bytes. */
export class RawConnection {
  readonly responses: RawResponse[] = [];
  readonly frames: RawFrame[] = [];
  /** Bytes of a streaming response's body (SSE, NDJSON) after its headers. */
  streamed = '';
  /** True once the server closed (or reset) the connection. */
  closed = false;
  private buf = Buffer.alloc(0);
  private mode: 'http' | 'ws' | 'stream' = 'http';

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Connects to 127.0.0.1:`port`. */
  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    return new RawConnection(socket);
  }

  /** Opens a WebSocket on `path` (default /ws?after=0) and waits for the 101. */
  static async websocket(port: number, path = '/ws?after=0'): Promise<RawConnection> {
    const c = await RawConnection.open(port);
    c.write(upgradeRequest(path));
    await c.waitResponses(1);
    if (c.responses[0]?.status !== 101) throw new Error(`no 101 for ${path}: ${JSON.stringify(c.responses[0])}`);
    return c;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until `n` responses arrived (or the server closed), at most `ms`. */
  async waitResponses(n: number, ms = 5000): Promise<RawResponse[]> {
    await until(() => this.responses.length >= n || this.closed, `${n} response(s)`, ms, () => this.describe());
    return this.responses;
  }

  /** Waits until the server closes the connection, at most `ms`. */
  async waitClosed(ms = 5000): Promise<void> {
    await until(() => this.closed, 'the server to close the connection', ms, () => this.describe());
  }

  /** Waits for the server's WebSocket close frame; its code (1005 when it carries none) and reason. */
  async waitCloseFrame(ms = 5000): Promise<{ code: number; reason: string }> {
    await until(() => this.closeFrame() !== undefined || this.closed, 'a close frame', ms, () => this.describe());
    const f = this.closeFrame();
    if (!f) throw new Error(`the connection closed without a close frame; ${this.describe()}`);
    return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString('utf8') };
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** What was received so far, for failure messages. */
  describe(): string {
    const statuses = this.responses.map((r) => r.status).join(', ');
    return `received [${statuses}] ${this.frames.length} frame(s), closed: ${this.closed}, unparsed: ${JSON.stringify(this.buf.subarray(0, 120).toString('latin1'))}`;
  }

  private closeFrame(): RawFrame | undefined {
    return this.frames.find((f) => f.opcode === 0x8);
  }

  private parse(): void {
    for (;;) {
      if (this.mode === 'stream') {
        this.streamed += this.buf.toString('utf8');
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.mode === 'ws') {
        const f = parseFrame(this.buf);
        if (!f) return;
        this.frames.push(f.frame);
        this.buf = this.buf.subarray(f.size);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(statusLine.split(' ')[1]);
      const length = headers['content-length'];
      const type = headers['content-type'] ?? '';
      if (length === undefined && status === 200 && /event-stream|ndjson/.test(type)) {
        // A streaming answer: its body is read as raw bytes from here on.
        this.responses.push({ status, headers, body: '' });
        this.buf = this.buf.subarray(end + 4);
        this.mode = 'stream';
        continue;
      }
      let body: Buffer;
      let size: number;
      if (headers['transfer-encoding'] === 'chunked') {
        const decoded = dechunk(this.buf.subarray(end + 4));
        if (!decoded) return;
        body = decoded.body;
        size = decoded.size;
      } else {
        size = Number(length ?? 0);
        if (this.buf.length < end + 4 + size) return;
        body = this.buf.subarray(end + 4, end + 4 + size);
      }
      this.responses.push({ status, headers, body: body.toString('utf8') });
      this.buf = this.buf.subarray(end + 4 + size);
      if (status === 101) this.mode = 'ws';
    }
  }
}

/** A GET with the headers of a WebSocket upgrade (`extra` lines replace or add to them). */
export function upgradeRequest(path: string, extra: Record<string, string | undefined> = {}, method = 'GET'): string {
  const headers: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    ...extra,
  };
  const lines = Object.entries(headers)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `${method} ${path} HTTP/1.1\r\n${lines}\r\n`;
}

/** A complete chunked body at the start of `buf` (its bytes and how many bytes it took); undefined when incomplete. */
function dechunk(buf: Buffer): { body: Buffer; size: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const n = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
    if (n === 0) return buf.length >= eol + 4 ? { body: Buffer.concat(parts), size: eol + 4 } : undefined;
    if (buf.length < eol + 2 + n + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + n));
    at = eol + 2 + n + 2;
  }
}

function parseFrame(buf: Buffer): { frame: RawFrame; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = (buf[0] as number) & 0x0f;
  let length = (buf[1] as number) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + length) return undefined;
  return { frame: { opcode, payload: Buffer.from(buf.subarray(offset, offset + length)) }, size: offset + length };
}

/** How a test frame is built: FIN (default set), RSV bits (0..7), masking (default on, as a client must), a declared length. */
export interface FrameOptions {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
  /** The payload length the header declares (default: the payload's); only the given payload bytes follow. */
  declaredLength?: number | bigint;
}

/** One client WebSocket frame, well formed or not. */
export function wsFrame(opcode: number, payload: string | Buffer = Buffer.alloc(0), o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = o.mask ?? true;
  const declared = BigInt(o.declaredLength ?? data.length);
  const first = ((o.fin ?? true) ? 0x80 : 0) | (((o.rsv ?? 0) & 7) << 4) | (opcode & 0x0f);
  let head: Buffer;
  if (declared < 126n) {
    head = Buffer.from([first, Number(declared)]);
  } else if (declared < 65_536n) {
    head = Buffer.alloc(4);
    head[0] = first;
    head[1] = 126;
    head.writeUInt16BE(Number(declared), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = 127;
    head.writeBigUInt64BE(declared, 2);
  }
  if (!mask) return Buffer.concat([head, data]);
  head[1] = (head[1] as number) | 0x80;
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = (data[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([head, key, masked]);
}

/** A close frame's payload: the code and reason bytes. */
export function closePayload(code: number, reason: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code, 0);
  return Buffer.concat([b, reason]);
}
