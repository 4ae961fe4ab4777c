// Client side of the chat scenario: every client sends upstream on a fixed schedule and times its own messages
// coming back.
import { createClient } from '../../../clients/index.ts';
import { nowUs, type Client, type ClientOptions, type EventSink } from '../../../clients/client.ts';
import { LatencyRecorder } from '../../../clients/recorder.ts';
import type { Transport } from '../../../lib/transports.ts';
import { reply, type Behaviour, type BehaviourFactory, type ScenarioCommand, type ScenarioReply, type ScenarioReport, type TrackedSink, type ProcessScenario } from '../behaviour.ts';

/** Every client sends upstream on a fixed schedule; each sender times its own messages coming back. */
class ChatBehaviour implements Behaviour {
  private readonly roundTrip = new LatencyRecorder();
  private readonly senders: { index: number; client: Client }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private echoed = 0;

  constructor(
    private readonly s: { messagesPerClient: number; sendRatePerClient: number; payloadBytes: number; warmupMessages: number },
    private readonly clientTotal: number,
  ) {}

  client(transport: Transport, index: number, options: ClientOptions & { sink: TrackedSink }): Client {
    const base = options.sink;
    // data = "<sender>:<message index>:<scheduled send time µs>:<padding>"
    const prefix = `${index}:`;
    const sink: EventSink = {
      event: (seq, ts, now) => base.event(seq, ts, now),
      gap: () => base.gap(),
      data: (_seq, data, now) => {
        if (!data.startsWith(prefix)) return;
        const second = data.indexOf(':', prefix.length);
        const third = data.indexOf(':', second + 1);
        const j = Number(data.slice(prefix.length, second));
        const dueUs = Number(data.slice(second + 1, third));
        this.echoed++;
        if (j >= this.s.warmupMessages) this.roundTrip.record(now - dueUs);
      },
    };
    const client = createClient(transport, { ...options, sink });
    this.senders.push({ index, client });
    return client;
  }

  command(cmd: ScenarioCommand): Promise<ScenarioReply> {
    if (cmd.action !== 'send') return Promise.resolve(reply(cmd.action));
    const { messagesPerClient: m, sendRatePerClient: rate, payloadBytes } = this.s;
    const periodUs = 1e6 / rate;
    const senders = this.senders;
    const total = m * senders.length;
    let sent = 0;
    let failed = 0;
    let settled = 0;
    let j = 0;
    let k = 0;
    return new Promise<ScenarioReply>((resolve) => {
      const done = (): void => {
        if (++settled === total) resolve(reply('send', { sent, failed }));
      };
      const due = (jj: number, kk: number): number => cmd.startUs + Math.round((jj + (senders[kk] as { index: number }).index / this.clientTotal) * periodUs);
      // Open loop: every message goes out at its scheduled time (late ones at once, stamped with their schedule).
      const tick = (): void => {
        this.timer = undefined;
        const now = nowUs();
        while (j < m) {
          const dueUs = due(j, k);
          if (dueUs > now) break;
          const sender = senders[k] as { index: number; client: Client };
          let data = `${sender.index}:${j}:${dueUs}:`;
          if (data.length < payloadBytes) data += 'x'.repeat(payloadBytes - data.length);
          sent++;
          sender.client.send(data).then(done, () => {
            failed++;
            done();
          });
          if (++k === senders.length) {
            k = 0;
            j++;
          }
        }
        if (j < m) this.timer = setTimeout(tick, Math.max(0, (due(j, k) - nowUs()) / 1000));
      };
      if (total === 0) resolve(reply('send', { sent: 0, failed: 0 }));
      else tick();
    });
  }

  report(): ScenarioReport {
    return { histograms: { roundTrip: this.roundTrip.encode() }, counts: { echoed: this.echoed } };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Builds the chat behaviour of a client process. */
export const chatBehaviour: BehaviourFactory<Extract<ProcessScenario, { kind: 'chat' }>> = (s, clientTotal) => new ChatBehaviour(s, clientTotal);
