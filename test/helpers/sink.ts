// An EventSink for tests: records the seqs a client receives and counts its gap notices.
import type { EventSink } from '../../clients/client.ts';

/** Records what a subscriber receives: every seq, in order, and how many gap notices came. */
export class Collect implements EventSink {
  seqs: number[] = [];
  gaps = 0;
  event(seq: number): void {
    this.seqs.push(seq);
  }
  gap(): void {
    this.gaps++;
  }
}
