import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCertificates } from '../../../src/adapters/certs/write-certs.js';
import { tlsReloaderOf } from '../../../src/adapters/http/app.js';
import { h1, makeCerts, startApp } from './support.js';

const certOptions = {
  service: 'ztgate',
  namespace: 'ztgate-system',
  days: 90,
  ips: ['127.0.0.1'],
  dnsNames: [],
};

async function fingerprintOf(file: string): Promise<string> {
  return new X509Certificate(await readFile(file)).fingerprint256;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('certificate hot reload', () => {
  it('switches to a renewed pair under load without failing a request or dropping a connection', async () => {
    const certs = await makeCerts();
    const server = await startApp(certs, { tlsPollIntervalMs: 250 });
    const before = await fingerprintOf(certs.certFile);
    // One HTTP/2 connection held open across the swap: it must keep working.
    const session = h2connect(server.url, { ca: certs.caPem });
    const sessionErrors: Error[] = [];
    session.on('error', (error) => sessionErrors.push(error));
    const h2Get = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':path': '/healthz' });
        let status = 0;
        stream.on('response', (headers) => (status = Number(headers[':status'])));
        stream.on('data', () => {});
        stream.on('end', () => resolve(status));
        stream.on('error', reject);
      });
    const statuses: number[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const [fresh, held] = await Promise.all([h1(server.url, '/healthz', { ca: certs.caPem }), h2Get()]);
        statuses.push(fresh.status, held);
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writeCertificates({ ...certOptions, out: certs.dir });
      const after = await fingerprintOf(certs.certFile);
      expect(after).not.toBe(before);
      const served = await until(
        async () => (await h1(server.url, '/healthz', { ca: certs.caPem })).peerFingerprint === after,
        10_000,
      );
      expect(served).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      stop = true;
      await load;
      session.close();
      await server.app.close();
    }
    expect(statuses.length).toBeGreaterThan(4);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(sessionErrors).toEqual([]);
    expect(server.logLines().some((line) => line['msg'] === 'serving certificate reloaded')).toBe(true);
  });

  it('keeps the old pair when the new key does not match', async () => {
    const certs = await makeCerts();
    const other = await makeCerts();
    const server = await startApp(certs, { tlsPollIntervalMs: 60_000 });
    try {
      const before = await fingerprintOf(certs.certFile);
      await writeFile(certs.keyFile, await readFile(other.keyFile));
      await tlsReloaderOf(server.app)?.check();
      const answer = await h1(server.url, '/healthz', { ca: certs.caPem });
      expect(answer.status).toBe(200);
      expect(answer.peerFingerprint).toBe(before);
      const error = server
        .logLines()
        .find((line) => line['msg'] === 'serving certificate not reloaded; keeping the current one');
      expect(JSON.stringify(error)).toContain('the private key does not belong to the certificate');
    } finally {
      await server.app.close();
    }
  });

  it('follows a Kubernetes Secret volume update (the ..data symlink swap) through fs events', async () => {
    const source = await makeCerts();
    const volume = await mkdtemp(join(tmpdir(), 'ztgate-secret-volume-'));
    const publish = async (name: string): Promise<void> => {
      await mkdir(join(volume, name));
      for (const file of ['tls.crt', 'tls.key'])
        await writeFile(join(volume, name, file), await readFile(join(source.dir, file)));
      await symlink(name, join(volume, '..data_tmp'));
      await rename(join(volume, '..data_tmp'), join(volume, '..data'));
    };
    await publish('..2026_01_01_00_00_00.1');
    await symlink('..data/tls.crt', join(volume, 'tls.crt'));
    await symlink('..data/tls.key', join(volume, 'tls.key'));
    const certs = { ...source, certFile: join(volume, 'tls.crt'), keyFile: join(volume, 'tls.key') };
    // No poll during the test: only the directory watch can notice the swap.
    const server = await startApp(certs, { tlsPollIntervalMs: 600_000 });
    try {
      await writeCertificates({ ...certOptions, out: source.dir });
      const renewed = await fingerprintOf(join(source.dir, 'tls.crt'));
      await publish('..2026_01_02_00_00_00.2');
      const served = await until(
        async () => (await h1(server.url, '/healthz', { ca: certs.caPem })).peerFingerprint === renewed,
        10_000,
      );
      expect(served).toBe(true);
    } finally {
      await server.app.close();
    }
  });
});
