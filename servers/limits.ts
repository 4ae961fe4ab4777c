// Resource caps of the reference servers: every limit on what one request can make a server hold, in one place.
// A request over a cap gets a 4xx (or a WebSocket close code) with a one-sentence JSON error, and the server goes on
// serving everyone else. The caps a test or deployment may change are ServerOptions (servers/options.ts, defaults
// below); the rest are fixed here. docs/protocol.md#limits lists every cap, its default and its answer.
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Longest request target (path and query), bytes; longer: 414. */
export const MAX_URL_BYTES = 8 * 1024;
/** Largest request line plus headers (node:http `maxHeaderSize`), bytes; larger: 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Most bytes of a body over `maxBodyBytes` read and dropped to keep the connection usable after its 413; more: closed. */
export const MAX_DISCARDED_BODY_BYTES = 1024 * 1024;
/** Header fields read per request (node:http `maxHeadersCount`); fields past it are ignored. */
export const MAX_HEADERS = 100;
/** Default `headersTimeoutMs`: the request line and headers must arrive within it, ms; later: 408. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default `requestTimeoutMs`: the whole request, body included, must arrive within it, ms; later: 408. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default `maxHeldPolls`: long polls held at once, server-wide (every client a run may have); more: 503. */
export const DEFAULT_MAX_HELD_POLLS = 100_000;

/** Most private streams one server holds at once (running or lingering); more: 503. */
export const MAX_STREAMS = 100_000;
/** How long a finished private stream stays readable (for the last polls and resumptions), ms. */
export const STREAM_LINGER_MS = 30_000;
/** What the memory budget charges a private stream for itself (its hub, transport handler, publisher), bytes. */
export const STREAM_BASE_BYTES = 8 * 1024;
/** What it charges per token on top of the token's data (the event, its JSON framing, the retention slot), bytes. */
export const TOKEN_OVERHEAD_BYTES = 512;
/** Default `maxStreamBytes`: the most one private stream may cost (`streamCostBytes`); more: 400. */
export const DEFAULT_MAX_STREAM_BYTES = 64 * 1024 * 1024;
/** Default `streamBudgetBytes`: what every private stream held together may cost; past it: 503. */
export const DEFAULT_STREAM_BUDGET_BYTES = 512 * 1024 * 1024;

/** The server memory a private stream of `tokens` tokens of `tokenBytes` bytes is charged (it retains every token), bytes. */
export function streamCostBytes(tokens: number, tokenBytes: number): number {
  return STREAM_BASE_BYTES + tokens * (tokenBytes + TOKEN_OVERHEAD_BYTES);
}

/** A whole HTTP/1.1 response with a one-sentence JSON error that closes the connection, for a raw socket. */
export function rawErrorResponse(status: number, message: string, headers: Record<string, string> = {}): string {
  const body = `${JSON.stringify({ error: message })}\n`;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\naccess-control-allow-origin: *\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * The server's `clientError` handler: a request node:http refused (unparsable, too large, too slow) gets 431
 * (request line and headers over MAX_HEADER_BYTES), 408 (headers or whole request late), 413 (chunk extensions over
 * node's limit) or 400 (anything else unparsable), with a JSON error, and its socket is destroyed. Like node's own
 * handler, it writes nothing while an earlier response on that socket is partly out (garbage sent on a stream's
 * connection), so no answer is ever spliced into another; after a complete one (pipelined garbage) it answers.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, timeouts: { headersMs: number; requestMs: number }): void {
  // The response node has on this socket, if any (`_httpMessage`, read the way node's own handler reads it).
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
  if (!reset && socket.writable && (!inFlight || !inFlight.headersSent || inFlight.writableEnded)) {
    socket.write(clientErrorResponse(err, timeouts));
  }
  socket.destroy();
}

function clientErrorResponse(err: NodeJS.ErrnoException, timeouts: { headersMs: number; requestMs: number }): string {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return rawErrorResponse(431, `request line and headers over ${MAX_HEADER_BYTES} bytes`);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return rawErrorResponse(408, `request not received in time (headers within ${timeouts.headersMs} ms, all of it within ${timeouts.requestMs} ms)`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return rawErrorResponse(413, 'chunk extensions too large');
    default:
      return rawErrorResponse(400, `malformed HTTP request (${err.code ?? err.message})`);
  }
}
