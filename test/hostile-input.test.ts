// Hostile input over raw TCP against the reference servers: malformed and oversized requests, bad bodies, bad
// cursors, slow and abusive clients, and WebSocket frames that break RFC 6455. Every case has one asserted answer
// (a status, a close code, or the socket closed), and after each case the server still answers /healthz and
// delivers the next published event to a healthy subscriber (one per server, connected with the project's client,
// which must end up with every event, 1..N in order). One server per transport is shared by the cases; the cases
// that need small caps or short timeouts get servers of their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startServer, type RtServer } from '../servers/server.ts';
import { spawnServer } from '../servers/spawn.ts';
import { createClient } from '../clients/index.ts';
import type { Client } from '../clients/client.ts';
import { PLAIN_TRANSPORTS as TRANSPORTS, type PlainTransport as Transport } from '../lib/transports.ts';
import { MAX_HEADER_BYTES, MAX_URL_BYTES } from '../servers/limits.ts';
import type { ServerOptions } from '../servers/options.ts';
import { closePayload, RawConnection, until, upgradeRequest, wsFrame, type RawResponse } from './helpers/raw.ts';
import { Collect } from './helpers/sink.ts';

const PATH: Record<Transport, string> = { 'short-poll': '/poll', 'long-poll': '/long-poll', ws: '/ws', sse: '/sse', 'fetch-stream': '/stream' };
const HOST = 'Host: 127.0.0.1\r\n';
const HEALTHZ = `GET /healthz HTTP/1.1\r\n${HOST}\r\n`;

/** A POST /publish with `body` sent as is and the given extra header lines. */
const post = (body: string | Buffer, headers = `Content-Length: ${Buffer.byteLength(body)}\r\n`): Buffer =>
  Buffer.concat([Buffer.from(`POST /publish HTTP/1.1\r\n${HOST}Content-Type: application/json\r\n${headers}\r\n`), Buffer.from(body)]);
/** A chunked POST /publish whose body is `chunks` as written (so they can be malformed). */
const chunked = (chunks: string | Buffer): Buffer => post(chunks, 'Transfer-Encoding: chunked\r\n');
/** A GET of `target` on the case's server. */
const get = (target: string, headers = ''): string => `GET ${target} HTTP/1.1\r\n${HOST}${headers}\r\n`;

/** The asserted answer of an HTTP case. */
interface Answer {
  /** The statuses of the responses, in order. */
  statuses: number[];
  /** After them: 'closed' (the server closes the socket) or 'open' (a keep-alive connection still answers /healthz). */
  then: 'closed' | 'open';
  /** The last error answer carries node's own empty body, not the JSON error (node answers it before any handler). */
  nodeBody?: boolean;
  /** Headers the last answer carries. */
  headers?: Record<string, string>;
}

/** One HTTP case: what to send (the path of the server's transport endpoint is given) and its answer. */
interface HttpCase {
  name: string;
  send(path: string): string | Buffer;
  /** Half-close after sending. */
  end?: boolean;
  answer: Answer;
  /** Transports it runs against (default: all five). */
  on?: readonly Transport[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const STREAM_OVER_CAP = 'stream=a&tokens=100000&interval=0&bytes=65536';

const HTTP_CASES: HttpCase[] = [
  // The request line and headers.
  { name: 'a request line cut short, then EOF', send: () => 'GET /heal', end: true, answer: { statuses: [400], then: 'closed' } },
  { name: 'headers cut short, then EOF', send: () => `GET /healthz HTTP/1.1\r\n${HOST}X-Half: va`, end: true, answer: { statuses: [400], then: 'closed' } },
  { name: 'a garbage request line', send: () => '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', answer: { statuses: [400], then: 'closed' } },
  { name: 'an unknown method token', send: () => `BREW /healthz HTTP/1.1\r\n${HOST}\r\n`, answer: { statuses: [400], then: 'closed' } },
  { name: 'a known method an endpoint does not take', send: () => `DELETE /publish HTTP/1.1\r\n${HOST}\r\n`, answer: { statuses: [405], then: 'open' } },
  { name: 'a POST with a body to the transport endpoint', send: (p) => `POST ${p} HTTP/1.1\r\n${HOST}Content-Length: 11\r\n\r\n{"data":""}`, answer: { statuses: [405], then: 'open' } },
  { name: 'an unknown path', send: () => get('/../../etc/passwd'), answer: { statuses: [404], then: 'open' } },
  { name: 'HTTP/9.9', send: () => `GET /healthz HTTP/9.9\r\n${HOST}\r\n`, answer: { statuses: [400], then: 'closed' } },
  { name: 'a request target over the URL cap', send: (p) => get(`${p}?after=0&pad=${'x'.repeat(MAX_URL_BYTES)}`), answer: { statuses: [414], then: 'open' } },
  { name: 'a request line over the header cap', send: (p) => get(`${p}?pad=${'x'.repeat(MAX_HEADER_BYTES + 100)}`), answer: { statuses: [431], then: 'closed' } },
  { name: 'one header over the header cap', send: () => get('/healthz', `X-Big: ${'y'.repeat(MAX_HEADER_BYTES + 100)}\r\n`), answer: { statuses: [431], then: 'closed' } },
  { name: '2 000 small headers (past the header cap)', send: () => get('/healthz', 'X-Abc: 12345678\r\n'.repeat(2000)), answer: { statuses: [431], then: 'closed' } },
  { name: '200 headers (past maxHeadersCount, under the header cap): the rest are ignored', send: () => get('/healthz', 'X-A: 1\r\n'.repeat(200)), answer: { statuses: [200], then: 'open' } },
  { name: 'a header line without a colon', send: () => get('/healthz', 'NoColonHere\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a space in a header name', send: () => get('/healthz', 'Bad Name: x\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a NUL byte in a header value', send: () => get('/healthz', 'X-Nul: a\x00b\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'bare LF line endings', send: () => 'GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n', answer: { statuses: [400], then: 'closed' } },
  { name: 'an obsolete folded header line', send: () => get('/healthz', 'X-Fold: a\r\n b\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'HTTP/1.1 without Host', send: () => 'GET /healthz HTTP/1.1\r\n\r\n', answer: { statuses: [400], then: 'closed', nodeBody: true } },
  { name: 'invalid UTF-8 in the request target', send: () => Buffer.from([...Buffer.from('GET /healthz'), 0xff, 0xfe, ...Buffer.from(` HTTP/1.1\r\n${HOST}\r\n`)]), answer: { statuses: [400], then: 'closed' } },
  { name: 'an absolute-form target with a bad port', send: () => get('http://127.0.0.1:99999999/healthz'), answer: { statuses: [400], then: 'open' } },
  { name: 'pipelined garbage after a good request', send: () => `${HEALTHZ}\x00\x01\x02 garbage\r\n\r\n`, answer: { statuses: [200, 400], then: 'closed' } },
  { name: '200 pipelined requests in one write', send: () => HEALTHZ.repeat(200), answer: { statuses: Array<number>(200).fill(200), then: 'open' } },
  { name: 'an Expect other than 100-continue', send: () => get('/healthz', 'Expect: coffee\r\n'), answer: { statuses: [417], then: 'open', nodeBody: true } },
  { name: 'an Upgrade to something that is not a WebSocket', send: (p) => get(p, 'Connection: Upgrade\r\nUpgrade: h2c\r\n'), answer: { statuses: [404], then: 'closed' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },

  // Bodies (POST /publish takes the only body; a declared body over the cap is refused on any endpoint).
  { name: 'a body that is not JSON', send: () => post('not json'), answer: { statuses: [400], then: 'open' } },
  { name: 'JSON without a string "data"', send: () => post('{"data":42}'), answer: { statuses: [400], then: 'open' } },
  { name: 'an empty body', send: () => post(''), answer: { statuses: [400], then: 'open' } },
  { name: 'invalid UTF-8 in the body', send: () => post(Buffer.from([...Buffer.from('{"data":"'), 0xc3, 0x28, 0xff, ...Buffer.from('"}')])), answer: { statuses: [400], then: 'open' } },
  { name: 'a Content-Length over the body cap (body never sent)', send: () => post('', 'Content-Length: 1073741824\r\n'), answer: { statuses: [413], then: 'closed' } },
  { name: 'a Content-Length over the body cap on a GET endpoint', send: (p) => get(p, 'Content-Length: 1073741824\r\n'), answer: { statuses: [413], then: 'closed' } },
  { name: 'a body a little over the body cap (dropped; the connection stays)', send: () => post(JSON.stringify({ data: 'x'.repeat(70_000) })), answer: { statuses: [413], then: 'open' } },
  { name: 'a chunked body a little over the body cap', send: () => chunked(`${`10000\r\n${'a'.repeat(0x10000)}\r\n`.repeat(3)}0\r\n\r\n`), answer: { statuses: [413], then: 'open' } },
  { name: 'a chunked body past what is dropped', send: () => chunked(`10000\r\n${'a'.repeat(0x10000)}\r\n`.repeat(40)), answer: { statuses: [413], then: 'closed' } },
  { name: 'a non-hex chunk size', send: () => chunked('zz\r\nhello\r\n0\r\n\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a chunk size past 64 bits', send: () => chunked('fffffffffffffffffff\r\nhello\r\n0\r\n\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'chunk data longer than its size', send: () => chunked('2\r\n{"data":"x"}\r\n0\r\n\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a chunked body cut short, then EOF', send: () => chunked('20\r\n{"data":'), end: true, answer: { statuses: [400], then: 'closed' } },
  { name: 'Content-Length and Transfer-Encoding together', send: () => post('b\r\n{"data":""}\r\n0\r\n\r\n', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'two different Content-Lengths', send: () => post('{"data":""}', 'Content-Length: 11\r\nContent-Length: 12\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a non-numeric Content-Length', send: () => post('{"data":""}', 'Content-Length: eleven\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'a Transfer-Encoding other than chunked', send: () => post('{"data":""}', 'Transfer-Encoding: gzip\r\n'), answer: { statuses: [400], then: 'closed' } },
  { name: 'chunk extensions over node\'s limit', send: () => chunked(`1;${'e'.repeat(20_000)}\r\na\r\n0\r\n\r\n`), answer: { statuses: [413], then: 'closed' } },

  // Cursors, waits and the stream parameters of the transport endpoints.
  { name: 'a negative cursor', send: (p) => get(`${p}?after=-1`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a non-numeric cursor', send: (p) => get(`${p}?after=abc`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a cursor in exponent form', send: (p) => get(`${p}?after=1e3`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'an empty cursor', send: (p) => get(`${p}?after=`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a 17-digit cursor', send: (p) => get(`${p}?after=12345678901234567`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a cursor past 2^53', send: (p) => get(`${p}?after=9999999999999999`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a percent-encoded invalid UTF-8 cursor', send: (p) => get(`${p}?after=%FF%FE`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'the largest cursor, far ahead of the stream', send: (p) => get(`${p}?after=9007199254740991&wait=0`), answer: { statuses: [200], then: 'open' }, on: ['short-poll', 'long-poll'] },
  { name: 'a negative wait', send: (p) => get(`${p}?after=0&wait=-5`), answer: { statuses: [400], then: 'open' }, on: ['long-poll'] },
  { name: 'a non-numeric wait', send: (p) => get(`${p}?after=0&wait=soon`), answer: { statuses: [400], then: 'open' }, on: ['long-poll'] },
  { name: 'a wait over the longest allowed', send: (p) => get(`${p}?wait=99999999`), answer: { statuses: [400], then: 'open' }, on: ['long-poll'] },
  { name: 'a non-numeric Last-Event-ID', send: (p) => get(p, 'Last-Event-ID: abc\r\n'), answer: { statuses: [400], then: 'open' }, on: ['sse'] },
  { name: 'a negative Last-Event-ID', send: (p) => get(p, 'Last-Event-ID: -1\r\n'), answer: { statuses: [400], then: 'open' }, on: ['sse'] },
  { name: 'a 20-digit Last-Event-ID', send: (p) => get(p, 'Last-Event-ID: 99999999999999999999\r\n'), answer: { statuses: [400], then: 'open' }, on: ['sse'] },
  { name: 'a Last-Event-ID with invalid UTF-8', send: (p) => Buffer.from([...Buffer.from(`GET ${p} HTTP/1.1\r\n${HOST}Last-Event-ID: 1`), 0xff, ...Buffer.from('\r\n\r\n')]), answer: { statuses: [400], then: 'open' }, on: ['sse'] },
  { name: 'a private stream over the per-stream memory cap (tokens x bytes)', send: (p) => get(`${p}?${STREAM_OVER_CAP}`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a private stream with a bad id', send: (p) => get(`${p}?stream=../x&tokens=1`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a private stream of 0 tokens', send: (p) => get(`${p}?stream=zero&tokens=0`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a private stream with too many tokens', send: (p) => get(`${p}?stream=many&tokens=99999999`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },
  { name: 'a private stream with tokens over the body cap', send: (p) => get(`${p}?stream=big&tokens=1&bytes=1000000`), answer: { statuses: [400], then: 'open' }, on: ['short-poll', 'long-poll', 'sse', 'fetch-stream'] },

  // The WebSocket handshake.
  { name: 'an upgrade without Sec-WebSocket-Key', send: (p) => upgradeRequest(`${p}?after=0`, { 'Sec-WebSocket-Key': undefined }), answer: { statuses: [400], then: 'closed' }, on: ['ws'] },
  { name: 'an upgrade with a malformed Sec-WebSocket-Key', send: (p) => upgradeRequest(p, { 'Sec-WebSocket-Key': 'short' }), answer: { statuses: [400], then: 'closed' }, on: ['ws'] },
  { name: 'an upgrade with an unknown WebSocket version', send: (p) => upgradeRequest(p, { 'Sec-WebSocket-Version': '12' }), answer: { statuses: [400], then: 'closed', headers: { 'sec-websocket-version': '13, 8' } }, on: ['ws'] },
  { name: 'an upgrade with a POST', send: (p) => upgradeRequest(p, {}, 'POST'), answer: { statuses: [405], then: 'closed', headers: { allow: 'GET' } }, on: ['ws'] },
  { name: 'an upgrade elsewhere than the WebSocket endpoint', send: () => upgradeRequest('/nowhere'), answer: { statuses: [404], then: 'closed' }, on: ['ws'] },
  { name: 'an upgrade with a negative cursor', send: (p) => upgradeRequest(`${p}?after=-1`), answer: { statuses: [400], then: 'closed' }, on: ['ws'] },
  { name: 'an upgrade with a request target over the URL cap', send: (p) => upgradeRequest(`${p}?pad=${'x'.repeat(MAX_URL_BYTES)}`), answer: { statuses: [414], then: 'closed' }, on: ['ws'] },
  { name: 'an upgrade to a private stream over the per-stream memory cap', send: (p) => upgradeRequest(`${p}?${STREAM_OVER_CAP}`), answer: { statuses: [400], then: 'closed' }, on: ['ws'] },
  { name: 'a plain GET of the WebSocket endpoint', send: (p) => get(p), answer: { statuses: [426], then: 'open' }, on: ['ws'] },
];

/** One WebSocket case: the frames a connected client sends and the close code the server answers with. */
interface WsCase {
  name: string;
  frames(): Buffer[];
  close: number;
}

const text = (s: string): Buffer => Buffer.from(s);
const WS_CASES: WsCase[] = [
  { name: 'an unmasked frame', frames: () => [wsFrame(0x1, '{"data":"x"}', { mask: false })], close: 1002 },
  { name: 'a text frame over maxPayload', frames: () => [wsFrame(0x1, Buffer.alloc(70_000, 0x61))], close: 1009 },
  { name: 'a frame declaring 1 GiB (the payload never sent)', frames: () => [wsFrame(0x1, 'x', { declaredLength: 2 ** 30 })], close: 1009 },
  { name: 'a frame declaring a length past 2^53', frames: () => [wsFrame(0x2, 'x', { declaredLength: 2n ** 60n })], close: 1009 },
  { name: 'fragments that together pass maxPayload', frames: () => [wsFrame(0x1, Buffer.alloc(40_000, 0x61), { fin: false }), wsFrame(0x0, Buffer.alloc(40_000, 0x61))], close: 1009 },
  { name: 'a continuation frame without a start', frames: () => [wsFrame(0x0, '{"data":"x"}')], close: 1002 },
  { name: 'a new text frame inside a fragmented message', frames: () => [wsFrame(0x1, '{"data":', { fin: false }), wsFrame(0x1, '"x"}')], close: 1002 },
  { name: 'a binary frame inside a fragmented text message', frames: () => [wsFrame(0x1, '{"data":', { fin: false }), wsFrame(0x2, '"x"}')], close: 1002 },
  ...[0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op) => ({ name: `reserved opcode 0x${op.toString(16)}`, frames: () => [wsFrame(op, 'x')], close: 1002 })),
  { name: 'a ping over 125 bytes', frames: () => [wsFrame(0x9, Buffer.alloc(126))], close: 1002 },
  { name: 'a close frame over 125 bytes', frames: () => [wsFrame(0x8, closePayload(1000, Buffer.alloc(124, 0x61)))], close: 1002 },
  { name: 'a fragmented ping', frames: () => [wsFrame(0x9, 'x', { fin: false })], close: 1002 },
  ...[1, 2, 4].map((rsv) => ({ name: `RSV bits ${rsv.toString(2).padStart(3, '0')} set without an extension`, frames: () => [wsFrame(0x1, '{"data":"x"}', { rsv })], close: 1002 })),
  { name: 'invalid UTF-8 in a text frame', frames: () => [wsFrame(0x1, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))], close: 1007 },
  { name: 'an overlong UTF-8 encoding', frames: () => [wsFrame(0x1, Buffer.from([0xc0, 0xaf]))], close: 1007 },
  { name: 'a UTF-16 surrogate encoded in UTF-8', frames: () => [wsFrame(0x1, Buffer.from([0xed, 0xa0, 0x80]))], close: 1007 },
  { name: 'invalid UTF-8 split across fragments', frames: () => [wsFrame(0x1, Buffer.from([0xe2, 0x82]), { fin: false }), wsFrame(0x0, Buffer.from([0x28]))], close: 1007 },
  { name: 'invalid UTF-8 in a close reason', frames: () => [wsFrame(0x8, closePayload(1000, Buffer.from([0xff, 0xfe])))], close: 1007 },
  ...[999, 1004, 1005, 1006, 1015, 2999, 5000].map((code) => ({ name: `close code ${code}`, frames: () => [wsFrame(0x8, closePayload(code))], close: 1002 })),
  { name: 'a close frame with a 1-byte payload', frames: () => [wsFrame(0x8, Buffer.from([0x03]))], close: 1002 },
  { name: 'garbage bytes instead of a frame', frames: () => [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])], close: 1002 },
  { name: 'a text frame that is not JSON', frames: () => [wsFrame(0x1, text('hello'))], close: 1007 },
  { name: 'a JSON text frame without a string "data"', frames: () => [wsFrame(0x1, text('{"data":[1]}'))], close: 1007 },
  { name: 'a binary frame', frames: () => [wsFrame(0x2, text('{"data":"x"}'))], close: 1003 },
  { name: 'a well-formed close (the server echoes 1000)', frames: () => [wsFrame(0x8, closePayload(1000, text('bye')))], close: 1000 },
];

/** A server and its healthy subscriber. */
interface Served {
  server: RtServer;
  client: Client;
  sink: Collect;
}

/** Starts a server of `transport` and connects a healthy subscriber (from seq 1) with the project's client. */
async function serve(transport: Transport, options: Partial<ServerOptions> = {}): Promise<Served> {
  const server = await startServer({ transport, ...options });
  const sink = new Collect();
  const client = createClient(transport, { baseUrl: server.url, after: 0, sink, pollIntervalMs: 20 });
  await client.connect();
  return { server, client, sink };
}

/** Sends one raw request on a fresh connection and returns the first response. */
async function once(port: number, request: string | Buffer): Promise<RawResponse> {
  const c = await RawConnection.open(port);
  try {
    c.write(request);
    const [r] = await c.waitResponses(1);
    assert.ok(r, `no answer to ${JSON.stringify(request.toString().slice(0, 60))}; ${c.describe()}`);
    return r;
  } finally {
    c.destroy();
  }
}

/** The server answers /healthz, and a published event reaches its healthy subscriber. */
async function assertHealthy(s: Served): Promise<void> {
  const health = await once(s.server.port, HEALTHZ);
  assert.deepEqual([health.status, health.body], [200, 'ok'], '/healthz answers 200 ok');
  const published = await once(s.server.port, post('{"data":"still here"}'));
  assert.equal(published.status, 200, `POST /publish answers 200, got ${published.status} ${published.body}`);
  const seq = (JSON.parse(published.body) as { seq: number }).seq;
  await until(() => s.sink.seqs.includes(seq), `the healthy subscriber to receive seq ${seq}`, 5000, () => `it has ${s.sink.seqs.slice(-5).join(',')}`);
}

/** `body` is one line of JSON, `{"error":"<one sentence>"}`. */
function assertJsonError(body: string): void {
  assert.ok(body.endsWith('\n') && !body.slice(0, -1).includes('\n'), `one line, got ${JSON.stringify(body)}`);
  const parsed = JSON.parse(body) as unknown;
  assert.ok(typeof parsed === 'object' && parsed !== null && Object.keys(parsed).join() === 'error', `only "error", got ${body}`);
  const error = (parsed as { error: unknown }).error;
  assert.ok(typeof error === 'string' && error.length > 0, `a non-empty error sentence, got ${body}`);
}

/** Runs one HTTP case against `s` and asserts its answer. */
async function runHttpCase(s: Served, path: string, c: HttpCase): Promise<void> {
  const conn = await RawConnection.open(s.server.port);
  try {
    conn.write(c.send(path));
    if (c.end) conn.socket.end();
    const { statuses, then } = c.answer;
    await conn.waitResponses(statuses.length);
    assert.deepEqual(conn.responses.map((r) => r.status), statuses, conn.describe());
    const last = conn.responses.at(-1);
    for (const [name, value] of Object.entries(c.answer.headers ?? {})) assert.equal(last?.headers[name], value, `header ${name}`);
    if (last && last.status >= 400) {
      if (c.answer.nodeBody) assert.equal(last.body, '', 'node answers with an empty body');
      else assertJsonError(last.body);
    }
    if (then === 'closed') {
      await conn.waitClosed();
    } else {
      // The keep-alive connection is still usable.
      assert.equal(conn.closed, false, 'the connection stays open');
      conn.write(HEALTHZ);
      await conn.waitResponses(statuses.length + 1);
      assert.equal(conn.responses[statuses.length]?.status, 200, `the connection still answers /healthz; ${conn.describe()}`);
    }
  } finally {
    conn.destroy();
  }
}

describe('hostile input', { timeout: 120_000 }, () => {
  const shared = new Map<Transport, Served>();
  const extra: Served[] = [];

  before(async () => {
    for (const t of TRANSPORTS) shared.set(t, await serve(t));
  });

  after(async () => {
    for (const s of [...shared.values(), ...extra]) {
      await s.client.close();
      await s.server.close();
    }
  });

  const served = (t: Transport): Served => {
    const s = shared.get(t);
    assert.ok(s, `no ${t} server`);
    return s;
  };

  for (const c of HTTP_CASES) {
    for (const t of c.on ?? TRANSPORTS) {
      it(`${t}: ${c.name} -> ${c.answer.statuses.length > 3 ? `${c.answer.statuses.length} x ${c.answer.statuses[0]}` : c.answer.statuses.join(', ')}, ${c.answer.then}`, async () => {
        const s = served(t);
        await runHttpCase(s, PATH[t], c);
        await assertHealthy(s);
      });
    }
  }

  for (const c of WS_CASES) {
    it(`ws: ${c.name} -> close ${c.close}`, async () => {
      const s = served('ws');
      const conn = await RawConnection.websocket(s.server.port);
      try {
        for (const f of c.frames()) conn.write(f);
        const closed = await conn.waitCloseFrame();
        assert.equal(closed.code, c.close, `close code; reason "${closed.reason}"`);
      } finally {
        conn.destroy();
      }
      await until(() => s.server.stats.snapshot().subscribers === 1, 'the raw subscriber to be gone');
      await assertHealthy(s);
    });
  }

  it('ws: a peer that ignores the close after a protocol error is cut off', async () => {
    const s = served('ws');
    const conn = await RawConnection.websocket(s.server.port);
    try {
      conn.write(wsFrame(0x1, 'x', { mask: false }));
      assert.equal((await conn.waitCloseFrame()).code, 1002);
      await conn.waitClosed();
    } finally {
      conn.destroy();
    }
    await assertHealthy(s);
  });

  it('the private stream GET that once took the server down is refused at once; /healthz answers meanwhile', async () => {
    const s = served('sse');
    const before = s.server.stats.snapshot().rssBytes;
    const answer = await once(s.server.port, get(`/sse?${STREAM_OVER_CAP}`));
    assert.equal(answer.status, 400);
    assert.match(answer.body, /over the 64\.0 MiB one stream may hold/);
    assert.ok(s.server.stats.snapshot().rssBytes < before + 256 * 1024 * 1024, 'no large allocation');
    await assertHealthy(s);
  });

  describe('timeouts (a server with a 300 ms headers timeout and a 600 ms request timeout)', () => {
    let s: Served;
    before(async () => {
      s = await serve('sse', { headersTimeoutMs: 300, requestTimeoutMs: 600 });
      extra.push(s);
    });

    /** Writes `bytes` one byte every 20 ms until the server closes the connection. */
    const trickle = (conn: RawConnection, bytes: Buffer): void => {
      let i = 0;
      const timer = setInterval(() => {
        if (conn.closed || i >= bytes.length) return clearInterval(timer);
        conn.write(bytes.subarray(i, ++i));
      }, 20);
      conn.socket.once('close', () => clearInterval(timer));
    };

    const cases: { name: string; run(conn: RawConnection): void }[] = [
      { name: 'a slow loris sending its headers a byte at a time', run: (conn) => trickle(conn, Buffer.from(`GET /sse HTTP/1.1\r\n${HOST}${'X-Slow: 1\r\n'.repeat(100)}\r\n`)) },
      { name: 'a connection that sends nothing', run: () => undefined },
      { name: 'a request line that never ends', run: (conn) => conn.write('GET /sse?after=0 HTTP/1.1') },
      {
        name: 'a body sent a byte at a time',
        run: (conn) => {
          const body = `{"data":"${'z'.repeat(200)}"}`;
          conn.write(post('', `Content-Length: ${body.length}\r\n`));
          trickle(conn, Buffer.from(body));
        },
      },
      { name: 'a declared body that never comes', run: (conn) => conn.write(post('{"da', 'Content-Length: 100\r\n')) },
    ];
    for (const c of cases) {
      it(`sse: ${c.name} -> 408, closed`, async () => {
        const conn = await RawConnection.open(s.server.port);
        try {
          c.run(conn);
          await conn.waitResponses(1);
          assert.deepEqual(conn.responses.map((r) => r.status), [408], conn.describe());
          assert.match(conn.responses[0]?.body ?? '', /^\{"error":"request not received in time/);
          await conn.waitClosed();
        } finally {
          conn.destroy();
        }
        await assertHealthy(s);
      });
    }

    it('sse: a subscription held past both timeouts keeps receiving', async () => {
      const before = s.sink.seqs.length;
      // The one deliberate pause of the file: the healthy subscription must outlive both timeouts.
      await new Promise((r) => setTimeout(r, 700));
      await assertHealthy(s);
      assert.ok(s.sink.seqs.length > before);
    });
  });

  describe('held long polls (a server holding at most 2) and the private-stream budget (100 000 bytes)', () => {
    let s: Served;
    before(async () => {
      s = await serve('long-poll', { maxHeldPolls: 2, streamBudgetBytes: 100_000 });
      extra.push(s);
      // The healthy subscriber holds one poll.
      await until(() => s.server.stats.snapshot().subscribers === 1, 'the healthy poll to be held');
    });

    it('long-poll: a second long poll pipelined behind a held one -> 200 (when the first ends), then 429', async () => {
      const conn = await RawConnection.open(s.server.port);
      try {
        const poll = get('/long-poll?wait=200');
        conn.write(poll + poll);
        await conn.waitResponses(2);
        assert.deepEqual(conn.responses.map((r) => r.status), [200, 429], conn.describe());
        assert.match(conn.responses[1]?.body ?? '', /already holds a long poll/);
      } finally {
        conn.destroy();
      }
      await assertHealthy(s);
    });

    it('long-poll: a poll past the held-poll cap -> 503 with Retry-After; freed slots are reused', async () => {
      const holder = await RawConnection.open(s.server.port);
      const over = await RawConnection.open(s.server.port);
      try {
        holder.write(get('/long-poll?wait=60000'));
        await until(() => s.server.stats.snapshot().subscribers === 2, 'two held polls');
        over.write(get('/long-poll?wait=60000'));
        await over.waitResponses(1);
        assert.equal(over.responses[0]?.status, 503, over.describe());
        assert.equal(over.responses[0]?.headers['retry-after'], '1');
      } finally {
        holder.destroy();
        over.destroy();
      }
      await until(() => s.server.stats.snapshot().subscribers === 1, 'the held slot freed');
      const again = await RawConnection.open(s.server.port);
      try {
        again.write(get('/long-poll?wait=60000'));
        await until(() => s.server.stats.snapshot().subscribers === 2, 'a new poll held in the freed slot', 5000, () => again.describe());
      } finally {
        again.destroy();
      }
      await until(() => s.server.stats.snapshot().subscribers === 1, 'the slot freed again');
      await assertHealthy(s);
    });

    it('long-poll: private streams past the budget -> 503 with Retry-After; within it -> 200', async () => {
      // Each costs 8 192 + 50 x (100 + 512) = 38 792 bytes: two fit in 100 000, the third does not.
      const q = (id: string): string => get(`/long-poll?stream=${id}&tokens=50&interval=60000&bytes=100&wait=0`);
      assert.equal((await once(s.server.port, q('one'))).status, 200);
      assert.equal((await once(s.server.port, q('two'))).status, 200);
      const third = await once(s.server.port, q('three'));
      assert.equal(third.status, 503, third.body);
      assert.equal(third.headers['retry-after'], '30');
      assert.match(third.body, /budget/);
      // An existing stream is still readable.
      assert.equal((await once(s.server.port, q('one'))).status, 200);
      await assertHealthy(s);
    });
  });

  describe('many connections at once', () => {
    for (const t of ['sse', 'ws', 'long-poll', 'fetch-stream'] as const) {
      it(`${t}: 300 connections opened (silent, half a request, subscribed) and dropped at once`, async () => {
        const s = served(t);
        const base = s.server.stats.snapshot().connectionsOpen;
        const conns = await Promise.all(Array.from({ length: 300 }, () => RawConnection.open(s.server.port)));
        conns.forEach((c, i) => {
          if (i % 3 === 1) c.write(`GET ${PATH[t]}?after=0 HTTP/1.1\r\nHo`);
          if (i % 3 === 2) c.write(t === 'ws' ? upgradeRequest('/ws') : get(t === 'long-poll' ? '/long-poll?wait=60000' : `${PATH[t]}?after=0`));
        });
        await until(() => s.server.stats.snapshot().subscribers === 101, '100 more subscribers', 10_000, () => `${s.server.stats.snapshot().subscribers}`);
        conns.forEach((c, i) => (i % 2 === 0 ? c.socket.resetAndDestroy() : c.destroy()));
        await until(() => s.server.stats.snapshot().connectionsOpen <= base && s.server.stats.snapshot().subscribers === 1, 'the server to drop them all', 10_000);
        await assertHealthy(s);
      });
    }

    const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
    it('sse: a server out of file descriptors (prlimit 64) keeps running and serves again once they are freed', { skip: !hasPrlimit && 'prlimit is not installed' }, async () => {
      const server = await spawnServer({ transport: 'sse' });
      try {
        assert.equal(spawnSync('prlimit', ['--pid', String(server.pid), '--nofile=64:64']).status, 0);
        const conns = await Promise.all(Array.from({ length: 150 }, () => RawConnection.open(server.port)));
        for (const c of conns) c.write(get('/sse?after=0'));
        // Out of descriptors, it closes the connections it cannot take...
        await until(() => conns.some((c) => c.closed), 'the server to turn connections away');
        // ...and its stats (RSS is read from /proc, which takes a descriptor) still answer.
        assert.equal((await server.stats()).transport, 'sse');
        for (const c of conns) c.destroy();
        const health = await (async () => {
          for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
            try {
              return await once(server.port, HEALTHZ);
            } catch {
              await new Promise((r) => setTimeout(r, 50));
            }
          }
          throw new Error('/healthz never answered after the descriptors were freed');
        })();
        assert.equal(health.status, 200);
        const published = await once(server.port, post('{"data":"x"}'));
        assert.equal(published.status, 200);
      } finally {
        await server.stop();
      }
    });
  });

  it('every healthy subscriber received every event, 1..N in order, without a gap', () => {
    for (const s of [...shared.values(), ...extra]) {
      assert.deepEqual(s.sink.seqs, range(1, s.server.hub.lastSeq), `${s.server.stats.snapshot().transport}`);
      assert.equal(s.sink.gaps, 0);
    }
  });
});
