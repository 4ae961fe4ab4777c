// The wire contract over TLS (https, wss) and over HTTP/2 (ALPN h2; WebSocket on HTTP/1.1 over TLS), every
// transport, with one certificate made for the file as the run makes one for a run; plus what only TLS adds:
// the certificate itself, and clients that do not trust it refused.
import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { connect as http2Connect } from 'node:http2';
import { certificateOfRun, type TlsMaterial } from '../lib/tls.ts';
import { startServer } from '../servers/server.ts';
import { createClient } from '../clients/index.ts';
import { Collect } from './helpers/sink.ts';
import { contractSuite } from './helpers/contract.ts';

let material: TlsMaterial | undefined;
before(async () => {
  material = await certificateOfRun();
});

contractSuite('tls', () => material);
contractSuite('h2', () => material);

it('tls: the run certificate is EC P-256 for 127.0.0.1 and localhost, and one per run', async () => {
  assert.equal(await certificateOfRun(), material, 'the same material on every call');
  const cert = new X509Certificate(material?.cert ?? '');
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.subject, 'CN=127.0.0.1');
});

/** The ALPN protocol a TLS server picks when a client offers h2 and http/1.1. */
function alpnOf(port: number): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: material?.cert, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(socket.alpnProtocol);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

it('h2: the server picks h2 when offered, and counts connections per ALPN protocol', async () => {
  const server = await startServer({ transport: 'ws', tls: material, http2: true });
  try {
    assert.equal(await alpnOf(server.port), 'h2');
    // One HTTP/2 session, answered (so the server has seen its handshake), and one WebSocket. The session asks for
    // a path that is not rtbench's control (/healthz, /time and /stats connections are counted nowhere).
    const session = http2Connect(server.url, { ca: material?.cert });
    const status = await new Promise<unknown>((resolve, reject) => {
      const stream = session.request({ ':path': '/no-such-endpoint' });
      stream.once('response', (h) => resolve(h[':status']));
      stream.once('error', reject);
      stream.resume();
      stream.end();
    });
    session.destroy();
    assert.equal(status, 404);
    const ws = createClient('ws', { baseUrl: server.url, sink: new Collect(), ca: material?.cert, http2: true });
    await ws.connect();
    await ws.close();
    const tls = server.stats.snapshot().tls;
    // The probe above may close before the server completes its side of the handshake: at least the session's h2.
    assert.equal(tls?.alpn.none, 1, 'the ws client offers no ALPN and speaks HTTP/1.1');
    assert.ok((tls?.alpn.h2 ?? 0) >= 1);
    assert.equal(tls?.protocol, 'TLSv1.3');
  } finally {
    await server.close();
  }
});

it('tls: a client that does not trust the run certificate is refused, and the server goes on', async () => {
  const server = await startServer({ transport: 'sse', tls: material });
  try {
    const untrusting = createClient('sse', { baseUrl: server.url, sink: new Collect() });
    await assert.rejects(untrusting.connect(), /self-signed certificate/);
    assert.equal(await alpnOf(server.port), 'http/1.1', 'an HTTP/1.1 TLS server picks http/1.1 over h2');
  } finally {
    await server.close();
  }
});
