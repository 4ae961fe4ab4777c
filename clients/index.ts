// The five clients behind one contract, by transport name.
import type { Transport } from '../lib/transports.ts';
import type { Client, ClientFactory, ClientOptions } from './client.ts';
import { createFetchStreamClient } from './fetch-stream.ts';
import { createLongPollClient } from './long-poll.ts';
import { createShortPollClient } from './short-poll.ts';
import { createSseClient } from './sse.ts';
import { createWsClient } from './ws.ts';

/** The client factory of each transport. */
export const CLIENTS: Record<Transport, ClientFactory> = {
  'short-poll': createShortPollClient,
  'long-poll': createLongPollClient,
  ws: createWsClient,
  sse: createSseClient,
  'fetch-stream': createFetchStreamClient,
};

/** Builds a (not yet connected) client of `transport`. */
export function createClient(transport: Transport, options: ClientOptions): Client {
  return CLIENTS[transport](options);
}
