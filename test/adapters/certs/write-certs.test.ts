import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { replaceCaBundles, updateInstallManifests } from '../../../src/adapters/certs/install-manifests.js';
import { serviceDnsNames, writeCertificates, type CertsResult } from '../../../src/adapters/certs/write-certs.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ztgate-certs-'));
}

const base = { service: 'ztgate', namespace: 'ztgate-system', days: 365, ips: ['127.0.0.1'], dnsNames: ['localhost'] };

let out: string;
let result: CertsResult;

beforeAll(async () => {
  out = await tempDir();
  result = await writeCertificates({ ...base, out });
});

describe('writeCertificates', () => {
  it('writes a CA and a serving certificate whose chain and SANs verify', async () => {
    const ca = new X509Certificate(await readFile(join(out, 'ca.crt')));
    const leaf = new X509Certificate(await readFile(join(out, 'tls.crt')));
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(await readFile(join(out, 'tls.key'))))).toBe(true);
    expect(leaf.subjectAltName?.split(', ')).toEqual([
      'DNS:ztgate',
      'DNS:ztgate.ztgate-system',
      'DNS:ztgate.ztgate-system.svc',
      'DNS:ztgate.ztgate-system.svc.cluster.local',
      'DNS:localhost',
      'IP Address:127.0.0.1',
    ]);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('ztgate.ztgate-system.svc')).toBe('ztgate.ztgate-system.svc');
    expect(leaf.checkHost('evil.example')).toBeUndefined();
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const days = (Date.parse(leaf.validTo) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(365);
    expect(Buffer.from(result.caBundle, 'base64').toString('utf8')).toBe(await readFile(join(out, 'ca.crt'), 'utf8'));
  });

  it('writes the keys 0600 and the certificates 0644', async () => {
    const modes = await Promise.all(
      ['ca.key', 'tls.key', 'ca.crt', 'tls.crt'].map(async (file) => (await stat(join(out, file))).mode & 0o777),
    );
    expect(modes).toEqual([0o600, 0o600, 0o644, 0o644]);
  });

  it('reuses a CA with more than 30 days left, replaces it when forced or short-lived', async () => {
    const dir = await tempDir();
    const first = await writeCertificates({ ...base, out: dir });
    const second = await writeCertificates({ ...base, out: dir });
    expect(second.reusedCa).toBe(true);
    expect(second.ca.certPem).toBe(first.ca.certPem);
    expect(second.serving.certPem).not.toBe(first.serving.certPem);
    const leaf = new X509Certificate(second.serving.certPem);
    expect(leaf.verify(new X509Certificate(first.ca.certPem).publicKey)).toBe(true);

    const forced = await writeCertificates({ ...base, out: dir, forceCa: true });
    expect(forced.reusedCa).toBe(false);
    expect(forced.ca.certPem).not.toBe(first.ca.certPem);

    const short = await tempDir();
    await writeCertificates({ ...base, out: short, days: 10 });
    expect((await writeCertificates({ ...base, out: short })).reusedCa).toBe(false);
  });

  it('never issues a serving certificate that outlives its CA', async () => {
    const dir = await tempDir();
    const first = await writeCertificates({ ...base, out: dir, days: 40 });
    const second = await writeCertificates({ ...base, out: dir, days: 365 });
    expect(second.reusedCa).toBe(true);
    expect(new X509Certificate(second.serving.certPem).validTo).toBe(new X509Certificate(first.ca.certPem).validTo);
  });

  it.each([
    ['a bad IP', { ips: ['300.1.1.1'] }, '--ip 300.1.1.1 is not an IP address'],
    ['zero days', { days: 0 }, '--days must be a positive integer'],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(writeCertificates({ ...base, out: await tempDir(), ...overrides })).rejects.toThrow(message);
  });

  it('accepts a wildcard in the leftmost label of --dns', async () => {
    const dir = await tempDir();
    const written = await writeCertificates({ ...base, out: dir, ips: [], dnsNames: ['*.hooks.example'] });
    expect(new X509Certificate(written.serving.certPem).checkHost('a.hooks.example')).toBe('*.hooks.example');
  });

  it('refuses to reuse the CA an older `npm start` left in ./certs', async () => {
    const dir = await tempDir();
    const previous = process.cwd();
    process.chdir(dir);
    try {
      // The old demo's layout: production CA name, a leaf for the Service names plus localhost and 127.0.0.1.
      await writeCertificates({ ...base, out: 'certs' });
      await expect(writeCertificates({ ...base, out: 'certs', ips: [], dnsNames: [] })).rejects.toThrow(
        "certs/ca.crt is the demo's CA (npm start)",
      );
      // The same files elsewhere are somebody's own choice of names.
      await writeCertificates({ ...base, out: 'elsewhere' });
      expect((await writeCertificates({ ...base, out: 'elsewhere' })).reusedCa).toBe(true);
    } finally {
      process.chdir(previous);
    }
  });

  it('lists the service names', () => {
    expect(serviceDnsNames('a', 'b')).toEqual(['a', 'a.b', 'a.b.svc', 'a.b.svc.cluster.local']);
  });
});

describe('install manifests', () => {
  const webhooks = [
    '# webhooks',
    'webhooks:',
    '  - name: validate.ztgate.dev',
    '    clientConfig:',
    "      caBundle: ''",
    '      service: { name: ztgate }',
    '  - name: mutate.ztgate.dev',
    '    clientConfig:',
    '      caBundle: OLD # filled by ztgate certs',
    '',
  ].join('\n');

  it('replaces every caBundle value and keeps the rest', () => {
    const { text, count } = replaceCaBundles(webhooks, 'QUJD');
    expect(count).toBe(2);
    expect(text.split('\n')).toEqual([
      '# webhooks',
      'webhooks:',
      '  - name: validate.ztgate.dev',
      '    clientConfig:',
      '      caBundle: QUJD',
      '      service: { name: ztgate }',
      '  - name: mutate.ztgate.dev',
      '    clientConfig:',
      '      caBundle: QUJD # filled by ztgate certs',
      '',
    ]);
  });

  it('writes the TLS Secret and fills webhooks.yaml', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'webhooks.yaml'), webhooks);
    expect(await updateInstallManifests(dir, result, 'ztgate-system')).toEqual({
      secretFile: join(dir, 'tls-secret.yaml'),
      caBundles: 2,
    });
    const secret = parse(await readFile(join(dir, 'tls-secret.yaml'), 'utf8'));
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'ztgate-tls', namespace: 'ztgate-system' } });
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toBe(result.serving.certPem);
    expect(Buffer.from(secret.data['ca.crt'], 'base64').toString()).toBe(result.ca.certPem);
    expect(Buffer.from(secret.data['tls.key'], 'base64').toString()).toBe(result.serving.keyPem);
    const filled = parse(await readFile(join(dir, 'webhooks.yaml'), 'utf8'));
    expect(filled.webhooks.map((hook: { clientConfig: { caBundle: string } }) => hook.clientConfig.caBundle)).toEqual([
      result.caBundle,
      result.caBundle,
    ]);
  });
});
