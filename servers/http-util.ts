// Small HTTP helpers shared by the control endpoints and every transport: CORS, JSON errors, cursors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Backlog } from './hub.ts';
import { rawErrorResponse } from './limits.ts';

/** Headers every response carries so a browser page from any origin can subscribe and publish. */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type, Last-Event-ID, Authorization',
  'access-control-max-age': '86400',
} as const;

/** Headers of a JSON response. */
export const JSON_HEADERS = { ...CORS_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** Sends `{"error": message}` with a 4xx/5xx status (and any extra `headers`); the connection stays usable. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify({ error: message })}\n`;
  res.writeHead(status, { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a refused upgrade with a JSON error and closes its socket once the answer is out. */
export function rejectUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  // node:http keeps sockets half-open: without the destroy, a client that never closes would hold it forever.
  socket.once('finish', () => socket.destroy());
  socket.end(rawErrorResponse(status, message, headers));
}

/** Sends a JSON body with status 200. */
export function sendJson(res: ServerResponse, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Thrown for a request the server refuses; the caller answers `status` with its message (and `headers`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Thrown for a malformed query; the caller answers 400 with its message. */
export class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

/** Parses a non-negative integer query parameter; undefined when absent. */
export function intParam(url: URL, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max) {
    throw new BadRequest(`query parameter "${name}" must be an integer between 0 and ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** The resume cursor of a request: `Last-Event-ID` (when `useLastEventId`) wins over `?after=`. */
export function cursorOf(req: IncomingMessage, url: URL, useLastEventId = false): number | undefined {
  if (useLastEventId) {
    const header = req.headers['last-event-id'];
    if (typeof header === 'string' && header !== '') {
      if (!/^\d{1,16}$/.test(header)) throw new BadRequest(`Last-Event-ID must be an integer >= 0, got "${header}"`);
      return Number(header);
    }
  }
  return intParam(url, 'after');
}

/** The body of a polling response: `{"events":[...],"next":S2}` plus `"gap":true` when events were lost. */
export function pollBody(backlog: Backlog, after: number): string {
  const last = backlog.events.at(-1);
  const next = last ? last.seq : after;
  let events = '';
  for (const e of backlog.events) events += events === '' ? e.json : `,${e.json}`;
  return `{"events":[${events}],"next":${next}${backlog.gap ? ',"gap":true' : ''}}`;
}

/** A poll answer's body and how many events it delivers. */
export interface PollAnswer {
  body: string;
  events: number;
}

/** The body of a poll answer with its event count. */
export function pollAnswer(backlog: Backlog, after: number): PollAnswer {
  return { body: pollBody(backlog, after), events: backlog.events.length };
}

/** The gap notice of the streaming transports. */
export function gapMessage(after: number, oldest: number): string {
  return `{"gap":true,"after":${after},"oldest":${oldest}}`;
}
