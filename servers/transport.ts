// The contract between the shared HTTP server and each transport module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hub } from './hub.ts';
import type { ServerOptions } from './options.ts';
import type { SlowConsumerPolicy } from './slow-consumer.ts';
import type { HeldPolls } from './long-poll.ts';

/** What a transport module gets: the hub, the server's options, its slow-consumer policy and its held-poll count. */
export interface TransportContext {
  hub: Hub;
  options: ServerOptions;
  slow: SlowConsumerPolicy;
  /** The long polls held server-wide (the shared stream's and every private stream's). */
  held: HeldPolls;
}

/** One transport's endpoint on the shared server. */
export interface TransportHandler {
  /** The path it serves, e.g. "/sse". */
  readonly path: string;
  /** The methods `request` takes (default GET only; Socket.IO's polling also POSTs). */
  readonly methods?: readonly string[];
  /** Handles a request to `path` with one of `methods`; `url` is already parsed. */
  request(req: IncomingMessage, res: ServerResponse, url: URL): void;
  /** Handles an Upgrade request to `path` (WebSocket and Socket.IO only). */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  /** Subscribers currently attached. */
  subscribers(): number;
  /** Ends every subscription. */
  close(): void;
}

/** Builds a transport's handler. */
export type TransportModule = (ctx: TransportContext) => TransportHandler;
