// An example server that speaks the rtbench contract (docs/own-server.md) over SSE and WebSocket, in Express 5.
// Run: PORT=3000 node server.js; check: npx rtbench check http://127.0.0.1:3000 --transports sse,ws
import express from 'express';
import { WebSocketServer } from 'ws';

const RETENTION = 10_000; // events kept for resumption
const DELAY_MS = Number(process.env.EXAMPLE_DELAY_MS ?? 0); // a regression to try the gate with; 0 normally
const now = () => Number(process.hrtime.bigint() / 1000n); // µs of the monotonic clock: `ts` and GET /time

const events = []; // the last RETENTION events, as [seq, event JSON]
let lastSeq = 0;
const subscribers = new Set(); // { after, send(seq, json) }: SSE responses and WebSockets alike
const wss = new WebSocketServer({ noServer: true });

/** The cursor of ?after= (or Last-Event-ID): a number, undefined when absent, NaN when malformed. */
function cursor(value) {
  if (value === undefined || value === '') return undefined;
  return /^\d{1,16}$/.test(value) ? Number(value) : NaN;
}

/** Sends a new subscriber the retained events after its cursor (none without one: it starts at the newest event). */
function subscribe(after, send) {
  const sub = { after: after ?? lastSeq, send };
  for (const [seq, json] of events) if (seq > sub.after) send(seq, json);
  subscribers.add(sub);
  return () => subscribers.delete(sub);
}

function publish(data) {
  const seq = ++lastSeq;
  const json = JSON.stringify({ seq, ts: now(), data });
  const deliver = () => {
    events.push([seq, json]);
    if (events.length > RETENTION) events.shift();
    for (const sub of subscribers) if (seq > sub.after) sub.send(seq, json);
  };
  if (DELAY_MS > 0) setTimeout(deliver, DELAY_MS);
  else deliver();
  return seq;
}

const app = express();
app.use(express.json({ limit: '64kb' }));

app.get('/healthz', (req, res) => res.type('text/plain').send('ok'));
app.get('/time', (req, res) => res.json({ now: now() }));

app.post('/publish', (req, res) => {
  if (typeof req.body?.data !== 'string') return res.status(400).json({ error: 'body must be JSON like {"data":"..."}' });
  res.json({ seq: publish(req.body.data) });
});

app.get('/sse', (req, res) => {
  const after = cursor(req.get('last-event-id') ?? req.query.after);
  if (Number.isNaN(after)) return res.status(400).json({ error: 'after must be an integer >= 0' });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.flushHeaders(); // the headers go out now, not with the first event
  req.on('close', subscribe(after, (seq, json) => res.write(`id: ${seq}\ndata: ${json}\n\n`)));
});

// A body that is not JSON gets a one-line JSON error, as the contract asks (not Express's HTML page).
app.use((err, req, res, _next) => res.status(err.status ?? 500).json({ error: err.message }));

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  const after = cursor(url.searchParams.get('after') ?? undefined);
  if (url.pathname !== '/ws' || Number.isNaN(after)) return socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  wss.handleUpgrade(req, socket, head, (ws) => ws.on('close', subscribe(after, (seq, json) => ws.send(json))));
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
