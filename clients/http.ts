// HTTP helpers shared by the HTTP transports' clients (undici).
import { Agent, request, type Dispatcher } from 'undici';
import type { ClientOptions } from './client.ts';

/** undici connection options for a client's `ca` (the run's certificate trusted) and `http2` (ALPN h2 offered). */
export function undiciWire(options: Pick<ClientOptions, 'ca' | 'http2'>): { connect?: { ca: string }; allowH2?: boolean } {
  return { ...(options.ca === undefined ? {} : { connect: { ca: options.ca } }), ...(options.http2 === true ? { allowH2: true } : {}) };
}

/** An undici Agent for one streaming client: its own connections, and no timeout on long-lived bodies. */
export function streamingAgent(options: Pick<ClientOptions, 'ca' | 'http2'>): Agent {
  return new Agent({ bodyTimeout: 0, headersTimeout: 0, ...undiciWire(options) });
}

/** `POST /publish {"data":...}` through `dispatcher` (`keepAlive` false: `connection: close`); rejects unless the server answers 200. */
export async function publish(dispatcher: Dispatcher, baseUrl: string, data: string, keepAlive = true): Promise<void> {
  const res = await request(`${baseUrl}/publish`, {
    dispatcher,
    method: 'POST',
    reset: !keepAlive,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST /publish answered ${res.statusCode}: ${text.slice(0, 200)}`);
}

/** The origin of a base URL ("http://127.0.0.1:4321"), as undici's Client wants it. */
export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin;
}
