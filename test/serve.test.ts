// `rtbench serve` as a person uses it: URLs printed, curl-style requests answered, a browser's EventSource and
// WebSocket subscribed from another origin, Ctrl-C stops every server.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { launchChromium } from './helpers/chromium.ts';
import { startCli, rtbenchChildren, type CliRun } from './helpers/cli.ts';
import { DEFAULT_TRANSPORTS as TRANSPORTS } from '../lib/transports.ts';


let run: ReturnType<typeof startCli>;
const urls = new Map<string, string>();

before(async () => {
  run = startCli(['serve', '--rate', '0']);
  // Wait for the five URL lines.
  let out = '';
  await new Promise<void>((resolve, reject) => {
    run.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/^\s+(\S+)\s+((?:http|ws):\/\/127\.0\.0\.1:\d+)\S*/gm)) urls.set(m[1] as string, (m[2] as string).replace(/^ws:/, 'http:'));
      if (urls.size === TRANSPORTS.length) resolve();
    });
    void run.done.then((r) => reject(new Error(`serve exited early: ${r.stderr}`)));
  });
});

after(async () => {
  if (run.child.exitCode === null) run.child.kill('SIGKILL');
  await run.done;
});

it('prints one URL per transport and answers curl-style requests per the contract', async () => {
  assert.deepEqual([...urls.keys()], [...TRANSPORTS]);
  for (const [transport, base] of urls) {
    const health = await fetch(`${base}/healthz`);
    assert.equal(await health.text(), 'ok', transport);
    const published = (await (await fetch(`${base}/publish`, { method: 'POST', body: '{"data":"hello"}' })).json()) as { seq: number };
    assert.equal(published.seq, 1, transport);
    const bad = await fetch(`${base}/publish`, { method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
  }
  const poll = (await (await fetch(`${urls.get('short-poll')}/poll?after=0`)).json()) as { events: { seq: number; data: string }[]; next: number };
  assert.deepEqual({ seqs: poll.events.map((e) => e.seq), data: poll.events.map((e) => e.data), next: poll.next }, { seqs: [1], data: ['hello'], next: 1 });
  const stream = await fetch(`${urls.get('fetch-stream')}/stream?after=0`);
  const reader = stream.body?.getReader();
  const first = await reader?.read();
  assert.match(new TextDecoder().decode(first?.value), /^\{"seq":1,"ts":\d+,"data":"hello"\}\n$/);
  await reader?.cancel();
});

it('a browser page from another origin subscribes with EventSource and WebSocket and publishes with fetch', async () => {
  // The page comes from its own origin, so every request to the servers is cross-origin (CORS).
  const page0: Server = createServer((_req, res) => res.end('<!doctype html><title>demo</title>'));
  await new Promise<void>((r) => page0.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(page0.address() as { port: number }).port}`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(origin);
    const got = await page.evaluate(
      async ({ sse, ws }) => {
        const sseData = new Promise<string>((resolve, reject) => {
          const es = new EventSource(`${sse}/sse?after=1`);
          es.onmessage = (ev) => {
            es.close();
            resolve(`${ev.lastEventId} ${ev.data as string}`);
          };
          es.onerror = () => reject(new Error('EventSource error'));
        });
        const wsData = new Promise<string>((resolve, reject) => {
          const sock = new WebSocket(`${ws.replace('http:', 'ws:')}/ws?after=1`);
          sock.onopen = () => sock.send(JSON.stringify({ data: 'from the browser' }));
          sock.onmessage = (ev) => {
            sock.close();
            resolve(ev.data as string);
          };
          sock.onerror = () => reject(new Error('WebSocket error'));
        });
        const res = await fetch(`${sse}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: 'from fetch' }) });
        return { publish: (await res.json()) as { seq: number }, sse: await sseData, ws: await wsData };
      },
      { sse: urls.get('sse') as string, ws: urls.get('ws') as string },
    );
    assert.deepEqual(got.publish, { seq: 2 });
    assert.match(got.sse, /^2 \{"seq":2,"ts":\d+,"data":"from fetch"\}$/);
    assert.match(got.ws, /^\{"seq":2,"ts":\d+,"data":"from the browser"\}$/);
  } finally {
    await browser.close();
    await new Promise<void>((r) => page0.close(() => r()));
  }
});

it('Ctrl-C stops every server process', async () => {
  const pids = rtbenchChildren(run.tag);
  assert.ok(pids.every((p) => p.ppid === run.child.pid));
  assert.equal(pids.length, TRANSPORTS.length);
  run.child.kill('SIGINT');
  const r: CliRun = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(rtbenchChildren(r.tag), []);
});
