// Messages between the driver (parent) and a server or client process (child), over Node's IPC channel.
import type { StatsSnapshot } from './stats.ts';
import type { PublishPlan } from './publisher.ts';

/** Parent -> server process. */
export type ServerRequest =
  | { type: 'publish'; id: number; plan: PublishPlan }
  | { type: 'stop-publisher'; id: number }
  | { type: 'stats'; id: number; reset?: boolean; gc?: boolean };

/** Server process -> parent. */
export type ServerReply =
  | { type: 'ready'; port: number; pid: number }
  | { type: 'failed'; error: string }
  | { type: 'published'; id: number; lastSeq: number }
  | { type: 'stats'; id: number; stats: StatsSnapshot }
  | { type: 'error'; id: number; error: string };
