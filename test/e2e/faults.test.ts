/**
 * Faults under load: two ztgate replicas behind haproxy (routing as a Service does: TCP, only to
 * replicas whose /readyz answers), registered with a real kube-apiserver, while a driver sends
 * dry-run creates through the API server (each one an admission through /mutate and /validate).
 * A failed admission is any answer but ztgate's own (201 for the compliant Pod, ztgate's 403 for
 * the refused Deployment): "failed calling webhook", a timeout, a 5xx.
 *
 * The figures of the run (failures per fault, times) are printed at the end; the README's
 * operations section reports them.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  statSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneAvailable, startControlPlane, type ControlPlane } from './control-plane.js';
import {
  startAdmissionLoad,
  failuresBetween,
  countBetween,
  type AdmissionLoad,
} from './support/admission-load.js';
import { haproxyBinary, startHaproxy, type Haproxy } from './support/haproxy.js';
import { kubectl, kubectlJson, kubectlOk } from './support/kubectl.js';
import { allowListPolicy, list, serviceAccount } from './support/objects.js';
import { findFreePort, waitFor } from './support/processes.js';
import {
  createServingCert,
  labelExemptNamespaces,
  registerWebhooks,
  startZtgate,
  type ServingCert,
  type Ztgate,
} from './support/ztgate.js';

// Requests per second through the API server (each one a /mutate or /validate call, or both).
// The shared 2-core machine this suite runs on saturates at about 100 webhook calls/s: the API
// server (1.20) speaks HTTP/1.1 to webhooks, a TLS handshake per new connection.
const RATE = Number(process.env['ZTGATE_E2E_FAULT_RATE'] ?? 25);
const NS = 'load';
const LEASE_SECONDS = 15;
const STALE_AFTER_SECONDS = 10;
const CONFIG = {
  // ztgate's own injector with test images (ztgate ships no proxy), as the other builtin suites
  // run it: the load is pods that /mutate injects and /validate verifies, two calls each.
  mesh: { provider: 'builtin' },
  sidecar: {
    image: 'registry.example/ztgate-test/proxy:1.0',
    initImage: 'registry.example/ztgate-test/proxy-init:1.0',
  },
  // A balancer checking every 500 ms needs about a second to stop routing; 2 s of drain covers it
  // (the default, 5 s, covers kube-proxy's propagation in a cluster).
  server: { drainDelaySeconds: 2, maxSessionAgeSeconds: 10 },
  view: { staleAfterSeconds: STALE_AFTER_SECONDS },
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The API server's error, without the Status envelope around it. */
function shortReason(reason: string | undefined): string {
  const message = /"message":"((?:[^"\\]|\\.)*)"/.exec(reason ?? '')?.[1];
  return (message ?? reason ?? '').slice(0, 160);
}

/** Admission decisions a replica logged from byte `offset` of its log on. */
function decisions(replica: Ztgate, offset = 0): { count: number; size: number } {
  const text = readFileSync(replica.process.logFile, 'utf8');
  let count = 0;
  for (
    let at = text.indexOf('"admission decision"', offset);
    at !== -1;
    at = text.indexOf('"admission decision"', at + 1)
  )
    count += 1;
  return { count, size: text.length };
}

/** The fingerprint of the certificate a replica presents to a new connection. */
function presented(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(url);
    const socket = tlsConnect({ host: '127.0.0.1', port: Number(port), ca, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

/** POSTs an AdmissionReview straight to one replica (as an API server whose watch broke would). */
function validate(
  url: string,
  ca: string,
  body: string,
): Promise<{ status: number; allowed?: boolean; message?: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      `${url}/validate`,
      { method: 'POST', ca, headers: { 'content-type': 'application/json' }, agent: false, timeout: 3000 },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (part: Buffer) => parts.push(part));
        res.on('end', () => {
          try {
            const response = JSON.parse(Buffer.concat(parts).toString('utf8')).response;
            resolve({
              status: res.statusCode ?? 0,
              allowed: response.allowed,
              message: response.status?.message,
            });
          } catch {
            resolve({ status: res.statusCode ?? 0 });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

function readyz(url: string, ca: string): Promise<{ status: number; reason?: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest(`${url}/readyz`, { ca, agent: false, timeout: 3000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const body = Buffer.concat(parts).toString('utf8');
        let reason: string | undefined;
        try {
          reason = (JSON.parse(body) as { reason?: string }).reason;
        } catch {
          reason = body;
        }
        resolve({ status: res.statusCode ?? 0, ...(reason === undefined ? {} : { reason }) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0 }));
    req.end();
  });
}

const suite = controlPlaneAvailable() && haproxyBinary() !== undefined ? describe : describe.skip;

suite('faults under load: two replicas behind haproxy, a real API server', () => {
  let cp: ControlPlane;
  let ca: string;
  let gen1: ServingCert;
  let gen2: ServingCert;
  let tlsDir: string;
  const replicas: Record<'a' | 'b', Ztgate | undefined> = { a: undefined, b: undefined };
  const ports: Record<'a' | 'b', number> = { a: 0, b: 0 };
  let balancer: Haproxy;
  let load: AdmissionLoad;
  const figures: Record<string, unknown> = { rate: RATE };

  const serving = (): ServingCert => ({
    certFile: join(tlsDir, 'tls.crt'),
    keyFile: join(tlsDir, 'tls.key'),
    caFile: gen1.caFile,
  });
  const startReplica = async (name: 'a' | 'b'): Promise<Ztgate> => {
    const replica = await startZtgate(cp, CONFIG, serving(), { port: ports[name] });
    replicas[name] = replica;
    return replica;
  };
  const waitStatus = (name: string, status: string, timeoutMs = 15_000): Promise<void> =>
    waitFor(
      async () => (await balancer.status())[name]?.startsWith(status) === true,
      timeoutMs,
      () => `haproxy never saw ${name} ${status}`,
      50,
    );
  type LeaseSpec = { holderIdentity?: string; renewTime?: string; acquireTime?: string };
  const readLease = async (): Promise<LeaseSpec> => {
    const target = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    const args = ['get', 'lease', 'ztgate-leader', '-n', 'ztgate-system', '-o', 'json'];
    const lease = await kubectlJson<{ spec?: LeaseSpec }>(target, args).catch(() => undefined);
    return lease?.spec ?? {};
  };
  const leaseHolder = async (): Promise<string | undefined> => (await readLease()).holderIdentity;

  beforeAll(async () => {
    cp = await startControlPlane();
    const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease']) {
      await kubectlOk(admin, ['label', '--overwrite', 'namespace', ns, `kubernetes.io/metadata.name=${ns}`]);
    }
    await labelExemptNamespaces(cp, ['ztgate-system']);
    // Two serving pairs of one CA; the replicas read them through a Secret volume's layout:
    // tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/, swapped by renaming a new ..data link.
    const dir = mkdtempSync(join(cp.dir, 'faults-'));
    gen1 = await createServingCert(join(dir, 'gen1'));
    mkdirSync(join(dir, 'gen2'));
    copyFileSync(gen1.caFile, join(dir, 'gen2', 'ca.crt'));
    copyFileSync(join(dir, 'gen1', 'ca.key'), join(dir, 'gen2', 'ca.key'));
    gen2 = await createServingCert(join(dir, 'gen2'));
    ca = readFileSync(gen1.caFile, 'utf8');
    tlsDir = join(dir, 'tls');
    mkdirSync(join(tlsDir, '..2026_01_01'), { recursive: true });
    copyFileSync(gen1.certFile, join(tlsDir, '..2026_01_01', 'tls.crt'));
    copyFileSync(gen1.keyFile, join(tlsDir, '..2026_01_01', 'tls.key'));
    symlinkSync('..2026_01_01', join(tlsDir, '..data'));
    symlinkSync(join('..data', 'tls.crt'), join(tlsDir, 'tls.crt'));
    symlinkSync(join('..data', 'tls.key'), join(tlsDir, 'tls.key'));
    ports.a = await findFreePort();
    ports.b = await findFreePort();
    await Promise.all([startReplica('a'), startReplica('b')]);
    balancer = await startHaproxy(dir, { a: ports.a, b: ports.b });
    await Promise.all([waitStatus('a', 'UP'), waitStatus('b', 'UP')]);
    await registerWebhooks(cp, balancer.url, gen1.caFile, { builtin: true });
    await kubectlOk(admin, ['create', 'namespace', NS]);
    await kubectlOk(
      admin,
      ['apply', '-f', '-'],
      list(serviceAccount(NS, 'web'), allowListPolicy(NS, 'web', 'client')),
    );
    await waitFor(
      async () =>
        (await kubectl(admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', NS])).code === 0,
      30_000,
      () => 'no default deny in the load namespace',
    );
    load = startAdmissionLoad(cp, readFileSync(cp.caFile, 'utf8'), NS, RATE);
    await sleep(8000);
  }, 300_000);

  afterAll(async () => {
    await load?.stop();
    console.log(`faults figures: ${JSON.stringify(figures, null, 2)}`);
    await balancer?.stop();
    for (const replica of Object.values(replicas)) await replica?.stop();
    await cp?.stop();
  });

  it('answers every admission under steady load (baseline)', () => {
    const now = Date.now();
    const sent = countBetween(load.records, now - 6000, now - 1000);
    const failed = failuresBetween(load.records, now - 6000, now - 1000);
    figures['baseline'] = { sent, failed: failed.length };
    expect(sent).toBeGreaterThan(RATE * 3);
    expect(failed.map((f) => f.reason)).toEqual([]);
  });

  it('fails 0 admissions in a rolling restart (SIGTERM each replica in turn, waiting for readiness)', async () => {
    const started = Date.now();
    const exits: { replica: string; seconds: number; code: number | null }[] = [];
    const events: Record<string, number> = {};
    for (const name of ['a', 'b'] as const) {
      const replica = replicas[name] as Ztgate;
      const sent = Date.now();
      events[`${name} SIGTERM`] = sent - started;
      await replica.stop();
      events[`${name} exited`] = Date.now() - started;
      exits.push({
        replica: name,
        seconds: (Date.now() - sent) / 1000,
        code: replica.process.child.exitCode,
      });
      await startReplica(name);
      events[`${name} ready`] = Date.now() - started;
      await waitStatus(name, 'UP');
      events[`${name} UP`] = Date.now() - started;
    }
    await sleep(3000);
    const ended = Date.now();
    const failed = failuresBetween(load.records, started, ended);
    figures['rollingRestart'] = {
      sent: countBetween(load.records, started, ended),
      failed: failed.length,
      exits,
      events,
      failedAt: failed.map((f) => `${f.at - started} ms: ${shortReason(f.reason)}`),
    };
    expect(failed.map((f) => `${f.what}: ${f.reason}`)).toEqual([]);
    for (const exit of exits) {
      expect(exit.code).toBe(0);
      // Drain (2 s), GOAWAY, in-flight requests, lease release: well inside a 30 s grace period.
      expect(exit.seconds).toBeLessThan(10);
    }
  });

  it('spreads load back over both replicas: connections get a GOAWAY or Connection: close at their maximum age', async () => {
    // One maximum age for the connections the restart left on one replica to be retired. Then the
    // load must come back to both. Where it lands is a coin toss per retirement: the API server
    // (HTTP/1.1) sends nearly everything down its most recently used connection, and the one it
    // opens when that is retired goes to whichever replica the balancer's round robin names next,
    // so three ages in a row on one replica happened in 2 of 4 CI runs. The window grows, an age at
    // a time, until each replica has served more than 10 % (up to 12 ages: one side winning 11
    // tosses in a row is a 1-in-2,048 event).
    const age = CONFIG.server.maxSessionAgeSeconds;
    await sleep(age * 1000);
    const before = { a: decisions(replicas.a as Ztgate), b: decisions(replicas.b as Ztgate) };
    const spread = () => {
      const a = decisions(replicas.a as Ztgate, before.a.size).count;
      const b = decisions(replicas.b as Ztgate, before.b.size).count;
      return { a, b, total: a + b };
    };
    const balanced = ({ a, b, total }: ReturnType<typeof spread>): boolean =>
      total > 0 && a / total > 0.1 && b / total > 0.1;
    let ages = 0;
    let after = spread();
    while (ages < 12 && (ages < 3 || !balanced(after))) {
      await sleep(age * 1000);
      ages += 1;
      after = spread();
    }
    figures['loadSpread'] = { a: after.a, b: after.b, seconds: ages * age };
    expect(after.total).toBeGreaterThan(0);
    expect(after.a / after.total).toBeGreaterThan(0.1);
    expect(after.b / after.total).toBeGreaterThan(0.1);
  });

  it('SIGKILL of the leader fails only in-flight admissions, and the balancer stops routing to it within 2 s', async () => {
    const before = await readLease();
    const holder = before.holderIdentity;
    const victim: 'a' | 'b' = holder === `ztgate-e2e-${ports.b}` ? 'b' : 'a';
    const survivor: 'a' | 'b' = victim === 'a' ? 'b' : 'a';
    const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    const killed = Date.now();
    try {
      (replicas[victim] as Ztgate).process.child.kill('SIGKILL');
      await waitStatus(victim, 'DOWN', 10_000);
      const downMs = Date.now() - killed;
      // A namespace made right after the kill: the survivor must take the Lease and give it a default deny.
      await kubectlOk(admin, ['create', 'namespace', 'after-kill']);
      const leader = `ztgate-e2e-${ports[survivor]}`;
      await waitFor(
        async () => (await leaseHolder()) === leader,
        30_000,
        () => 'the Lease never moved',
        200,
      );
      const leaseMs = Date.now() - killed;
      // The survivor may take the Lease once it has seen no renewal for the lease duration; it
      // campaigns every 2 s. Measured on the Lease itself: the new acquireTime after the last renewTime.
      const after = await readLease();
      const takeoverMs = Date.parse(after.acquireTime ?? '') - Date.parse(before.renewTime ?? '');
      const hasDeny = async (): Promise<boolean> =>
        (await kubectl(admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', 'after-kill'])).code ===
        0;
      await waitFor(hasDeny, 30_000, () => 'no default deny in a namespace made after the kill', 200);
      const reconcileMs = Date.now() - killed;
      await sleep(3000);
      // In flight at the kill: not answered by then, and sent before the API server could know
      // (a request it wrote on its connection to the killed replica a moment after is lost too).
      const inFlight = load.records.filter((r) => r.at <= killed + 500 && r.at + r.ms >= killed);
      const failed = failuresBetween(load.records, killed - 10_000, Date.now());
      const notInFlight = failed.filter((f) => !inFlight.includes(f));
      figures['sigkill'] = {
        victim,
        inFlightAtKill: inFlight.length,
        failed: failed.length,
        failedNotInFlight: notInFlight.map((f) => `${f.at - killed} ms: ${shortReason(f.reason)}`),
        balancerDownMs: downMs,
        leaseMovedMs: leaseMs,
        leaseTakeoverAfterLastRenewalMs: takeoverMs,
        defaultDenyMs: reconcileMs,
      };
      expect(downMs).toBeLessThanOrEqual(2000);
      expect(notInFlight.map((f) => f.reason)).toEqual([]);
      // Renewals come every 5 s, so the kill falls up to 5 s after the last one. The survivor
      // counts the lease duration from when it saw that renewal (its own clock, as client-go does),
      // which is up to one campaign (2 s after the end of the last) late, and takes the Lease at
      // the campaign after the duration ran out, up to one more late: 15 + 2 + 2 s and the
      // requests' time. A bound of 18 s failed once at 18,016 ms on a loaded machine.
      expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
      expect(takeoverMs).toBeLessThanOrEqual((LEASE_SECONDS + 2 + 2 + 1) * 1000);
      expect(reconcileMs - leaseMs).toBeLessThanOrEqual(3000);
    } finally {
      await startReplica(victim);
      await waitStatus(victim, 'UP');
    }
  });

  it('fails 0 admissions when the certificate rotates by a ..data symlink swap', async () => {
    const oldPrint = await presented(replicas.a!.url, ca);
    const swapped = Date.now();
    mkdirSync(join(tlsDir, '..2026_02_01'));
    copyFileSync(gen2.certFile, join(tlsDir, '..2026_02_01', 'tls.crt'));
    copyFileSync(gen2.keyFile, join(tlsDir, '..2026_02_01', 'tls.key'));
    symlinkSync('..2026_02_01', join(tlsDir, '..data_tmp'));
    renameSync(join(tlsDir, '..data_tmp'), join(tlsDir, '..data'));
    let newPrint = oldPrint;
    await waitFor(
      async () => {
        const prints = await Promise.all([presented(replicas.a!.url, ca), presented(replicas.b!.url, ca)]);
        newPrint = prints[0] ?? '';
        return prints.every((print) => print !== oldPrint);
      },
      15_000,
      () => 'a replica kept the old certificate',
      100,
    );
    const rotatedMs = Date.now() - swapped;
    await sleep(8000);
    const failed = failuresBetween(load.records, swapped, Date.now());
    figures['certRotation'] = {
      sent: countBetween(load.records, swapped, Date.now()),
      failed: failed.length,
      newCertAfterMs: rotatedMs,
    };
    expect(statSync(join(tlsDir, 'tls.crt')).isFile()).toBe(true);
    expect(newPrint).not.toBe(oldPrint);
    expect(failed.map((f) => f.reason)).toEqual([]);
  });

  it('with the API server down for 30 s: answers from the last good view, then denies clearly; recovers without a restart', async () => {
    await load.stop();
    const review = readFileSync(
      join('test', 'fixtures', 'admission', 'storefront-deployment-review.json'),
      'utf8',
    );
    const body = JSON.parse(review);
    body.request.namespace = NS;
    body.request.name = 'web';
    body.request.object.metadata = { name: 'web', namespace: NS, labels: { app: 'web' } };
    body.request.object.spec.selector = { matchLabels: { app: 'web' } };
    body.request.object.spec.template.metadata.labels = { app: 'web' };
    body.request.object.spec.template.spec.serviceAccountName = 'web';
    const text = JSON.stringify(body);
    const pids = { a: replicas.a!.process.child.pid, b: replicas.b!.process.child.pid };
    const samples: {
      t: number;
      replica: string;
      ready: number;
      reason?: string;
      allowed?: boolean;
      message?: string;
    }[] = [];
    let probing = true;
    let down = Date.now();
    const probe = (async () => {
      while (probing) {
        for (const name of ['a', 'b'] as const) {
          const url = replicas[name]!.url;
          const [ready, answer] = await Promise.all([readyz(url, ca), validate(url, ca, text)]);
          samples.push({
            t: Date.now() - down,
            replica: name,
            ready: ready.status,
            reason: ready.reason,
            allowed: answer.allowed,
            message: answer.message,
          });
        }
        await sleep(250);
      }
    })();
    await sleep(1000);
    samples.length = 0;
    down = Date.now();
    await cp.stopApiServer();
    await sleep(30_000);
    const balancerDuring = await balancer.status();
    const up = Date.now() - down;
    await cp.startApiServer();
    await waitFor(
      async () =>
        (await readyz(replicas.a!.url, ca)).status === 200 &&
        (await readyz(replicas.b!.url, ca)).status === 200,
      45_000,
      () => 'ztgate did not recover after the API server came back',
      200,
    );
    const recovered = Date.now() - down;
    probing = false;
    await probe;
    const early = samples.filter((s) => s.t < (STALE_AFTER_SECONDS - 1) * 1000);
    const stale = samples.filter((s) => s.t > (STALE_AFTER_SECONDS + 2) * 1000 && s.t < up);
    const firstStale = samples.find((s) => s.ready === 503);
    figures['apiServerDown'] = {
      downSeconds: Math.round(up / 1000),
      answeredFromLastView: early.filter((s) => s.allowed === true).length,
      earlySamples: early.length,
      staleDenials: stale.filter((s) => s.allowed === false).length,
      staleSamples: stale.length,
      firstNotReadyMs: firstStale?.t,
      recoveredMsAfterApiServerBack: recovered - up,
      balancerDuring,
      staleMessage: stale[0]?.message,
      staleReason: stale[0]?.reason,
    };
    expect(early.length).toBeGreaterThan(4);
    expect(early.every((s) => s.allowed === true && s.ready === 200)).toBe(true);
    expect(stale.length).toBeGreaterThan(4);
    for (const sample of stale) {
      expect(sample.ready).toBe(503);
      expect(sample.reason).toMatch(/^watch of .* broken for \d+s \(limit 10s\)$/);
      expect(sample.allowed).toBe(false);
      expect(sample.message).toMatch(
        /^ztgate's cluster view is stale \(watch of .* broken for \d+s \(limit 10s\)\)/,
      );
    }
    expect(Object.values(balancerDuring).every((status) => status.startsWith('DOWN'))).toBe(true);
    // Recovered in place: the same processes answer, allowed again.
    expect({ a: replicas.a!.process.child.pid, b: replicas.b!.process.child.pid }).toEqual(pids);
    expect((await validate(replicas.a!.url, ca, text)).allowed).toBe(true);
    await Promise.all([waitStatus('a', 'UP'), waitStatus('b', 'UP')]);
    load = startAdmissionLoad(cp, readFileSync(cp.caFile, 'utf8'), NS, RATE);
    await sleep(8000);
    const now = Date.now();
    const failed = failuresBetween(load.records, now - 6000, now - 500);
    figures['afterRecovery'] = {
      sent: countBetween(load.records, now - 6000, now - 500),
      failed: failed.length,
    };
    expect(failed.map((f) => f.reason)).toEqual([]);
  });
});
