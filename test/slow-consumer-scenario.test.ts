// The slow-consumer scenario: its pure parts, the read throttle on every default client over real sockets (a
// stopped client really stops reading: the streaming servers cut it, the pollers cost nothing), its parameters'
// schema in-process, and the scenario from the CLI on every transport with its report sections. Exact counts of what
// was delivered; no time is asserted.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '../clients/index.ts';
import type { Client } from '../clients/client.ts';
import { ReadThrottle, type Flow } from '../clients/throttle.ts';
import { isSlow } from '../driver/scenarios/slow-consumer/client.ts';
import { slowClientsOf } from '../driver/scenarios/slow-consumer/run.ts';
import type { RunResult, TransportResult } from '../lib/result.ts';
import { DEFAULT_TRANSPORTS as TRANSPORTS } from '../lib/transports.ts';
import { validateScenario } from '../scenarios/schema.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { startServer } from '../servers/server.ts';
import { runCli, rtbenchChildren } from './helpers/cli.ts';
import { Collect } from './helpers/sink.ts';
import { until as untilWithin } from './helpers/raw.ts';

/** Waits for `check()`, at most `ms` (this file's default deadline). */
const until = (check: () => boolean, what: string, ms = 20000): Promise<void> => untilWithin(check, what, ms);

const EVENT = 'x'.repeat(16 * 1024);
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('slow-consumer: pure parts', { timeout: 10_000 }, () => {
  it('picks exactly the slow share of the clients, spread evenly over the indexes', () => {
    for (const [total, slow] of [[10, 2], [100, 1], [100, 10], [7, 3], [5, 5], [5, 0]] as const) {
      const picked = range(0, total - 1).filter((i) => isSlow(i, total, slow));
      assert.equal(picked.length, slow, `${slow} of ${total}`);
    }
    assert.deepEqual(range(0, 9).filter((i) => isSlow(i, 10, 2)), [4, 9]);
    assert.deepEqual(range(0, 99).filter((i) => isSlow(i, 100, 1)), [99]);
  });

  it('rounds the slow share, at least one client when it is above 0', () => {
    assert.deepEqual([slowClientsOf(100, 0.1), slowClientsOf(100, 0.01), slowClientsOf(10, 0.01), slowClientsOf(10, 0), slowClientsOf(3, 1), slowClientsOf(10, 0.25)], [10, 1, 1, 0, 3, 3]);
  });

  it('a throttle pauses its flow as the rate demands and resumes it when the rate is lifted', async () => {
    const calls: string[] = [];
    let resumed: () => void = () => undefined;
    const flow: Flow = {
      pause: () => calls.push('pause'),
      resume: () => {
        calls.push('resume');
        resumed();
      },
    };
    const t = new ReadThrottle();
    t.attach(flow);
    t.read(1_000_000);
    assert.deepEqual(calls, [], 'no limit: reading goes on');
    t.setRate(0);
    assert.deepEqual([calls, t.holding], [['pause'], true], 'rate 0 stops reading at once');
    t.setRate(Infinity);
    assert.deepEqual([calls, t.holding], [['pause', 'resume'], false]);
    t.setRate(1000);
    const back = new Promise<void>((resolve) => (resumed = resolve));
    t.read(10);
    assert.deepEqual(calls.slice(2), ['pause'], 'ahead of the rate: paused');
    await back;
    assert.deepEqual(calls.slice(2), ['pause', 'resume'], 'resumed once the bytes are paid for');
    t.detach({ pause: () => undefined, resume: () => undefined });
    t.setRate(0);
    assert.equal(calls.at(-1), 'pause', 'another flow does not detach this one');
    t.detach(flow);
    t.setRate(Infinity);
    assert.equal(calls.at(-1), 'pause', 'a detached flow is left alone');
    assert.throws(() => t.setRate(-1), /read rate must be >= 0 bytes\/s, got -1/);
  });
});

describe('slow-consumer: a stopped client on every transport, real sockets', { timeout: 120_000 }, () => {
  for (const transport of ['ws', 'sse', 'fetch-stream'] as const) {
    it(`${transport}: a client that stops reading is cut at the bound, the healthy one gets everything, and it resumes from what it read`, async () => {
      const server = await startServer({ transport, maxQueuedBytes: 256 * 1024, retention: 100_000 });
      const healthy = new Collect();
      const stopped = new Collect();
      const throttle = new ReadThrottle();
      throttle.setRate(0);
      let failure: Error | undefined;
      const clients: Client[] = [
        createClient(transport, { baseUrl: server.url, after: 0, sink: healthy }),
        createClient(transport, { baseUrl: server.url, after: 0, sink: stopped, throttle, onError: (err) => (failure = err) }),
      ];
      try {
        for (const c of clients) await c.connect();
        await until(() => server.stats.snapshot().subscribers === 2, 'both subscribers');
        // 16 KiB events, 8 per tick, until the stopped client is cut (the kernel's socket buffers fill first).
        let published = 0;
        while (server.stats.snapshot().slowConsumersCut === 0) {
          assert.ok(published < 8_000, 'cut before 128 MiB were published');
          for (let i = 0; i < 8; i++) server.hub.append(EVENT, 0);
          server.hub.flush();
          published += 8;
          await new Promise((r) => setImmediate(r));
        }
        assert.equal(server.stats.snapshot().slowConsumersCut, 1);
        await until(() => healthy.seqs.length === published, `the healthy client's ${published} events`);
        assert.deepEqual(healthy.seqs, range(1, published));
        assert.deepEqual(stopped.seqs, [], 'the stopped client read nothing');
        // Reading again, it gets what the kernel held for it, in order, then learns that it was cut.
        throttle.setRate(Infinity);
        await until(() => failure !== undefined, 'the stopped client to learn of its cut');
        const read = stopped.seqs.length;
        assert.ok(read > 0 && read <= published, `${read} of ${published} events were in the kernel's buffers or still queued`);
        assert.deepEqual(stopped.seqs, range(1, read));
        // It resumes with its cursor and gets exactly the rest.
        const rest = new Collect();
        const resumed = createClient(transport, { baseUrl: server.url, after: read, sink: rest });
        clients.push(resumed);
        await resumed.connect();
        await until(() => rest.seqs.length === published - read, 'the rest after resuming');
        assert.deepEqual(rest.seqs, range(read + 1, published));
        assert.equal(rest.gaps, 0);
      } finally {
        for (const c of clients) await c.close();
        await server.close();
      }
    });
  }

  for (const transport of ['short-poll', 'long-poll'] as const) {
    it(`${transport}: a stopped poller stops polling and costs the server nothing; it falls behind and comes back through the gap`, async () => {
      const server = await startServer({ transport, maxQueuedBytes: 256 * 1024, retention: 50 });
      const healthy = new Collect();
      const stopped = new Collect();
      const throttle = new ReadThrottle();
      throttle.setRate(0);
      const options = { baseUrl: server.url, after: 0, pollIntervalMs: 5, longPollWaitMs: 5000 };
      const clients: Client[] = [createClient(transport, { ...options, sink: healthy }), createClient(transport, { ...options, sink: stopped, throttle })];
      try {
        for (const c of clients) await c.connect();
        const requests = server.stats.snapshot().requests;
        // 200 events, while the healthy poller keeps up (it reads before retention drops them).
        for (let i = 1; i <= 200; i++) {
          server.hub.publish(EVENT, 0);
          await until(() => healthy.seqs.length === i, `the healthy poller's event ${i}`);
        }
        assert.deepEqual(healthy.seqs, range(1, 200));
        assert.deepEqual(stopped.seqs, [], 'the stopped poller polled no more');
        assert.equal(server.stats.snapshot().slowConsumersCut, 0, 'nothing to cut');
        assert.ok(server.stats.snapshot().requests > requests, 'the healthy poller polled');
        // Polling again, it gets the gap notice and exactly what retention still holds.
        throttle.setRate(Infinity);
        await until(() => stopped.seqs.length === 50, 'the retained events');
        assert.deepEqual([stopped.gaps, stopped.seqs], [1, range(151, 200)]);
      } finally {
        for (const c of clients) await c.close();
        await server.close();
      }
    });
  }
});

describe('slow-consumer: parameters', { timeout: 10_000 }, () => {
  const file = (smoke: Record<string, unknown>): Record<string, unknown> => ({ name: 'mine', kind: 'slow-consumer', profiles: { smoke, ci: {}, full: {} } });

  it('fills the defaults, runs on every transport, and takes its flags', () => {
    const f = validateScenario(file({ clients: 20 }), 's.json');
    assert.deepEqual(f.transports, [...TRANSPORTS]);
    const p = f.profiles.ci;
    assert.deepEqual([p.slowFraction, p.slowReadBytesPerSec, p.retentionEvents, p.maxQueuedBytes], [0.1, 0, 0, 4_194_304]);
    const o = resolveOptions(f, 'smoke', { slowFraction: 0.5, slowReadBytesPerSec: 1000, retentionEvents: 300, maxQueuedBytes: 0 });
    assert.equal(o.kind, 'slow-consumer');
    if (o.kind !== 'slow-consumer') return;
    assert.deepEqual([o.clients, o.slowFraction, o.slowReadBytesPerSec, o.retentionEvents, o.maxQueuedBytes], [20, 0.5, 1000, 300, 0]);
    for (const p of ['smoke', 'ci', 'full'] as const) assert.equal(resolveOptions(loadBuiltin('slow-consumer'), p).kind, 'slow-consumer');
  });

  it('refuses a bad value with one sentence naming the field, and its flags on other kinds', () => {
    const bad: [Record<string, unknown>, string | RegExp][] = [
      [{ slowFraction: 1.5 }, 's.json: profiles.smoke.slowFraction must be a number between 0 and 1, got 1.5'],
      [{ slowFraction: '10%' }, 's.json: profiles.smoke.slowFraction must be a number between 0 and 1, got "10%"'],
      [{ slowReadBytesPerSec: -1 }, 's.json: profiles.smoke.slowReadBytesPerSec must be an integer between 0 and 1073741824, got -1'],
      [{ retentionEvents: 0.5 }, 's.json: profiles.smoke.retentionEvents must be an integer between 0 and 10000000, got 0.5'],
      [{ slowClients: 3 }, /^s\.json: unknown field "slowClients" in profiles\.smoke; expected one of: clients, .*, slowFraction, slowReadBytesPerSec, retentionEvents$/],
    ];
    for (const [smoke, message] of bad) assert.throws(() => validateScenario(file(smoke), 's.json'), { name: 'UsageError', message });
    assert.throws(() => resolveOptions(loadBuiltin('fanout'), 'ci', { slowFraction: 0.2 }), { message: /^--slow-fraction does not apply to fanout scenarios; their parameters are: / });
    assert.throws(() => validateScenario({ name: 'x', kind: 'fanout', profiles: { smoke: { retentionEvents: 5 }, ci: {}, full: {} } }, 'f.json'), { message: /^f\.json: unknown field "retentionEvents" in profiles\.smoke/ });
  });
});

describe('slow-consumer from the CLI', { timeout: 170_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rtbench-slow-consumer-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs rtbench with `args` and returns the one result it wrote and the terminal report it printed. */
  async function run(args: string[]): Promise<{ result: RunResult; stdout: string }> {
    const out = mkdtempSync(join(dir, 'out-'));
    const r = await runCli([...args, '--out', out, '--quiet', '--no-html']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(rtbenchChildren(r.tag), [], 'no server or client process survives');
    const files = readdirSync(out);
    assert.equal(files.length, 1, files.join(', '));
    return { result: JSON.parse(readFileSync(join(out, files[0] as string), 'utf8')) as RunResult, stdout: r.stdout };
  }

  /** The transport's figures, after checking it ran and every client got every event it was due, exactly once. */
  function delivered(t: TransportResult, clients: number): { published: number; lost: number } {
    assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
    const d = t.delivery;
    assert.ok(d && t.slowConsumer, t.transport);
    const published = d.publishedEvents;
    assert.deepEqual(
      { expected: d.expectedDeliveries, delivered: d.deliveredEvents + d.lost, stragglers: d.stragglers, failed: d.failedClients, duplicates: d.duplicates, outOfOrder: d.outOfOrder, negative: d.negativeLatencies },
      { expected: published * clients, delivered: published * clients, stragglers: 0, failed: 0, duplicates: 0, outOfOrder: 0, negative: 0 },
      t.transport,
    );
    assert.equal(t.slowConsumer.healthyLost, 0, `${t.transport}: the healthy clients lost nothing`);
    assert.equal(d.lost, t.slowConsumer.slowLost, `${t.transport}: only the slow clients lost anything`);
    return { published, lost: d.lost };
  }

  it('smoke, every transport: the streams cut every stopped client, which resumes losing nothing; the pollings are immune', async () => {
    const { result, stdout } = await run(['compare', '--scenario', 'slow-consumer', '--profile', 'smoke']);
    assert.deepEqual(result.transports.map((t) => t.transport), [...TRANSPORTS]);
    assert.deepEqual([result.scenario, result.options.kind, result.options.clients], ['slow-consumer', 'slow-consumer', 10]);
    for (const t of result.transports) {
      const { published } = delivered(t, 10);
      const s = t.slowConsumer;
      assert.ok(s, t.transport);
      const pull = t.transport === 'short-poll' || t.transport === 'long-poll';
      // Retention holds the whole run: nobody loses anything, however long it stopped.
      assert.deepEqual(
        { slow: s.slowClients, healthy: s.healthyClients, rate: s.readBytesPerSec, pull: s.pull, bound: s.maxQueuedBytes, lost: s.slowLost, gaps: s.slowGaps, stragglers: s.slowStragglers },
        { slow: 2, healthy: 8, rate: 0, pull, bound: pull ? undefined : 262_144, lost: 0, gaps: 0, stragglers: 0 },
        t.transport,
      );
      // 200 events/s scheduled in a 2 s window, timed at each of the 8 healthy clients, and apart at the 2 slow ones.
      assert.deepEqual([t.latency?.count, s.slowLatency.count], [8 * 400, 2 * 400], t.transport);
      if (pull) {
        assert.deepEqual([s.cuts, s.cutClients, s.resumes, s.recoveredEvents, t.server?.slowConsumersCut], [0, 0, 0, 0, 0], t.transport);
      } else {
        // Each stopped client is cut once (it learns of it only when it reads again, at the end), and resumes once.
        assert.deepEqual([s.cuts, s.cutClients, s.resumes], [2, 2, 2], t.transport);
        assert.ok(s.recoveredEvents > 0 && s.recoveredEvents < 2 * published, `${t.transport}: ${s.recoveredEvents} events got back`);
      }
    }
    const text = stdout.replace(/\n +/g, ' ');
    assert.ok(stdout.includes('\nSlow consumers:\n'), 'the section heading');
    assert.match(stdout, /^ {2}slow consumers cut +0 \(pull: immune\) +0 \(pull: immune\) +2 +2 +2$/m);
    assert.match(stdout, /^ {2}queue bound per subscriber +– \(pull: nothing queued\) +– \(pull: nothing queued\) +256 KiB +256 KiB +256 KiB$/m);
    assert.match(text, /short-poll and long-poll: immune by construction\. The server queues nothing between polls/);
    assert.match(text, /ws, sse and fetch-stream: past the 256 KiB queue bound the server cut 2 slow consumers/);
  });

  it('no bound and a short retention: the streams queue everything (nothing cut or lost); a stopped poller loses what retention dropped', async () => {
    const { result, stdout } = await run(['compare', '--scenario', 'slow-consumer', '--profile', 'smoke', '--transports', 'long-poll,ws', '--max-queued-bytes', '0', '--retention', '100']);
    const [longPoll, ws] = result.transports;
    assert.ok(longPoll && ws, 'both transports ran');
    const lp = delivered(longPoll, 10);
    assert.ok(lp.published > 200, `${lp.published} events published`);
    // Both stopped pollers came back after more than retention's 100 events: each got one gap notice and lost the rest.
    assert.equal(longPoll.slowConsumer?.slowGaps, 2);
    assert.ok(lp.lost > 0 && lp.lost <= 2 * (lp.published - 100), `${lp.lost} lost of ${lp.published} published`);
    assert.equal(longPoll.slowConsumer?.cuts, 0);
    const w = delivered(ws, 10);
    assert.equal(w.lost, 0);
    assert.deepEqual([ws.slowConsumer?.maxQueuedBytes, ws.slowConsumer?.cuts, ws.slowConsumer?.cutClients, ws.slowConsumer?.slowGaps], [0, 0, 0, 0]);
    assert.match(stdout.replace(/\n +/g, ' '), /ws: no bound \(maxQueuedBytes 0\), so nothing was cut and the server held every event the slow clients had not read/);
  });
});
