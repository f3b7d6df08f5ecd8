import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCertificates } from '../../src/adapters/certs/write-certs.js';
import { postJson, reviewFixture } from '../adapters/http/support.js';
import { buildCliPackage } from './serve-build.js';

let pkg: string;
let certs: string;
let caPem: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [pkg, certs] = await Promise.all([buildCliPackage(), mkdtemp(join(tmpdir(), 'ztgate-serve-certs-'))]);
  await writeCertificates({
    out: certs,
    service: 'ztgate',
    namespace: 'ztgate-system',
    days: 90,
    ips: ['127.0.0.1'],
    dnsNames: [],
  });
  caPem = await readFile(join(certs, 'ca.crt'), 'utf8');
}, 180_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Started {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<number | null>;
}

function start(args: readonly string[]): Started {
  const child = spawn(process.execPath, [join(pkg, 'bin', 'ztgate.js'), ...args], {
    cwd: pkg,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function address(started: Started): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = started
      .stdout()
      .split('\n')
      .find((entry) => entry.includes('"msg":"ztgate serving"'));
    if (line !== undefined) return (JSON.parse(line) as { address: string }).address;
    if (started.child.exitCode !== null) throw new Error(`serve exited: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`serve did not start: ${started.stderr()}`);
}

const tlsArgs = (): string[] => ['--tls-cert', join(certs, 'tls.crt'), '--tls-key', join(certs, 'tls.key')];

describe('node bin/ztgate.js serve', () => {
  it('serves the state folder and exits 0 on SIGTERM', async () => {
    const started = start([
      'serve',
      '--state',
      'manifests/demo',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...tlsArgs(),
    ]);
    const url = await address(started);
    const body = await reviewFixture('storefront-deployment-review.json');
    const answer = await postJson(url, '/validate', body, caPem);
    expect(answer.json().response).toMatchObject({
      uid: body.request.uid,
      allowed: false,
      status: { code: 403 },
    });
    started.child.kill('SIGTERM');
    expect(await started.exit).toBe(0);
    expect(started.stdout()).toContain('"msg":"shutting down: finishing in-flight requests"');
    expect(started.stdout()).toContain('"msg":"admission decision"');
  });

  it.each([
    [
      'a bad config value',
      async (dir: string) => {
        await writeFile(join(dir, 'bad.yaml'), 'sidecar:\n  ports:\n    inbound: x\n');
        return ['--config', join(dir, 'bad.yaml')];
      },
      'sidecar.ports.inbound: expected an integer 1-65535, got "x"',
    ],
    [
      'both --state and --kubeconfig',
      async () => ['--state', 'manifests/demo', '--kubeconfig', '/nonexistent'],
      'use either --state or --kubeconfig',
    ],
    [
      'a missing certificate',
      async () => ['--state', 'manifests/demo', '--tls-cert', '/nonexistent/tls.crt'],
      'cannot read /nonexistent/tls.crt',
    ],
  ])('stops start-up with exit 2 on %s', async (_name, extra, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-serve-bad-'));
    const started = start(['serve', '--port', '0', ...tlsArgs(), ...(await extra(dir))]);
    expect(await started.exit).toBe(2);
    expect(started.stderr()).toContain(message);
  });
});
