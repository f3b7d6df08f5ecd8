import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEMO_CERTS_DIR,
  demoCertificateProblem,
  ensureDemoCertificates,
} from '../../../src/adapters/certs/demo-certs.js';
import { DEMO_CA_NAME, writeCertificates } from '../../../src/adapters/certs/write-certs.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ztgate-demo-certs-'));
}

const demoBase = {
  service: 'ztgate',
  namespace: 'ztgate-system',
  days: 365,
  ips: ['127.0.0.1'],
  dnsNames: ['localhost'],
  purpose: 'demo',
} as const;

describe('ensureDemoCertificates', () => {
  it('keeps its own folder, apart from the production default certs/', () => {
    expect(DEMO_CERTS_DIR).toBe(join('certs', 'demo'));
  });

  it('generates a demo CA and a certificate for 127.0.0.1 and localhost, then keeps them', async () => {
    const dir = await tempDir();
    const first = await ensureDemoCertificates(dir);
    expect(first.regenerated).toBe('no certificates yet');
    const ca = new X509Certificate(await readFile(first.caFile));
    const leaf = new X509Certificate(await readFile(first.certFile));
    expect(ca.subject).toBe(`CN=${DEMO_CA_NAME}`);
    expect([leaf.checkIP('127.0.0.1'), leaf.checkHost('localhost')]).toEqual(['127.0.0.1', 'localhost']);
    expect(leaf.verify(ca.publicKey)).toBe(true);

    const again = await ensureDemoCertificates(dir);
    expect(again.regenerated).toBeUndefined();
    expect(new X509Certificate(await readFile(again.certFile)).fingerprint256).toBe(leaf.fingerprint256);
  });

  it.each([
    [
      'a certificate without 127.0.0.1 (as `ztgate certs --out` once wrote over it)',
      (dir: string) => writeCertificates({ ...demoBase, out: dir, ips: [], dnsNames: [] }),
      'tls.crt does not name 127.0.0.1 and localhost',
    ],
    [
      'a certificate about to expire',
      (dir: string) => writeCertificates({ ...demoBase, out: dir, days: 1 }),
      'tls.crt expired or expires within a day',
    ],
    [
      'a certificate and key of another demo CA',
      async (dir: string) => {
        const other = await tempDir();
        await ensureDemoCertificates(other);
        await copyFile(join(other, 'tls.crt'), join(dir, 'tls.crt'));
        await copyFile(join(other, 'tls.key'), join(dir, 'tls.key'));
      },
      'tls.crt is not signed by the demo CA',
    ],
    [
      'a key that does not belong to the certificate',
      async (dir: string) => {
        const other = await tempDir();
        await copyFile(join(dir, 'ca.crt'), join(other, 'ca.crt'));
        await copyFile(join(dir, 'ca.key'), join(other, 'ca.key'));
        await writeCertificates({ ...demoBase, out: other });
        await copyFile(join(other, 'tls.key'), join(dir, 'tls.key'));
      },
      'tls.key does not belong to tls.crt',
    ],
    [
      'a truncated certificate',
      (dir: string) => writeFile(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n'),
      'a certificate does not parse',
    ],
  ])('regenerates %s', async (_name, spoil, reason) => {
    const dir = await tempDir();
    await ensureDemoCertificates(dir);
    await spoil(dir);
    const result = await ensureDemoCertificates(dir);
    expect(result.regenerated).toContain(reason);
    expect(await demoCertificateProblem(result)).toBeUndefined();
  });

  it('finds an expired demo certificate', async () => {
    const dir = await tempDir();
    const files = await ensureDemoCertificates(dir);
    const later = Date.now() + 400 * 86_400_000;
    expect(await demoCertificateProblem(files, later)).toMatch(/^ca.crt expired or expires within a day/);
  });

  it('refuses a folder whose CA is not the demo one instead of overwriting its key', async () => {
    const dir = await tempDir();
    await writeCertificates({ ...demoBase, purpose: 'production', out: dir });
    const key = await readFile(join(dir, 'ca.key'), 'utf8');
    await expect(ensureDemoCertificates(dir)).rejects.toThrow(
      `${join(dir, 'ca.crt')} is not the demo CA (CN=ztgate-ca); the demo keeps its own folder`,
    );
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toBe(key);
  });
});
