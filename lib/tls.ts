// The TLS material of a run: one self-signed certificate (EC P-256, SHA-256, valid for 127.0.0.1 and localhost),
// generated in memory once per process that asks for it (the driver: once per run) and never written to disk.
// Servers get its key and certificate; clients trust the certificate itself as their only CA.

/** A server's key and certificate, PEM; the certificate is also the CA its clients trust. */
export interface TlsMaterial {
  key: string;
  cert: string;
}

/** How a run's transports travel: plain HTTP/1.1, HTTP/1.1 over TLS, or HTTP/2 over TLS (ALPN h2, WebSocket on HTTP/1.1). */
export interface WireMode {
  tls: boolean;
  http2: boolean;
}

/** Generates a fresh self-signed certificate for 127.0.0.1 and localhost, valid for two days. */
export async function generateCertificate(): Promise<TlsMaterial> {
  // Loaded here, not at the top: a server process imports this module and must not carry the generator.
  const { generate } = await import('selfsigned');
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 2 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** The environment variable that hands a server process its TLS key and certificate (kept out of its argv, which `ps` shows). */
export const TLS_ENV = 'RTBENCH_TLS';

let runCertificate: Promise<TlsMaterial> | undefined;

/** The certificate of this run: generated on first use, the same one for every server after. */
export function certificateOfRun(): Promise<TlsMaterial> {
  runCertificate ??= generateCertificate();
  return runCertificate;
}

/** "over TLS 1.3, HTTP/2" / "over TLS 1.3" / "" : how a report's header names the wire mode (`tlsVersion` as negotiated). */
export function wireModeLabel(mode: Partial<WireMode> & { tlsVersion?: string }): string {
  if (mode.tls !== true && mode.http2 !== true) return '';
  const version = mode.tlsVersion?.replace(/^TLSv/, 'TLS ') ?? 'TLS';
  return mode.http2 === true ? `over ${version}, HTTP/2` : `over ${version}`;
}

/** Bytes of an HTTP/2 frame header (RFC 9113 §4.1): every DATA frame carries one. */
export const HTTP2_FRAME_HEADER_BYTES = 9;

/** What a TLS record adds to its plaintext, bytes: header, explicit nonce (TLS 1.2 AES-GCM), inner content type (TLS 1.3) and AEAD tag. */
export interface TlsRecordOverhead {
  headerBytes: number;
  nonceBytes: number;
  contentTypeBytes: number;
  tagBytes: number;
}

/**
 * What a TLS record adds to its plaintext: the 5-byte record header and the AEAD tag (16 bytes for AES-GCM and
 * ChaCha20-Poly1305), plus TLS 1.3's inner content-type byte, or TLS 1.2 AES-GCM's 8-byte explicit nonce;
 * undefined for a version or cipher without that formula. `protocol` and `cipher` as node reports them.
 */
export function tlsRecordOverhead(protocol: string, cipher: string): TlsRecordOverhead | undefined {
  if (!/GCM|CHACHA20/.test(cipher)) return undefined;
  if (protocol === 'TLSv1.3') return { headerBytes: 5, nonceBytes: 0, contentTypeBytes: 1, tagBytes: 16 };
  if (protocol === 'TLSv1.2') return { headerBytes: 5, nonceBytes: cipher.includes('GCM') ? 8 : 0, contentTypeBytes: 0, tagBytes: 16 };
  return undefined;
}

/** The sum of tlsRecordOverhead's parts, bytes; undefined without a formula. */
export function tlsRecordOverheadBytes(protocol: string, cipher: string): number | undefined {
  const o = tlsRecordOverhead(protocol, cipher);
  return o === undefined ? undefined : o.headerBytes + o.nonceBytes + o.contentTypeBytes + o.tagBytes;
}
