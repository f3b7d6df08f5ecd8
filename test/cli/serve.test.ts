import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCertificates } from '../../src/adapters/certs/write-certs.js';
import { h1, postJson, reviewFixture } from '../adapters/http/support.js';
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

function start(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(process.execPath, [join(pkg, 'bin', 'ztgate.js'), ...args], {
    cwd: pkg,
    env,
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

/** The first log line with this message, waited for up to 30 s. */
async function logLine(started: Started, message: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = started
      .stdout()
      .split('\n')
      .find((entry) => entry.includes(`"msg":${JSON.stringify(message)}`));
    if (line !== undefined) return line;
    if (started.child.exitCode !== null) throw new Error(`serve exited: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`serve logged no "${message}": ${started.stderr()}`);
}

async function address(started: Started): Promise<string> {
  return (JSON.parse(await logLine(started, 'ztgate serving')) as { address: string }).address;
}

function kubeconfigText(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n');
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
    expect(started.stdout()).toContain(
      '"msg":"shutting down: /readyz fails; admissions still answered during the drain delay"',
    );
    expect(started.stdout()).toContain('"msg":"admission decision"');
  });

  it('serves the demo on certificates of its own, regenerating ones that do not fit 127.0.0.1', async () => {
    // What `ztgate certs --out certs/demo` once left behind: the demo's CA, a leaf without 127.0.0.1.
    await writeCertificates({
      out: join(pkg, 'certs', 'demo'),
      service: 'ztgate',
      namespace: 'ztgate-system',
      days: 90,
      ips: [],
      dnsNames: [],
      purpose: 'demo',
    });
    const started = start(['serve', '--demo', '--port', '0']);
    const url = await address(started);
    const lines = started.stdout().split('\n');
    const generated = lines.find((line) => line.includes('"msg":"generated demo certificates"'));
    expect(JSON.parse(generated ?? '{}')).toMatchObject({
      caFile: join('certs', 'demo', 'ca.crt'),
      reason: 'tls.crt does not name 127.0.0.1 and localhost',
    });
    const demoCa = await readFile(join(pkg, 'certs', 'demo', 'ca.crt'), 'utf8');
    const body = await reviewFixture('storefront-deployment-review.json');
    const answer = await postJson(url, '/validate', body, demoCa);
    expect(answer.json().response).toMatchObject({ allowed: false, status: { code: 403 } });
    started.child.kill('SIGTERM');
    expect(await started.exit).toBe(0);
  });

  it('exits within the drain delay and a second on SIGTERM, an idle HTTP/2 session open (it took 72 s)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-serve-drain-'));
    await writeFile(join(dir, 'config.yaml'), 'server:\n  drainDelaySeconds: 1\n');
    const started = start([
      'serve',
      '--state',
      'manifests/demo',
      '--config',
      join(dir, 'config.yaml'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...tlsArgs(),
    ]);
    const url = await address(started);
    const idle = h2connect(url, { ca: caPem });
    idle.on('error', () => undefined);
    await new Promise((resolve) => idle.once('connect', resolve));
    const goaway = new Promise<void>((resolve) => idle.once('goaway', () => resolve()));
    const sent = performance.now();
    started.child.kill('SIGTERM');
    expect(await started.exit).toBe(0);
    const took = performance.now() - sent;
    await goaway;
    expect(took).toBeGreaterThan(1000);
    expect(took).toBeLessThan(3500);
    idle.destroy();
  });

  it('listens at once and says why it is not ready while the API server accepts TCP but never answers', async () => {
    const mute = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const mutePort = (mute.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-serve-mute-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: mute, cluster: { server: "https://127.0.0.1:' + String(mutePort) + '" } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: c, context: { cluster: mute, user: u } }]',
        'current-context: c',
      ].join('\n'),
    );
    await writeFile(join(dir, 'config.yaml'), 'server:\n  drainDelaySeconds: 0\n');
    const started = start([
      'serve',
      '--kubeconfig',
      kubeconfig,
      '--config',
      join(dir, 'config.yaml'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      ...tlsArgs(),
    ]);
    try {
      const url = await address(started);
      expect((await h1(url, '/healthz', { ca: caPem })).status).toBe(200);
      const body = await reviewFixture('storefront-deployment-review.json');
      const answer = await postJson(url, '/validate', body, caPem);
      expect(answer.json().response).toMatchObject({
        allowed: false,
        status: { message: 'cluster view not synced yet' },
      });
      // Discovery gives up after 5 s, each list after 10 s without a byte; /readyz says so.
      let reason = '';
      const deadline = Date.now() + 30_000;
      while (!/timed out/.test(reason) && Date.now() < deadline) {
        const readyz = await h1(url, '/readyz', { ca: caPem });
        expect(readyz.status).toBe(503);
        reason = String(readyz.json().reason);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(reason).toMatch(
        /^cluster view not synced yet \(waiting for .*; last error: GET \/api.* timed out after 10000 ms\)$/,
      );
      expect((await h1(url, '/healthz', { ca: caPem })).status).toBe(200);
      // Listening came first, not after discovery gave up (it used to wait 31 s for the API server).
      const messages = started
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages.indexOf('ztgate serving')).toBeGreaterThanOrEqual(0);
      expect(messages.indexOf('ztgate serving')).toBeLessThan(
        messages.indexOf('API discovery failed; watching the core resources only for now'),
      );
    } finally {
      started.child.kill('SIGTERM');
      await started.exit;
      mute.close();
    }
  }, 60_000);

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
    [
      'an unknown log level',
      async () => ['--state', 'manifests/demo', '--log-level', 'verbose'],
      "option '--log-level <level>' argument 'verbose' is invalid. Allowed choices are trace, debug, info, warn, error, fatal, silent.",
    ],
    [
      'a kubeconfig pointing at plain HTTP',
      async (dir: string) => {
        await writeFile(join(dir, 'kubeconfig'), kubeconfigText('http://127.0.0.1:8080'));
        return ['--kubeconfig', join(dir, 'kubeconfig')];
      },
      'points at http://127.0.0.1:8080: ztgate talks to the API server over HTTPS only',
    ],
  ])('stops start-up with exit 2 on %s', async (_name, extra, message) => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-serve-bad-'));
    const started = start(['serve', '--port', '0', ...tlsArgs(), ...(await extra(dir))]);
    expect(await started.exit).toBe(2);
    expect(started.stderr()).toContain(message);
    expect(started.stderr()).not.toContain('skipTLSVerify');
  });

  /** The environment of a laptop or pod with no Kubernetes configuration, plus `extra`. */
  async function bareEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
    const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _h, KUBERNETES_SERVICE_PORT: _p, ...rest } = process.env;
    return { ...rest, HOME: await mkdtemp(join(tmpdir(), 'ztgate-home-')), ...extra };
  }

  it('says in one sentence that no Kubernetes configuration was found', async () => {
    const env = await bareEnv();
    const started = start(['serve', '--port', '0', ...tlsArgs()], env);
    expect(await started.exit).toBe(2);
    expect(started.stderr()).toBe(
      `ztgate: serve: no Kubernetes configuration found: no --kubeconfig given, $KUBECONFIG is unset, ${env['HOME']}/.kube/config is absent, and this is not a pod (KUBERNETES_SERVICE_HOST/PORT are unset); pass --kubeconfig FILE, or --state DIR for a folder of manifests\n`,
    );
  });

  it.each([
    ['$KUBECONFIG', async (file: string) => bareEnv({ KUBECONFIG: file })],
    [
      '~/.kube/config',
      async (file: string) => {
        const env = await bareEnv();
        await mkdir(join(env['HOME'] as string, '.kube'));
        await copyFile(file, join(env['HOME'] as string, '.kube', 'config'));
        return env;
      },
    ],
  ])('watches the cluster that %s names when no --kubeconfig is given', async (_name, makeEnv) => {
    const dir = await mkdtemp(join(tmpdir(), 'ztgate-serve-kc-'));
    // Port 1 refuses at once: the server starts, logs the cluster it watches and stays unready.
    await writeFile(join(dir, 'kubeconfig'), kubeconfigText('https://127.0.0.1:1'));
    await writeFile(join(dir, 'config.yaml'), 'server:\n  drainDelaySeconds: 0\n');
    const started = start(
      ['serve', '--config', join(dir, 'config.yaml'), '--host', '127.0.0.1', '--port', '0', ...tlsArgs()],
      await makeEnv(join(dir, 'kubeconfig')),
    );
    await address(started);
    // Listening comes first; the Kubernetes client is loaded after it, then the line is logged.
    const watching = await logLine(started, 'watching the cluster');
    expect(JSON.parse(watching)).toMatchObject({ cluster: 'https://127.0.0.1:1' });
    started.child.kill('SIGTERM');
    expect(await started.exit).toBe(0);
  });
});
