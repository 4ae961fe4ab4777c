// Each of the churn, chat, burst and stream scenarios from the CLI on its smoke profile, over every transport:
// the deterministic figures exactly (deliveries, zero loss, counts of what was timed, framing bytes), never a time.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunResult, TransportResult } from '../lib/result.ts';
import { DEFAULT_TRANSPORTS as TRANSPORTS } from '../lib/transports.ts';
import { runCli, rtbenchChildren } from './helpers/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtbench-scenario-run-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs rtbench with `args` into a fresh output directory and returns the one result it wrote. */
async function run(args: string[]): Promise<RunResult> {
  const out = mkdtempSync(join(dir, 'out-'));
  const r = await runCli([...args, '--out', out, '--quiet', '--no-html']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(rtbenchChildren(r.tag), [], 'no server or client process survives');
  const files = readdirSync(out);
  assert.equal(files.length, 1, files.join(', '));
  return JSON.parse(readFileSync(join(out, files[0] as string), 'utf8')) as RunResult;
}

/**
 * Every transport ran, in order, and delivered every event exactly once: `published` events (or, when it is a
 * minimum, at least that many: a warm-up lasts until the latency settles), each to `clients` clients.
 */
function allDelivered(result: RunResult, published: number | { atLeast: number }, clients: number, transports: readonly string[] = TRANSPORTS): Record<string, TransportResult> {
  assert.deepEqual(result.transports.map((t) => t.transport), [...transports]);
  for (const t of result.transports) {
    assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
    const n = typeof published === 'number' ? published : (t.delivery?.publishedEvents ?? 0);
    if (typeof published !== 'number') assert.ok(n >= published.atLeast, `${t.transport}: ${n} events published, expected at least ${published.atLeast}`);
    assert.deepEqual(
      t.delivery,
      {
        ...t.delivery,
        publishedEvents: n,
        expectedDeliveries: n * clients,
        deliveredEvents: n * clients,
        lost: 0,
        stragglers: 0,
        behind: 0,
        failedClients: 0,
        failedMissed: 0,
        negativeLatencies: 0,
        duplicates: 0,
        outOfOrder: 0,
        gaps: 0,
      },
      t.transport,
    );
    assert.equal(typeof t.driver?.saturated, 'boolean');
    assert.equal(typeof t.driver?.cpuMsPer1kEvents, 'number');
  }
  assert.equal(typeof result.invalid, 'boolean');
  return Object.fromEntries(result.transports.map((t) => [t.transport, t]));
}

describe('scenarios from the CLI, smoke profiles', () => {
  it('churn: every client resumes from its cursor through steady churn and a storm, losing nothing', async () => {
    const result = await run(['compare', '--scenario', 'churn', '--profile', 'smoke']);
    assert.deepEqual([result.scenario, result.options.clients], ['churn', 4]);
    assert.deepEqual({ kind: result.options.kind, profile: result.options.profile }, { kind: 'churn', profile: 'smoke' });
    // 50 events/s over at least 0.3 s of warm-up + 1.5 s window + 1 s storm tail = 140 events, to each of 4 clients.
    allDelivered(result, { atLeast: 140 }, 4);
    for (const t of result.transports) {
      const c = t.connect;
      assert.ok(c, t.transport);
      assert.ok(c.reconnects > 0, `${t.transport} reconnected`);
      assert.equal(c.connectTime.count, c.reconnects, t.transport);
      assert.equal(c.storm?.clients, 4, `${t.transport}: every client dropped and back`);
      assert.equal(c.storm?.connectTime.count, 4);
      assert.equal(c.storm?.firstEventTime.count, 4, 'events were published during the storm: each client got one');
      assert.equal(typeof c.timeWaitSockets, 'number');
      assert.equal(typeof c.newTcpConnectionsPerSec, 'number');
    }
  });

  it('chat: every message reaches everyone; each sender times its own; WebSocket upstream costs exactly one frame', async () => {
    const result = await run(['compare', '--scenario', 'chat', '--profile', 'smoke']);
    // 3 clients x 10 messages, each broadcast to the 3 clients.
    const by = allDelivered(result, 30, 3);
    for (const t of result.transports) {
      assert.deepEqual(
        { sent: t.roundTrip?.messagesSent, failed: t.roundTrip?.failedSends, echoed: t.roundTrip?.echoed, timed: t.roundTrip?.latency.count },
        // The first 2 messages of each client (due in the 200 ms warm-up, at 10/s) are not timed.
        { sent: 30, failed: 0, echoed: 30, timed: 24 },
        t.transport,
      );
    }
    // {"data":"<100 chars>"} is 111 bytes; a masked client frame adds a 2-byte header and a 4-byte mask.
    assert.equal(by.ws?.roundTrip?.serverBytesReadPerMessage, 117);
    assert.equal(by.ws?.roundTrip?.httpRequestsPerMessage, 0);
    // The streams' GETs came before the window: their only requests are the POSTs.
    assert.equal(by.sse?.roundTrip?.httpRequestsPerMessage, 1);
    assert.equal(by['fetch-stream']?.roundTrip?.httpRequestsPerMessage, 1);
  });

  it('burst: every client completes every burst', async () => {
    const result = await run(['compare', '--scenario', 'burst', '--profile', 'smoke']);
    // 2 bursts of 50 events to 3 clients.
    allDelivered(result, 100, 3);
    for (const t of result.transports) {
      assert.deepEqual({ ...t.burst, complete: t.burst?.complete.count }, { bursts: 2, eventsPerBurst: 50, complete: 6, completed: 6 }, t.transport);
      assert.equal(t.latency?.count, 300);
    }
  });

  it('stream (rtbench run on the built-in file): every stream gets all its tokens', async () => {
    const result = await run(['run', 'scenarios/stream.json', '--profile', 'smoke']);
    assert.equal(result.scenario, 'stream');
    // 3 streams of 20 tokens each.
    allDelivered(result, 60, 1);
    for (const t of result.transports) {
      const s = t.stream;
      assert.deepEqual(
        { streams: s?.streams, tokens: s?.tokensPerStream, completed: s?.completed, first: s?.firstToken.count, inter: s?.interToken.count, total: s?.total.count, cold: s?.firstTokenCold?.count },
        // One unmeasured warm-up stream per client process (one process here) is timed apart as the cold first token.
        { streams: 3, tokens: 20, completed: 3, first: 3, inter: 57, total: 3, cold: t.driver?.processes },
        t.transport,
      );
      assert.ok((s?.bytesPerToken ?? 0) > 0);
    }
  });

  it("a user's file with keep-alive off: every poll on its own TCP connection; with it on, one per client", async () => {
    const userFile = (keepAlive: boolean): string => {
      const path = join(dir, `streams-${keepAlive}.json`);
      const profile = { clients: 2, tokens: 10, tokenIntervalMs: 10, tokenBytes: 4, pollIntervalMs: 50, keepAlive, sseRetryMs: 1500 };
      writeFileSync(path, JSON.stringify({ name: `my-streams-${keepAlive}`, kind: 'stream', transports: ['short-poll', 'long-poll'], profiles: { smoke: profile, ci: profile, full: profile } }));
      return path;
    };
    const off = await run(['run', userFile(false), '--profile', 'smoke']);
    assert.equal(off.scenario, 'my-streams-false');
    assert.deepEqual([off.options.keepAlive, off.options.sseRetryMs], [false, 1500]);
    for (const t of Object.values(allDelivered(off, 20, 1, ['short-poll', 'long-poll']))) {
      const requests = t.churn?.httpRequests ?? 0;
      const opened = t.churn?.connectionsOpened ?? 0;
      assert.ok(requests >= 2);
      // One connection per request. The server counts a connection when it accepts it and its request when
      // it has parsed it, so a window edge can fall between the two for each of the 2 clients.
      assert.ok(Math.abs(opened - requests) <= 2, `${t.transport}: ${opened} connections for ${requests} requests`);
    }
    const on = await run(['run', userFile(true), '--profile', 'smoke']);
    for (const t of Object.values(allDelivered(on, 20, 1, ['short-poll', 'long-poll']))) assert.equal(t.churn?.connectionsOpened, 2, t.transport);
  });
});
