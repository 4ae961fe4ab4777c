// Client side of the stream scenario: every client opens its own token stream; time to first token, between
// tokens and in total.
import { createClient } from '../../../clients/index.ts';
import { nowUs, type Client, type ClientOptions, type EventSink } from '../../../clients/client.ts';
import { LatencyRecorder } from '../../../clients/recorder.ts';
import type { Transport } from '../../../lib/transports.ts';
import { firstDelivery, reply, type Behaviour, type BehaviourFactory, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink, type ProcessScenario } from '../behaviour.ts';

/** Tokens of the warm-up stream. */
const WARM_UP_TOKENS = 2;
/** Longest wait for the warm-up stream, ms. */
const WARM_UP_TIMEOUT_MS = 10_000;

/** Each client its own stream (`?stream=ID&tokens=T&interval=MS&bytes=B`): first token, inter-token, total time. */
class StreamBehaviour implements Behaviour {
  private readonly firstToken = new LatencyRecorder();
  private readonly interToken = new LatencyRecorder();
  private readonly total = new LatencyRecorder();
  /** The first token of the process's warm-up stream: its first connection's cost (cold), µs. */
  private readonly firstTokenCold = new LatencyRecorder();
  private completed = 0;

  constructor(private readonly s: { tokens: number; tokenIntervalMs: number; tokenBytes: number }) {}

  /**
   * Opens one short stream (2 tokens) before the measured ones and waits for it (at most WARM_UP_TIMEOUT_MS):
   * the process's first connection pays for loading and compiling the client path, which is not the
   * transport's cost. Its first-token time is kept apart, as the cold figure.
   */
  async warmUp(transport: Transport, options: Omit<ClientOptions, 'sink'>): Promise<void> {
    let startUs = 0;
    let got = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const sink: EventSink = {
      event: (_seq, _ts, now) => {
        if (++got === 1) this.firstTokenCold.record(now - startUs);
        if (got === WARM_UP_TOKENS) finished();
      },
      gap: () => undefined,
    };
    const query = `stream=warm-${process.pid}&tokens=${WARM_UP_TOKENS}&interval=${this.s.tokenIntervalMs}&bytes=${this.s.tokenBytes}`;
    const client = createClient(transport, { ...options, after: 0, sink, query, onError: () => finished() });
    startUs = nowUs();
    let timer: NodeJS.Timeout | undefined;
    try {
      await client.connect();
      await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, WARM_UP_TIMEOUT_MS)))]);
    } finally {
      if (timer) clearTimeout(timer);
      await client.close();
    }
  }

  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    let startUs = 0;
    let lastUs = 0;
    let count = 0;
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!firstDelivery(base, seq, ts, now)) return;
        count++;
        if (count === 1) this.firstToken.record(now - startUs);
        else this.interToken.record(now - lastUs);
        lastUs = now;
        if (count === this.s.tokens) {
          this.total.record(now - startUs);
          this.completed++;
        }
      },
      gap: () => base.gap(),
    };
    // Streams are named by process and index, so no two clients share one.
    const query = `stream=${process.pid}-${index}&tokens=${this.s.tokens}&interval=${this.s.tokenIntervalMs}&bytes=${this.s.tokenBytes}`;
    const inner = createClient(transport, { ...options, after: 0, sink, query });
    return {
      transport: inner.transport,
      connect: () => {
        startUs = nowUs();
        return inner.connect();
      },
      send: (data) => inner.send(data),
      close: () => inner.close(),
      get lastSeq() {
        return inner.lastSeq;
      },
    };
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    return Promise.resolve(reply(cmd.action));
  }

  report(): ScenarioReport {
    return {
      histograms: { firstToken: this.firstToken.encode(), interToken: this.interToken.encode(), total: this.total.encode(), firstTokenCold: this.firstTokenCold.encode() },
      counts: { completed: this.completed },
    };
  }

  stop(): void {}
}

/** Builds the stream behaviour of a client process. */
export const streamBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'stream' }>> = (s) => new StreamBehaviour(s);
