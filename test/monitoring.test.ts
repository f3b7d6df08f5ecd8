import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { silentLogger } from '../src/adapters/kube/logger.js';
import { createKubeViewSource } from '../src/adapters/kube/view-source.js';
import type { ViewSource } from '../src/adapters/view-source.js';
import {
  registerControllerMetrics,
  startZtgateControllers,
  type RunningControllers,
} from '../src/controllers/index.js';
import { DEFAULT_CONFIG } from '../src/policy/config.js';
import {
  h1,
  makeCerts,
  postJson,
  reviewFixture,
  startApp,
  type Running,
  type TestCerts,
} from './adapters/http/support.js';
import { FakeKube, waitFor } from './adapters/kube/fake-kube.js';
import { MANIFESTS_DIR, readManifest, type ManifestObject } from './e2e/support/manifests.js';

const run = promisify(execFile);
const MONITORING = join(MANIFESTS_DIR, 'monitoring');
const rule = readManifest('prometheusrule.yaml', MONITORING)[0] as ManifestObject & {
  spec: { groups: { rules: { alert: string; expr: string }[] }[] };
};
const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const expressions = [
  ...rule.spec.groups.flatMap((group) => group.rules.map((r) => r.expr)),
  ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
];

/** The metric names a PromQL expression reads (ztgate's, and prom-client's process_/nodejs_). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:ztgate|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1] as string);
}

function promtool(): string | undefined {
  return ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((file) => existsSync(file));
}

describe('manifests/monitoring: alert rules', () => {
  const tool = promtool();
  // CI installs promtool (.ci/run); a laptop without it skips, CI never does.
  it.skipIf(tool === undefined && process.env['CI'] !== 'true')(
    'pass `promtool check rules` and every `promtool test rules` case',
    async () => {
      if (tool === undefined)
        throw new Error('promtool is missing: apt-get install prometheus (.ci/run does)');
      const dir = await mkdtemp(join(tmpdir(), 'ztgate-promtool-'));
      await writeFile(join(dir, 'ztgate-rules.yaml'), stringify(rule.spec));
      await copyFile(
        join(import.meta.dirname, 'monitoring', 'rules.promtool.yaml'),
        join(dir, 'rules.promtool.yaml'),
      );
      const checked = await run(tool, ['check', 'rules', join(dir, 'ztgate-rules.yaml')]);
      expect(checked.stdout).toContain(`SUCCESS: ${rule.spec.groups[0]?.rules.length} rules found`);
      const tested = await run(tool, ['test', 'rules', join(dir, 'rules.promtool.yaml')]).catch(
        (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout}${error.stderr}` }),
      );
      expect(tested.stdout).toContain('SUCCESS');
    },
  );

  it('has a promtool case for every alert', () => {
    const cases = readFileSync(join(import.meta.dirname, 'monitoring', 'rules.promtool.yaml'), 'utf8');
    const tested = new Set([...cases.matchAll(/alertname: (\w+)/g)].map((match) => match[1]));
    const alerts = new Set(rule.spec.groups.flatMap((group) => group.rules.map((r) => r.alert)));
    expect([...alerts].filter((alert) => !tested.has(alert))).toEqual([]);
    expect([...alerts].sort()).toEqual([
      'ZtgateCertificateExpiringSoon',
      'ZtgateDenialsSpiking',
      'ZtgateDown',
      'ZtgateNoLeader',
      'ZtgateNotHighlyAvailable',
      'ZtgateSlowAdmission',
      'ZtgateViewStale',
      'ZtgateWebhookErrors',
    ]);
  });
});

// The server as cluster mode runs it (watch cache and reconciler over a fake API server), scraped
// over real TLS: every series the alerts and the dashboard read must be there.
describe('GET /metrics in cluster mode', () => {
  let certs: TestCerts;
  let server: Running;
  let viewSource: ViewSource;
  let controllers: RunningControllers;
  let scraped: string;
  const kube = new FakeKube();

  beforeAll(async () => {
    kube.seed('v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    kube.seed('v1/serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'web', namespace: 'shop' },
    });
    const options = {
      kubeConfig: {} as KubeConfig,
      config: DEFAULT_CONFIG,
      logger: silentLogger,
      rest: kube,
    };
    viewSource = createKubeViewSource({ ...options, debounceMs: 10 });
    await viewSource.start();
    controllers = startZtgateControllers({ ...options, identity: 'a', renewIntervalMs: 20 });
    await waitFor(() => viewSource.isReady() && controllers.isLeader());
    // A broken watch relists every resource once.
    kube.breakWatches();
    await waitFor(() => (viewSource.stats?.().relists ?? []).some((figure) => figure.count > 0));
    certs = await makeCerts();
    // Wired as serve wires cluster mode (serve-runtime.ts): the leader read through the runtime.
    server = await startApp(certs, {
      viewSource,
      isLeader: () => controllers.isLeader(),
      registerMetrics: (registry) => registerControllerMetrics(registry, controllers, DEFAULT_CONFIG),
    });
    // One refused Deployment: the latency histogram and the violation counters get their series.
    const answer = await postJson(
      server.url,
      '/validate',
      await reviewFixture('storefront-deployment-review.json'),
      certs.caPem,
    );
    expect(answer.json().response.allowed).toBe(false);
    scraped = (await h1(server.url, '/metrics', { ca: certs.caPem })).text;
  });
  afterAll(async () => {
    await server?.app.close();
    await controllers?.stop();
    await viewSource?.close();
  });

  const samples = (): Map<string, number> =>
    new Map(
      scraped
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]),
    );

  it.each([...new Set(expressions.flatMap(metricNames))].sort())('exports %s', (name) => {
    const names = new Set([...samples().keys()].map((series) => series.split('{')[0]));
    expect(names.has(name)).toBe(true);
  });

  it('reports the view and the leader as they are', () => {
    const values = samples();
    expect(values.get('ztgate_leader')).toBe(1);
    expect(values.get('ztgate_view_objects{group="",kind="ServiceAccount"}')).toBe(1);
    expect(values.get('ztgate_view_objects{group="",kind="Namespace"}')).toBe(1);
    expect(values.get('ztgate_view_relists_total{group="",kind="Namespace"}')).toBe(1);
    const synced = values.get('ztgate_view_synced_timestamp_seconds') ?? 0;
    expect(Math.abs(synced - Date.now() / 1000)).toBeLessThan(30);
  });

  it('documents every ztgate metric and every decision value in the README', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const exported = [...new Set([...samples().keys()].map((series) => series.split('{')[0] as string))]
      .filter((name) => name.startsWith('ztgate_'))
      .map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    const documented = (name: string): boolean =>
      readme.includes(`| \`${name}\``) || readme.includes(`| \`${name}{`);
    expect([...new Set(exported)].filter((name) => !documented(name))).toEqual([]);
    for (const decision of ['allow', 'deny', 'warn', 'error', 'invalid'])
      expect(readme).toContain(`| \`${decision}\` |`);
  });
});

describe('manifests/monitoring: wiring', () => {
  const service = readManifest('service.yaml')[0] as ManifestObject & {
    spec: { ports: { name: string }[] };
  };
  const monitor = readManifest('servicemonitor.yaml', MONITORING)[0] as ManifestObject & {
    spec: {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; scheme: string; tlsConfig: { serverName: string } }[];
    };
  };

  it('scrapes the Service port over HTTPS under a name the serving certificate carries', () => {
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    const [endpoint] = monitor.spec.endpoints;
    expect(service.spec.ports.map((port) => port.name)).toContain(endpoint?.port);
    expect(endpoint?.scheme).toBe('https');
    expect(endpoint?.tlsConfig.serverName).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
  });

  it('stays out of the base (the monitoring CRDs may be absent) and applies on its own', () => {
    const base = parse(readFileSync(join(MANIFESTS_DIR, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    expect(base.resources.filter((resource) => resource.includes('monitoring'))).toEqual([]);
    const own = parse(readFileSync(join(MONITORING, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
      configMapGenerator: { files: string[] }[];
    };
    expect([...own.resources, ...own.configMapGenerator.flatMap((g) => g.files)].sort()).toEqual([
      'grafana-dashboard.json',
      'prometheusrule.yaml',
      'servicemonitor.yaml',
    ]);
  });
});
