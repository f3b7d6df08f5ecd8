import { mkdtemp, readFile } from 'node:fs/promises';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createLogger } from '../../../src/adapters/audit/logger.js';
import { writeCertificates } from '../../../src/adapters/certs/write-certs.js';
import { buildApp, type AdmissionServer, type BuildAppOptions } from '../../../src/adapters/http/app.js';
import type { ViewSource } from '../../../src/adapters/view-source.js';
import { createStateDirSource } from '../../../src/adapters/state-dir-source.js';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import type { ClusterView } from '../../../src/policy/types.js';

/** A certificate set in a temp folder (CA, serving cert for 127.0.0.1/localhost). */
export interface TestCerts {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

/** Generates certificates into a fresh temp folder. */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(join(tmpdir(), 'ztgate-http-'));
  await writeCertificates({
    out: dir,
    service: 'ztgate',
    namespace: 'ztgate-system',
    days: 90,
    ips: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });
  return {
    dir,
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    caPem: await readFile(join(dir, 'ca.crt'), 'utf8'),
  };
}

/** A ViewSource over a fixed view; `ready` false means not synced (current() undefined). */
export function fixedSource(view: ClusterView | undefined, extra: Partial<ViewSource> = {}): ViewSource {
  return {
    current: () => view,
    isReady: () => view !== undefined,
    notReadyReason: () => 'cluster view not synced yet',
    start: async () => {},
    close: async () => {},
    ...extra,
  };
}

/** A placeholder view for tests that replace the engine. */
export const EMPTY_VIEW = { revision: 7 } as unknown as ClusterView;

/** A started server with its captured log lines. */
export interface Running {
  readonly app: AdmissionServer;
  readonly url: string;
  readonly logLines: () => Record<string, unknown>[];
  readonly rawLog: () => string;
}

/** Builds and starts the app on 127.0.0.1 with an ephemeral port, capturing the log. */
export async function startApp(certs: TestCerts, options: Partial<BuildAppOptions> = {}): Promise<Running> {
  const chunks: string[] = [];
  const logger = createLogger({ destination: { write: (chunk: string) => void chunks.push(chunk) } });
  const app = await buildApp({
    viewSource: fixedSource(EMPTY_VIEW),
    config: DEFAULT_CONFIG,
    tls: { certFile: certs.certFile, keyFile: certs.keyFile },
    logger,
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const rawLog = (): string => chunks.join('');
  const logLines = (): Record<string, unknown>[] =>
    rawLog()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { app, url: `https://127.0.0.1:${port}`, logLines, rawLog };
}

/** The app over the real engine and the shipped demo state: what `npm start` serves. */
export async function startDemoApp(
  certs: TestCerts,
  config: ZtgateConfig = DEFAULT_CONFIG,
): Promise<Running> {
  const viewSource = createStateDirSource({ dir: 'manifests/demo', config });
  await viewSource.start();
  return startApp(certs, { viewSource, config });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field.
type Json = any;

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: () => Json;
  readonly headers: Record<string, unknown>;
  readonly alpn: string | false | null | undefined;
  readonly peerFingerprint?: string;
}

/** One HTTP/1.1 request over TLS (node:https), trusting only the given CA. */
export function h1(
  url: string,
  path: string,
  options: { method?: string; body?: string | Buffer; contentType?: string | null; ca: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    const request = httpsRequest(
      `${url}${path}`,
      {
        method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
        ca: options.ca,
        headers,
        agent: false,
        // Offer only HTTP/1.1 so the test proves the server still speaks it (ALPN fallback).
        ALPNProtocols: ['http/1.1'],
      } as RequestOptions & { ALPNProtocols: string[] },
      (response) => {
        const socket = response.socket as TLSSocket;
        const alpn = socket.alpnProtocol;
        const peerFingerprint = socket.getPeerCertificate().fingerprint256;
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            text,
            json: () => JSON.parse(text),
            headers: response.headers,
            alpn,
            peerFingerprint,
          });
        });
      },
    );
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

/** POSTs a JSON value to a path over HTTP/1.1. */
export function postJson(url: string, path: string, body: unknown, ca: string): Promise<Answer> {
  return h1(url, path, { body: JSON.stringify(body), ca });
}

/** One request over HTTP/2 (node:http2, ALPN h2). */
export function h2(url: string, path: string, options: { body?: string; ca: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = h2connect(url, { ca: options.ca });
    session.on('error', reject);
    const stream = session.request({
      ':method': options.body === undefined ? 'GET' : 'POST',
      ':path': path,
      'content-type': 'application/json',
    });
    const parts: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    stream.on('response', (received) => (headers = received));
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status: Number(headers[':status']), text, json: () => JSON.parse(text), headers, alpn });
    });
    stream.on('error', reject);
    if (options.body !== undefined) stream.write(options.body);
    stream.end();
  });
}

/** Reads a JSON fixture from test/fixtures/admission. */
export async function reviewFixture(name: string): Promise<Json> {
  return JSON.parse(await readFile(new URL(`../../fixtures/admission/${name}`, import.meta.url), 'utf8'));
}
