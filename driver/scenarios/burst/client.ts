// Client side of the burst scenario: per client and burst, when did the client have every event of the burst.
import { createClient } from '../../../clients/index.ts';
import type { Client, ClientOptions, EventSink } from '../../../clients/client.ts';
import { LatencyRecorder } from '../../../clients/recorder.ts';
import type { Transport } from '../../../lib/transports.ts';
import { firstDelivery, reply, type Behaviour, type BehaviourFactory, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink, type ProcessScenario } from '../behaviour.ts';

/** Per client and burst: when did the client have every event of the burst (last delivery - burst's first ts). */
class BurstBehaviour implements Behaviour {
  private readonly complete = new LatencyRecorder();
  private completed = 0;

  constructor(
    private readonly bursts: number,
    private readonly perBurst: number,
  ) {}

  client(transport: Transport, _index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    const counts = new Uint32Array(this.bursts);
    const startTs = new Float64Array(this.bursts).fill(Infinity);
    const sink: EventSink = {
      event: (seq, ts, now) => {
        if (!firstDelivery(base, seq, ts, now)) return;
        const b = Math.floor((seq - 1) / this.perBurst);
        if (b < 0 || b >= this.bursts) return;
        if (ts < (startTs[b] as number)) startTs[b] = ts;
        counts[b] = (counts[b] as number) + 1;
        if (counts[b] === this.perBurst) {
          this.complete.record(now - (startTs[b] as number));
          this.completed++;
        }
      },
      gap: () => base.gap(),
    };
    return createClient(transport, { ...options, sink });
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    return Promise.resolve(reply(cmd.action));
  }

  report(): ScenarioReport {
    return { histograms: { complete: this.complete.encode() }, counts: { completed: this.completed } };
  }

  stop(): void {}
}

/** Builds the burst behaviour of a client process. */
export const burstBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'burst' }>> = (s) => new BurstBehaviour(s.bursts, s.eventsPerBurst);
