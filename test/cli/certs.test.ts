import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureDemoCertificates } from '../../src/adapters/certs/demo-certs.js';
import { main } from '../../src/cli/main.js';

function capture(): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  return { stdout: () => out, stderr: () => err };
}

afterEach(() => vi.restoreAllMocks());

const WEBHOOKS = "webhooks:\n  - name: validate.ztgate.dev\n    clientConfig:\n      caBundle: ''\n";

describe('ztgate certs', () => {
  it('writes the files, fills the manifests and prints only the caBundle on stdout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-certs-cli-'));
    const manifests = join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(join(manifests, 'webhooks.yaml'), WEBHOOKS);
    const io = capture();
    const code = await main([
      'node',
      'ztgate',
      'certs',
      '--out',
      join(dir, 'certs'),
      '--service',
      'hook',
      '--namespace',
      'sec',
      '--days',
      '30',
      '--ip',
      '127.0.0.1',
      '--ip',
      '10.0.0.1',
      '--dns',
      'hook.example',
      '--manifests',
      manifests,
    ]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const ca = await readFile(join(dir, 'certs', 'ca.crt'), 'utf8');
    expect(io.stdout()).toBe(`${Buffer.from(ca).toString('base64')}\n`);
    const leaf = new X509Certificate(await readFile(join(dir, 'certs', 'tls.crt')));
    expect(leaf.subjectAltName).toBe(
      'DNS:hook, DNS:hook.sec, DNS:hook.sec.svc, DNS:hook.sec.svc.cluster.local, DNS:hook.example, IP Address:127.0.0.1, IP Address:10.0.0.1',
    );
    expect(await readFile(join(manifests, 'webhooks.yaml'), 'utf8')).toBe(
      WEBHOOKS.replace("caBundle: ''", `caBundle: ${Buffer.from(ca).toString('base64')}`),
    );
    expect(await readFile(join(manifests, 'tls-secret.yaml'), 'utf8')).toContain('type: kubernetes.io/tls');
    expect(io.stderr()).toContain('filled 1 caBundle value(s)');
  });

  it('keeps a CA with time left and says so', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ztgate-certs-cli-'));
    capture();
    await main(['node', 'ztgate', 'certs', '--out', out, '--no-manifests']);
    const ca = await readFile(join(out, 'ca.crt'), 'utf8');
    vi.restoreAllMocks();
    const io = capture();
    expect(await main(['node', 'ztgate', 'certs', '--out', out, '--no-manifests'])).toBe(0);
    expect(io.stderr()).toContain('kept the CA');
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).toBe(ca);
  });

  it.each([
    ['a bad --days', ['--days', 'soon'], 'certs: --days must be a positive integer, got soon'],
    ['a bad --ip', ['--ip', 'localhost'], 'certs: --ip localhost is not an IP address'],
    ['an IP as --dns', ['--dns', '10.0.0.1'], 'certs: --dns "10.0.0.1" is an IP address (use --ip)'],
    [
      'a URL as --dns',
      ['--dns', 'https://hook.example'],
      'certs: --dns "https://hook.example" is not a DNS name',
    ],
    ['an empty label in --dns', ['--dns', 'hook..example'], 'certs: --dns "hook..example" is not a DNS name'],
    [
      'a wildcard inside --dns',
      ['--dns', 'hook.*.example'],
      'certs: --dns "hook.*.example" is not a DNS name',
    ],
    ['a space in --dns', ['--dns', 'hook example'], 'certs: --dns "hook example" is not a DNS name'],
    [
      'an underscore in --dns',
      ['--dns', 'hook_1.example'],
      'certs: --dns "hook_1.example" is not a DNS name',
    ],
    [
      'a dotted --service',
      ['--service', 'ztgate.svc'],
      'certs: --service "ztgate.svc" is not a DNS-1123 label',
    ],
    ['an uppercase --namespace', ['--namespace', 'Sec'], 'certs: --namespace "Sec" is not a DNS-1123 label'],
  ])('exits 2 on %s', async (_name, args, message) => {
    const out = await mkdtemp(join(tmpdir(), 'ztgate-certs-cli-'));
    const io = capture();
    expect(await main(['node', 'ztgate', 'certs', '--out', out, '--no-manifests', ...args])).toBe(2);
    expect(io.stderr()).toContain(message);
  });

  it('leaves the manifests of the folder it runs in alone unless --manifests names them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-certs-cli-'));
    await mkdir(join(dir, 'manifests'));
    await writeFile(join(dir, 'manifests', 'kustomization.yaml'), 'resources: [webhooks.yaml]\n');
    await writeFile(join(dir, 'manifests', 'webhooks.yaml'), WEBHOOKS);
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const io = capture();
      expect(await main(['node', 'ztgate', 'certs'])).toBe(0);
      vi.restoreAllMocks();
      expect(await readFile(join(dir, 'manifests', 'webhooks.yaml'), 'utf8')).toBe(WEBHOOKS);
      expect(await readdir(join(dir, 'manifests'))).toEqual(['kustomization.yaml', 'webhooks.yaml']);
      expect(io.stderr()).toContain(
        'left manifests/ untouched; --manifests manifests/ writes tls-secret.yaml and the caBundle into it',
      );
      const bundle = io.stdout().trim();
      expect(await readFile(join(dir, 'certs', 'ca.crt'), 'utf8')).toBe(
        Buffer.from(bundle, 'base64').toString(),
      );
      const opted = capture();
      expect(await main(['node', 'ztgate', 'certs', '--manifests', 'manifests'])).toBe(0);
      vi.restoreAllMocks();
      expect(await readFile(join(dir, 'manifests', 'webhooks.yaml'), 'utf8')).toContain(
        `caBundle: ${opted.stdout().trim()}`,
      );
    } finally {
      process.chdir(previous);
    }
  });

  it('refuses to build production certificates on the demo CA', async () => {
    const demo = await mkdtemp(join(tmpdir(), 'ztgate-certs-demo-'));
    await ensureDemoCertificates(demo);
    const ca = await readFile(join(demo, 'ca.crt'), 'utf8');
    for (const extra of [[], ['--force-ca']]) {
      const io = capture();
      expect(await main(['node', 'ztgate', 'certs', '--out', demo, ...extra])).toBe(2);
      vi.restoreAllMocks();
      expect(io.stderr()).toContain(`ztgate: certs: ${join(demo, 'ca.crt')} is the demo's CA (npm start)`);
      expect(await readFile(join(demo, 'ca.crt'), 'utf8')).toBe(ca);
    }
  });
});
