// --tls and --http2 through the whole pipeline: the options (HTTP/2 implies TLS, and refuses --no-keep-alive), the
// run's certificate handed to every server and trusted by every client process, exactly every event delivered,
// and the result saying what was negotiated. Short runs on real processes; no figure of the machine is asserted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FANOUT, type OptionsOf } from '../lib/options.ts';
import type { TransportResult } from '../lib/result.ts';
import { loadBuiltin, resolveOptions } from '../scenarios/load.ts';
import { runFanout } from '../driver/scenarios/fanout/run.ts';
import { settingsLine } from '../reports/metrics.ts';

describe('tls options', () => {
  it('--http2 implies --tls, and is refused with --no-keep-alive', () => {
    const o = resolveOptions(loadBuiltin('fanout'), 'smoke', { http2: true });
    assert.equal(o.http2, true);
    assert.equal(o.tls, true);
    assert.equal(resolveOptions(loadBuiltin('fanout'), 'smoke').tls, false);
    assert.throws(() => resolveOptions(loadBuiltin('fanout'), 'smoke', { http2: true, keepAlive: false }), /--http2 cannot be combined with --no-keep-alive/);
    assert.throws(() => resolveOptions(loadBuiltin('poll-ceiling'), 'smoke', { tls: true }), /--tls does not apply to poll-ceiling/);
  });
});

describe('a fan-out over TLS and over HTTP/2', { timeout: 120_000 }, () => {
  const fanout = (o: Partial<OptionsOf<'fanout'>>): OptionsOf<'fanout'> => ({
    ...DEFAULT_FANOUT,
    clients: 3,
    rate: 50,
    warmupMs: 0,
    durationMs: 1000,
    drainMs: 3000,
    pollIntervalMs: 100,
    ...o,
  });

  for (const mode of [{ tls: true, http2: false }, { tls: true, http2: true }]) {
    it(`${mode.http2 ? 'HTTP/2' : 'TLS'}: every client gets every event, and the result records the wire`, async () => {
      const r = await runFanout(fanout({ ...mode, transports: ['short-poll', 'ws', 'sse'] }));
      assert.equal(r.options.tls, true);
      assert.equal(r.options.http2, mode.http2);
      for (const t of r.transports as TransportResult[]) {
        assert.equal(t.status, 'ok', `${t.transport}: ${t.error ?? ''}`);
        assert.equal(t.delivery?.lost, 0, t.transport);
        assert.equal(t.delivery?.deliveredEvents, (t.delivery?.publishedEvents ?? -1) * 3, t.transport);
        assert.equal(t.wire?.tls?.protocol, 'TLSv1.3', t.transport);
        // The three subscribers' connections (rtbench's own control connections, the probe's and the clock sync's,
        // are not the transport's: counted nowhere); node's https and ws clients offer no ALPN, undici offers
        // http/1.1 (and h2 under --http2), and ws stays on HTTP/1.1 under --http2.
        const poll = mode.http2 ? 'h2' : 'http/1.1';
        const expected = t.transport === 'short-poll' ? { [poll]: 3 } : t.transport === 'ws' || !mode.http2 ? { none: 3 } : { h2: 3 };
        assert.deepEqual(t.wire?.tls?.alpn, expected, t.transport);
      }
      assert.match(settingsLine(r), mode.http2 ? /over TLS 1\.3, HTTP\/2 \(ws: HTTP\/1\.1\)/ : /over TLS 1\.3(?!,)/);
    });
  }
});
