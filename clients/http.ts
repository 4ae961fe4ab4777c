// HTTP helpers shared by the HTTP transports' clients (undici).
import { Agent, request, type Dispatcher } from 'undici';

/** An undici Agent for one streaming client: its own connections, and no timeout on long-lived bodies. */
export function streamingAgent(): Agent {
  return new Agent({ bodyTimeout: 0, headersTimeout: 0 });
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
