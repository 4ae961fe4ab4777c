// `npm run bench:micro`: per-event encode cost on the server and decode cost on the client, per transport, with
// tinybench. Encode: what the reference servers build per event (hub event JSON once; SSE frame, NDJSON line and
// poll body once per publish tick; a WebSocket frame header per subscriber via ws's Sender.frame). Decode: framing
// parse plus JSON.parse of the event (the lean SSE parser of the SSE client, eventsource-parser for comparison, NDJSON line split, ws's
// Receiver, the poll body). Writes bench/results/micro-<date>.json and prints a table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import * as wsModule from 'ws';
import { createParser } from 'eventsource-parser';
import { SseParser } from '../clients/sse-parser.ts';
import { describeEnvironment } from '../driver/environment.ts';
import type { HubEvent } from '../servers/hub.ts';
import { sseFrames } from '../servers/sse.ts';
import { ndjsonLines } from '../servers/fetch-stream.ts';
import { pollBody } from '../servers/http-util.ts';

/** ws internals the reference server and client use (not in @types/ws). */
interface WsInternals {
  Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
  Receiver: new (options: { isServer: boolean; maxPayload: number; binaryType: 'nodebuffer' }) => {
    write(chunk: Buffer): boolean;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  };
}
const { Sender, Receiver } = wsModule as unknown as WsInternals;

/** Payload (`data`) sizes, bytes. */
const PAYLOADS = [100, 4096];
const TIME_MS = Number(process.env.RTBENCH_MICRO_TIME_MS ?? 300);

interface Row {
  name: string;
  transport: string;
  side: 'encode' | 'decode';
  payloadBytes: number;
  /** Bytes on the wire the operation produces or consumes (framing included; HTTP chunk and poll head excluded). */
  wireBytes: number;
  meanNs: number;
  p50Ns: number;
  p99Ns: number;
  opsPerSec: number;
  /** Relative margin of error of the mean, percent. */
  rmePercent: number;
  samples: number;
}

const bench = new Bench({ time: TIME_MS, warmup: true });
const meta = new Map<string, Omit<Row, 'meanNs' | 'p50Ns' | 'p99Ns' | 'opsPerSec' | 'rmePercent' | 'samples' | 'name'>>();
let sink = 0;
const add = (name: string, m: Omit<Row, 'meanNs' | 'p50Ns' | 'p99Ns' | 'opsPerSec' | 'rmePercent' | 'samples' | 'name'>, fn: () => void): void => {
  meta.set(name, m);
  bench.add(name, fn);
};

for (const size of PAYLOADS) {
  const data = 'x'.repeat(size);
  let seq = 1_000_000;
  const ts = 1_234_567_890_123;
  const event = (): HubEvent => {
    seq++;
    return { seq, ts, json: `{"seq":${seq},"ts":${ts},"data":${JSON.stringify(data)}}` };
  };
  const e = event();
  const jsonBuf = Buffer.from(e.json);
  const frameOpts = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: true };

  // Server side: encode.
  add(`hub event JSON ${size} B`, { transport: 'all', side: 'encode', payloadBytes: size, wireBytes: jsonBuf.length }, () => {
    sink += event().json.length;
  });
  add(`sse frame ${size} B`, { transport: 'sse', side: 'encode', payloadBytes: size, wireBytes: Buffer.byteLength(sseFrames([e])) }, () => {
    sink += Buffer.from(sseFrames([e])).length;
  });
  add(`ndjson line ${size} B`, { transport: 'fetch-stream', side: 'encode', payloadBytes: size, wireBytes: Buffer.byteLength(ndjsonLines([e])) }, () => {
    sink += Buffer.from(ndjsonLines([e])).length;
  });
  const wsFrame = Buffer.concat(Sender.frame(jsonBuf, frameOpts));
  add(`ws frame (Sender.frame) ${size} B`, { transport: 'ws', side: 'encode', payloadBytes: size, wireBytes: wsFrame.length }, () => {
    sink += (Sender.frame(jsonBuf, frameOpts)[0] as Buffer).length;
  });
  const body = pollBody({ events: [e], gap: false }, e.seq - 1);
  add(`poll body ${size} B`, { transport: 'short-poll, long-poll', side: 'encode', payloadBytes: size, wireBytes: Buffer.byteLength(body) }, () => {
    // The server builds it once per cursor per tick and node:http encodes it on write.
    sink += Buffer.from(pollBody({ events: [e], gap: false }, e.seq - 1)).length;
  });

  // Client side: decode (framing, then the event JSON).
  const sseBytes = Buffer.from(sseFrames([e]));
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (ev) => {
      sink += (JSON.parse(ev.data) as { seq: number }).seq;
    },
  });
  add(`sse parse (eventsource-parser) ${size} B`, { transport: 'sse', side: 'decode', payloadBytes: size, wireBytes: sseBytes.length }, () => {
    parser.feed(decoder.decode(sseBytes, { stream: true }));
  });
  const lean = new SseParser((_type, text, start, end) => {
    sink += (JSON.parse(text.slice(start, end)) as { seq: number }).seq;
  });
  add(`sse parse (lean, clients/sse-parser.ts) ${size} B`, { transport: 'sse', side: 'decode', payloadBytes: size, wireBytes: sseBytes.length }, () => {
    lean.feed(sseBytes);
  });
  const ndBytes = Buffer.from(ndjsonLines([e]));
  add(`ndjson split + JSON.parse ${size} B`, { transport: 'fetch-stream', side: 'decode', payloadBytes: size, wireBytes: ndBytes.length }, () => {
    const text = decoder.decode(ndBytes, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      sink += (JSON.parse(text.slice(start, nl)) as { seq: number }).seq;
      start = nl + 1;
    }
  });
  const receiver = new Receiver({ isServer: false, maxPayload: 0, binaryType: 'nodebuffer' });
  receiver.on('message', (msg) => {
    sink += (JSON.parse(msg.toString()) as { seq: number }).seq;
  });
  add(`ws frame parse (Receiver) ${size} B`, { transport: 'ws', side: 'decode', payloadBytes: size, wireBytes: wsFrame.length }, () => {
    receiver.write(wsFrame);
  });
  const bodyBytes = Buffer.from(body);
  add(`poll body JSON.parse ${size} B`, { transport: 'short-poll, long-poll', side: 'decode', payloadBytes: size, wireBytes: bodyBytes.length }, () => {
    sink += (JSON.parse(bodyBytes.toString()) as { next: number }).next;
  });
}

await bench.run();
const rows: Row[] = [];
for (const task of bench.tasks) {
  const r = task.result;
  const m = meta.get(task.name);
  if (!m || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
    process.stderr.write(`${task.name}: ${r.state}${r.state === 'errored' ? ` ${r.error.message}` : ''}\n`);
    continue;
  }
  rows.push({
    name: task.name,
    ...m,
    meanNs: Math.round(r.latency.mean * 1e6),
    p50Ns: Math.round(r.latency.p50 * 1e6),
    p99Ns: Math.round(r.latency.p99 * 1e6),
    opsPerSec: Math.round(r.throughput.mean),
    rmePercent: Math.round(r.latency.rme * 100) / 100,
    samples: r.latency.samplesCount,
  });
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/micro-${stamp}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ kind: 'rtbench-bench-micro', timeMsPerTask: TIME_MS, environment: describeEnvironment(), rows }, null, 2)}\n`);
const pad = (s: string, n: number): string => s.padEnd(n);
const lines = rows.map((r) => `${pad(r.side, 7)} ${pad(r.name, 42)} ${String(r.meanNs).padStart(8)} ns/event  (p50 ${r.p50Ns} ns, p99 ${r.p99Ns} ns, ±${r.rmePercent}%)  ${r.wireBytes} B`);
process.stdout.write(`${lines.join('\n')}\nfull results: ${file.pathname}\n${sink > 0 ? '' : '\n'}`);
