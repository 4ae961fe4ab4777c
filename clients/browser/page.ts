// The page the browser clients run in: plain JavaScript on the browser's own APIs (EventSource, WebSocket,
// fetch() with a stream reader, polling with fetch()). Each delivery is stamped with performance.now() the moment
// its handler runs and handed to the host in batches through the `rtbDeliver` binding; the host turns the stamp
// into its own clock with the page's offset (clients/browser/host.ts).

/**
 * The page's script, as the browser runs it (a string: nothing of the host's build reaches the page). It defines
 * `window.rtb` with subscribe(id, transport, url, options) (resolves once subscribed, like Client.connect()),
 * close(id), clock(url, count) (host-clock exchanges), timerResolution() and the event-loop probe (lagStart/Stop/Take).
 */
export const PAGE_SCRIPT = String.raw`
'use strict';
const subs = new Map();
// Deliveries waiting for the host: [id, seq, ts, nowMs] flat, flushed a few ms after the first (the stamps are
// taken at receipt; only the host's bookkeeping waits).
let batch = [];
let flushTimer = 0;
function flush() {
  flushTimer = 0;
  const b = batch;
  batch = [];
  window.rtbDeliver(b);
}
function deliver(id, m, now) {
  if (m.gap === true) return window.rtbNote(id, 'gap', '');
  if (m.cut === true) return window.rtbNote(id, 'error', 'the server cut the subscription: ' + m.reason);
  const sub = subs.get(id);
  if (sub.seqs !== undefined) return void sub.seqs.push(m.seq);
  batch.push(id, m.seq, m.ts, now);
  if (flushTimer === 0) flushTimer = setTimeout(flush, 5);
}
// The page's own event-loop delay, as rtbench measures a Node client's (lib/loop-delay.ts): a worker posts a probe
// every 10 ms stamped with the time it was due on its own clock, or with the time it posted when it woke less than
// 2 ms late (its own wake-up jitter does not count); the main thread records how long each probe waited before the
// page's loop ran it while the window is open. The two threads' performance.now() count from different origins
// (timeOrigin does not line them up to the millisecond), so each wait is read against the shortest one recorded,
// a probe the loop ran at once.
const lag = { on: false, raw: [], failed: false };
try {
  // every 10 ms: a browser's nested timers wait at least 4 ms, so a shorter interval could never catch up after a stall
  const src = 'let due=performance.now()+10;' +
    'function t(){const n=performance.now();postMessage(n-due>2?due:n);due+=10;setTimeout(t,Math.max(0,due-performance.now()));}setTimeout(t,10);';
  const probe = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  probe.onmessage = (m) => {
    if (lag.on) lag.raw.push(performance.now() - m.data);
  };
  probe.onerror = () => (lag.failed = true);
} catch {
  lag.failed = true;
}
function fail(sub, message) {
  if (sub.closed) return;
  sub.closed = true;
  sub.stop();
  window.rtbNote(sub.id, 'error', message);
}
function pollAnswer(sub, text, now) {
  const a = JSON.parse(text);
  if (a.gap === true) window.rtbNote(sub.id, 'gap', '');
  for (const m of a.events) deliver(sub.id, m, now);
  sub.cursor = a.next;
}

const open = {
  ws(sub, url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws?after=' + sub.cursor);
      sub.stop = () => ws.close(1000);
      ws.onmessage = (e) => deliver(sub.id, JSON.parse(e.data), performance.now());
      ws.onopen = () => resolve();
      ws.onclose = (e) => {
        reject(new Error('WebSocket closed (code ' + e.code + ')'));
        fail(sub, 'the WebSocket closed (code ' + e.code + ')');
      };
    });
  },
  sse(sub, url) {
    return new Promise((resolve, reject) => {
      // EventSource reconnects by itself after a dropped stream, sending Last-Event-ID: what a browser does.
      const es = new EventSource(url + '/sse?after=' + sub.cursor);
      sub.stop = () => es.close();
      es.onmessage = (e) => deliver(sub.id, JSON.parse(e.data), performance.now());
      es.addEventListener('gap', () => window.rtbNote(sub.id, 'gap', ''));
      es.addEventListener('cut', (e) => fail(sub, 'the server cut the subscription: ' + e.data));
      es.onopen = () => resolve();
      es.onerror = () => {
        if (es.readyState !== EventSource.CLOSED) return window.rtbNote(sub.id, 'reconnect', '');
        reject(new Error('EventSource failed'));
        fail(sub, 'the EventSource closed');
      };
    });
  },
  async 'fetch-stream'(sub, url) {
    const ctl = new AbortController();
    sub.stop = () => ctl.abort();
    const res = await fetch(url + '/stream?after=' + sub.cursor, { signal: ctl.signal, cache: 'no-store' });
    if (!res.ok) throw new Error('GET /stream answered ' + res.status);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    (async () => {
      let rest = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return fail(sub, 'the stream ended');
        const now = performance.now();
        const lines = (rest + value).split('\n');
        rest = lines.pop();
        for (const line of lines) if (line !== '') deliver(sub.id, JSON.parse(line), now);
      }
    })().catch((err) => fail(sub, String(err)));
  },
  async 'short-poll'(sub, url, o) {
    let timer = 0;
    const ctl = new AbortController();
    sub.stop = () => {
      clearTimeout(timer);
      ctl.abort();
    };
    const poll = async () => {
      const res = await fetch(url + '/poll?after=' + sub.cursor, { signal: ctl.signal, cache: 'no-store' });
      const text = await res.text();
      const now = performance.now();
      if (!res.ok) throw new Error('GET /poll answered ' + res.status);
      pollAnswer(sub, text, now);
    };
    const next = (ms) => {
      timer = setTimeout(() => poll().then(() => next(o.pollIntervalMs), (err) => fail(sub, String(err))), ms);
    };
    await poll();
    next(o.pollIntervalMs + o.pollPhaseMs);
  },
  async 'long-poll'(sub, url, o) {
    const ctl = new AbortController();
    sub.stop = () => ctl.abort();
    const poll = async (wait) => {
      const res = await fetch(url + '/long-poll?after=' + sub.cursor + '&wait=' + wait, { signal: ctl.signal, cache: 'no-store' });
      const text = await res.text();
      const now = performance.now();
      if (!res.ok) throw new Error('GET /long-poll answered ' + res.status);
      pollAnswer(sub, text, now);
    };
    // The first poll is answered at once (wait=0), as the Node client's: subscribed means the cursor is known
    // (browser-limits holds it firstWaitMs instead, to see when it reached the server).
    await poll(o.firstWaitMs ?? 0);
    (async () => {
      for (;;) await poll(o.longPollWaitMs);
    })().catch((err) => fail(sub, String(err)));
  },
};

window.rtb = {
  /** Opens subscription id; resolves once subscribed, with the time it took, ms. */
  async subscribe(id, transport, url, o) {
    const sub = { id, cursor: o.after, closed: false, stop: () => undefined };
    subs.set(id, sub);
    const t0 = performance.now();
    await open[transport](sub, url, o);
    return performance.now() - t0;
  },
  close(id) {
    const sub = subs.get(id);
    if (!sub || sub.closed) return;
    sub.closed = true;
    sub.stop();
  },
  /**
   * browser-limits: opens subscriptions 1..n of transport to url all at once, in order, each recording the seqs it
   * receives and how long it took to subscribe; status() reads them.
   */
  openAll(transport, url, n, o) {
    for (let i = 1; i <= n; i++) {
      const sub = { id: i, cursor: 0, closed: false, stop: () => undefined, seqs: [], connectMs: null, error: null };
      subs.set(i, sub);
      const t0 = performance.now();
      open[transport](sub, url, o).then(
        () => (sub.connectMs = performance.now() - t0),
        (err) => (sub.error = String(err)),
      );
    }
  },
  status() {
    return [...subs.values()].map((s) => ({ id: s.id, connectMs: s.connectMs, error: s.error, seqs: s.seqs }));
  },
  /** count exchanges with the host's clock over a WebSocket to url: [before, after, hostNowUs] each, ms of performance.now() for the first two. */
  clock(url, count) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const out = [];
      let before = 0;
      const ask = () => {
        before = performance.now();
        ws.send('t');
      };
      ws.onopen = ask;
      ws.onmessage = (e) => {
        out.push([before, performance.now(), Number(e.data)]);
        if (out.length < count) return ask();
        ws.close();
        resolve(out);
      };
      ws.onerror = () => reject(new Error('the clock exchange failed'));
    });
  },
  /** The event-loop probe: lagStart() clears and records, lagStop() stops, lagTake() gives the delays, µs (null: no probe). */
  lagStart() {
    lag.raw = [];
    lag.on = true;
  },
  lagStop() {
    lag.on = false;
  },
  lagTake() {
    if (lag.failed) return null;
    let min = Infinity;
    for (const r of lag.raw) if (r < min) min = r;
    return lag.raw.map((r) => Math.round((r - min) * 1000));
  },
  /** The smallest step performance.now() takes, ms, over many reads; and whether the page is cross-origin isolated. */
  timerResolution() {
    let min = Infinity;
    let last = performance.now();
    const end = last + 50;
    while (last < end) {
      const t = performance.now();
      if (t > last && t - last < min) min = t - last;
      last = t;
    }
    return { stepMs: min, isolated: self.crossOriginIsolated === true };
  },
};
`;

/**
 * The page: served with COOP/COEP so that it is cross-origin isolated, where Chromium coarsens performance.now()
 * to 5 µs instead of 100 µs (the servers' CORS headers let its cross-origin requests through).
 */
export const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>rtbench browser clients</title><script>${PAGE_SCRIPT}</script>`;

/** Headers the page is served with (cross-origin isolation: the finer timer). */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cache-control': 'no-store',
};
