// The wire contract (docs/protocol.md, docs/own-server.md) checked over HTTP against any server: `rtbench check URL`,
// the check compare and gate run before any round against a server they did not write, and test/contract.test.ts.
// Each rule is checked in turn; the first one broken is named in one sentence.
import { request } from 'undici';
import WebSocket from 'ws';
import { CONTROL_HEADER } from '../servers/control.ts';
import { TRANSPORT_PATHS, type Transport } from '../lib/transports.ts';

/** The outcome of checking one transport: every rule passed, or the first one broken. */
export type CheckOutcome = { ok: true; rules: number } | { ok: false; rule: string };

/** How long a check waits for an answer or an event, ms. */
export const CHECK_WAIT_MS = 5000;
/** Events published for the delivery check. */
export const CHECK_EVENTS = 10;

/** A rule broken: its sentence. */
class Broken extends Error {}

/** One event as the contract defines it. */
interface WireEvent {
  seq: number;
  ts: number;
  data: string;
}

/** A subscription of the check: the events received so far, and the first framing rule broken. */
interface Subscription {
  events: WireEvent[];
  broken?: string;
  close(): void;
}

const EVENT_RULE = 'each event must be the JSON {"seq":N,"ts":µs,"data":"..."}';

/** Parses one event JSON; undefined (with the rule broken) when it is not one. */
function parseEvent(text: string): WireEvent | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return `${EVENT_RULE}, got ${text.slice(0, 80)}`;
  }
  const e = v as Partial<WireEvent> & { gap?: unknown };
  if (typeof e !== 'object' || e === null) return `${EVENT_RULE}, got ${text.slice(0, 80)}`;
  if (!Number.isInteger(e.seq) || !Number.isInteger(e.ts) || typeof e.data !== 'string') return `${EVENT_RULE}, got ${text.slice(0, 80)}`;
  return e as WireEvent;
}

/** Subscribes over `transport` from `after` (undefined: from the newest); resolves once connected. */
async function subscribe(base: string, transport: Transport, after: number | undefined, lastEventId = false): Promise<Subscription> {
  const path = TRANSPORT_PATHS[transport];
  const sub: Subscription = { events: [], close: () => undefined };
  const push = (e: WireEvent | string): void => {
    if (typeof e === 'string') sub.broken ??= e;
    else sub.events.push(e);
  };
  const query = after === undefined || lastEventId ? '' : `?after=${after}`;
  if (transport === 'ws') {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}${query}`, { handshakeTimeout: CHECK_WAIT_MS });
    sub.close = () => ws.terminate();
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text.includes('"gap"')) push(parseEvent(text));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(new Broken(`GET ${path}${query} must accept a WebSocket upgrade (${err.message})`)));
    });
    ws.on('error', () => undefined);
    return sub;
  }
  if (transport === 'short-poll' || transport === 'long-poll') {
    let cursor = after;
    let stopped = false;
    sub.close = () => (stopped = true);
    const poll = async (): Promise<void> => {
      const q = [cursor === undefined ? '' : `after=${cursor}`, transport === 'long-poll' ? 'wait=500' : ''].filter((x) => x !== '').join('&');
      const res = await request(`${base}${path}${q === '' ? '' : `?${q}`}`, { headersTimeout: CHECK_WAIT_MS, bodyTimeout: CHECK_WAIT_MS });
      const text = await res.body.text();
      const rule = `GET ${path} must answer 200 {"events":[...],"next":S}`;
      if (res.statusCode !== 200) throw new Broken(`${rule}, got status ${res.statusCode}`);
      let body: { events?: unknown; next?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Broken(`${rule}, got ${text.slice(0, 80)}`);
      }
      if (!Array.isArray(body.events) || !Number.isInteger(body.next)) throw new Broken(`${rule}, got ${text.slice(0, 80)}`);
      for (const e of body.events) push(parseEvent(JSON.stringify(e)));
      cursor = body.next as number;
    };
    await poll();
    void (async () => {
      while (!stopped) {
        await poll().catch((err: unknown) => {
          sub.broken ??= err instanceof Error ? err.message : String(err);
          stopped = true;
        });
        if (transport === 'short-poll') await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return sub;
  }
  const headers: Record<string, string> = lastEventId && after !== undefined ? { 'last-event-id': String(after) } : {};
  const res = await request(`${base}${path}${query}`, { headers, headersTimeout: CHECK_WAIT_MS, bodyTimeout: 0 }).catch((err: unknown) => {
    const timedOut = err instanceof Error && 'code' in err && err.code === 'UND_ERR_HEADERS_TIMEOUT';
    if (timedOut) throw new Broken(`GET ${path} must send its response headers at once, before any event, but sent none within ${CHECK_WAIT_MS} ms`);
    throw err;
  });
  const type = String(res.headers['content-type'] ?? '');
  const want = transport === 'sse' ? 'text/event-stream' : 'application/x-ndjson';
  if (res.statusCode !== 200 || !type.startsWith(want)) {
    res.body.destroy();
    throw new Broken(`GET ${path} must answer 200 with content-type ${want}, got status ${res.statusCode} and "${type}"`);
  }
  sub.close = () => res.body.destroy();
  res.body.on('error', () => undefined);
  res.body.setEncoding('utf8');
  let buffer = '';
  res.body.on('data', (chunk: string) => {
    buffer += chunk;
    const sep = transport === 'sse' ? /\r?\n\r?\n/ : /\r?\n/;
    const parts = buffer.split(sep);
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      if (transport === 'fetch-stream') {
        if (part.trim() !== '' && !part.includes('"gap"')) push(parseEvent(part));
        continue;
      }
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of part.split(/\r?\n/)) {
        if (line.startsWith(':')) continue;
        const [field = '', ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0 || event !== 'message') continue;
      const e = parseEvent(data.join('\n'));
      if (typeof e !== 'string' && id === undefined) push(`every SSE event frame must carry "id: <seq>" (so EventSource can resume), got a frame without one for seq ${e.seq}`);
      else if (typeof e !== 'string' && id !== String(e.seq)) push(`an SSE frame's "id:" must be its event's seq, got id ${id ?? ''} for seq ${e.seq}`);
      else push(e);
    }
  });
  return sub;
}

/** Waits until `sub` holds an event with seq >= `seq`, a rule is broken, or CHECK_WAIT_MS pass. */
async function until(sub: Subscription, seq: number): Promise<void> {
  const deadline = Date.now() + CHECK_WAIT_MS;
  while (Date.now() < deadline && sub.broken === undefined && !sub.events.some((e) => e.seq >= seq)) await new Promise((r) => setTimeout(r, 10));
  if (sub.broken !== undefined) throw new Broken(sub.broken);
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const list = (seqs: number[]): string => (seqs.length > 12 ? `${seqs.slice(0, 12).join(', ')}, ...` : seqs.join(', ')) || 'none';

/** Checks every rule of the contract for `transport` at `url` (the server's base URL); `token` for /publish. */
export async function checkContract(url: string, transport: Transport, token?: string): Promise<CheckOutcome> {
  const base = new URL(url).origin;
  const control: Record<string, string> = { [CONTROL_HEADER]: '1', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const subs: Subscription[] = [];
  let rules = 0;
  const rule = (): void => void rules++;
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await request(`${base}${path}`, { headers: { [CONTROL_HEADER]: '1' }, headersTimeout: CHECK_WAIT_MS, bodyTimeout: CHECK_WAIT_MS });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const publish = async (data: string): Promise<number> => {
    const res = await request(`${base}/publish`, { method: 'POST', headers: control, body: JSON.stringify({ data }), headersTimeout: CHECK_WAIT_MS, bodyTimeout: CHECK_WAIT_MS });
    const text = await res.body.text();
    if (res.statusCode === 401) throw new Broken('POST /publish answered 401: the server wants a control token, so pass the one it printed with --control-token');
    const seq = res.statusCode === 200 ? (JSON.parse(text) as { seq?: unknown }).seq : undefined;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) throw new Broken(`POST /publish {"data":"..."} must answer 200 {"seq":N}, got status ${res.statusCode} ${text.slice(0, 80)}`);
    return seq;
  };
  const serverNow = async (): Promise<number> => {
    const { status, text } = await get('/time');
    const now = status === 200 ? (JSON.parse(text) as { now?: unknown }).now : undefined;
    if (typeof now !== 'number' || !Number.isInteger(now)) throw new Broken(`GET /time must answer 200 {"now": µs of the server's monotonic clock}, got status ${status} ${text.slice(0, 80)}`);
    return now;
  };
  try {
    const health = await get('/healthz');
    if (health.status !== 200) throw new Broken(`GET /healthz must answer 200, got ${health.status}`);
    rule();
    await serverNow();
    rule();
    const first = await publish('rtbench check');
    const second = await publish('rtbench check');
    if (second !== first + 1) throw new Broken(`POST /publish must number events one after another, got seq ${first} and then ${second}`);
    rule();

    // Exact delivery to two subscribers, in order, with the data published and ts on the /time clock.
    const a = await subscribe(base, transport, second);
    const b = await subscribe(base, transport, second);
    subs.push(a, b);
    const before = await serverNow();
    for (let i = 1; i <= CHECK_EVENTS; i++) await publish(`rtbench check ${i}`);
    const after = await serverNow();
    const last = second + CHECK_EVENTS;
    for (const s of [a, b]) {
      await until(s, last);
      const got = s.events.map((e) => e.seq);
      if (got.join() !== range(second + 1, last).join()) throw new Broken(`a subscriber with ?after=${second} must receive every event after it exactly once and in order, ${second + 1} to ${last}, got ${list(got)}`);
      for (const e of s.events) {
        if (e.data !== `rtbench check ${e.seq - second}`) throw new Broken(`an event's data must be the string that was published, got "${e.data.slice(0, 40)}" for seq ${e.seq}`);
        if (e.ts < before - 1_000_000 || e.ts > after + 1_000_000) throw new Broken(`an event's ts must be µs of the server's monotonic clock, the clock GET /time reports (${before}), got ${e.ts}`);
      }
    }
    rule();

    // Resumption: the retained events after the cursor first (SSE: the cursor in Last-Event-ID).
    const cursor = last - 3;
    const resumed = await subscribe(base, transport, cursor, transport === 'sse');
    subs.push(resumed);
    await until(resumed, last);
    const got = resumed.events.map((e) => e.seq);
    const how = transport === 'sse' ? `Last-Event-ID: ${cursor}` : `?after=${cursor}`;
    if (got.join() !== range(cursor + 1, last).join()) throw new Broken(`a subscriber resuming with ${how} must first receive the retained events ${cursor + 1} to ${last}, got ${list(got)}`);
    rule();

    // No cursor: only what is published from then on.
    const fresh = await subscribe(base, transport, undefined);
    subs.push(fresh);
    const next = await publish('rtbench check newest');
    await until(fresh, next);
    const seen = fresh.events.map((e) => e.seq);
    if (seen.join() !== String(next)) throw new Broken(`a subscriber without a cursor must start at the newest event (receive ${next} only), got ${list(seen)}`);
    rule();

    // Bad input: a malformed cursor and a publish body that is not {"data":"..."} get a 4xx.
    if (transport !== 'ws') {
      const bad = await get(`${TRANSPORT_PATHS[transport]}?after=abc`);
      if (bad.status < 400 || bad.status > 499) throw new Broken(`GET ${TRANSPORT_PATHS[transport]}?after=abc must be refused with a 4xx, got ${bad.status}`);
      rule();
    }
    const res = await request(`${base}/publish`, { method: 'POST', headers: control, body: 'not json', headersTimeout: CHECK_WAIT_MS, bodyTimeout: CHECK_WAIT_MS });
    await res.body.text();
    if (res.statusCode < 400 || res.statusCode > 499) throw new Broken(`POST /publish with a body that is not JSON {"data":"..."} must be refused with a 4xx, got ${res.statusCode}`);
    rule();
    return { ok: true, rules };
  } catch (err) {
    if (err instanceof Broken) return { ok: false, rule: err.message };
    return { ok: false, rule: `the server must answer over HTTP at ${base} (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)})` };
  } finally {
    for (const s of subs) s.close();
  }
}
