import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeRest, loadKubeConfig, type KubeRest } from '../../src/adapters/kube/index.js';
import type { KubeLogger } from '../../src/adapters/kube/logger.js';
import {
  startZtgateControllers,
  type ControllerWrite,
  type RunningControllers,
} from '../../src/controllers/index.js';
import type { ZtgateConfig } from '../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { waitFor } from './support/processes.js';

const NP = (ns: string, name = '') =>
  `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;
const POLICIES = ['ztgate-allow-dns', 'ztgate-default-deny'];
const CM = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;
const NS = (name = '') => `/api/v1/namespaces${name ? `/${name}` : ''}`;
const BUNDLE = BUILTIN_CONFIG.sidecar.trustBundleConfigMap;
const WITHHELD = 'namespace not enforced: ztgate withholds what enforcing would create';

interface Replica {
  readonly controllers: RunningControllers;
  readonly writes: ControllerWrite[];
  readonly warnings: { message: string; fields: Record<string, unknown> }[];
}

describe('controllers against a real API server', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  const replicas: Record<string, Replica> = {};

  const start = (identity: string, config: ZtgateConfig = BUILTIN_CONFIG): Replica => {
    const writes: ControllerWrite[] = [];
    const warnings: Replica['warnings'] = [];
    const logger: KubeLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields, message) => warnings.push({ message, fields: fields as Record<string, unknown> }),
      error: () => undefined,
    };
    const controllers = startZtgateControllers({
      kubeConfig: loadKubeConfig({ kubeconfig: cp.adminKubeconfig }),
      config,
      logger,
      identity: `replica-${identity}`,
      onWrite: (write) => writes.push(write),
    });
    return (replicas[identity] = { controllers, writes, warnings });
  };
  const policyNames = async (ns: string): Promise<string[]> => {
    const list = await rest.request<{ items: { metadata: { name: string } }[] }>('GET', NP(ns));
    return list.items.map((item) => item.metadata.name).sort();
  };
  const allPolicies = async (): Promise<string[]> => {
    const list = await rest.request<{ items: { metadata: { name: string; namespace: string } }[] }>(
      'GET',
      '/apis/networking.k8s.io/v1/networkpolicies',
    );
    return list.items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`);
  };
  const hasBoth = (ns: string) => async () => (await policyNames(ns)).join() === POLICIES.join();
  /** The trust bundle copy's ca.crt in a namespace, or undefined while there is none. */
  const copiedCa = async (ns: string): Promise<string | undefined> => {
    try {
      const copy = await rest.request<{ data?: Record<string, string> }>('GET', CM(ns, BUNDLE));
      return copy.data?.['ca.crt'];
    } catch {
      return undefined;
    }
  };
  const leaseHolder = async () =>
    (
      await rest.request<{ spec: { holderIdentity?: string } }>(
        'GET',
        '/apis/coordination.k8s.io/v1/namespaces/ztgate-system/leases/ztgate-leader',
      )
    ).spec.holderIdentity;
  const createNamespace = (name: string, labels: Record<string, string> = {}) =>
    rest.request('POST', NS(), { body: { metadata: { name, labels } } });
  const setLabels = async (name: string, labels: Record<string, string>): Promise<void> => {
    const current = await rest.request<{ metadata: Record<string, unknown> }>('GET', NS(name));
    await rest.request('PUT', NS(name), { body: { ...current, metadata: { ...current.metadata, labels } } });
  };
  /**
   * Milliseconds from the moment the API server answered `change` to the moment a watch on the
   * namespace's NetworkPolicies saw `done()` hold: the figure the "within a second" promise is about.
   */
  const timeUntil = async (
    ns: string,
    change: () => Promise<void>,
    done: (names: Set<string>) => boolean,
  ) => {
    const names = new Set(await policyNames(ns));
    let resolveSeen: (at: number) => void = () => undefined;
    const seen = new Promise<number>((resolve) => (resolveSeen = resolve));
    const list = await rest.request<{ metadata: { resourceVersion: string } }>('GET', NP(ns));
    const watch = await rest.watch(
      NP(ns),
      { resourceVersion: list.metadata.resourceVersion },
      (event) => {
        const name = String((event.object['metadata'] as { name?: string } | undefined)?.name);
        if (event.type === 'ADDED') names.add(name);
        if (event.type === 'DELETED') names.delete(name);
        if (done(names)) resolveSeen(performance.now());
      },
      () => undefined,
    );
    try {
      await change();
      const changed = performance.now();
      const timeout = new Promise<number>((_, reject) =>
        setTimeout(() => reject(new Error(`${ns}: not done within 10 s`)), 10_000),
      );
      return Math.round((await Promise.race([seen, timeout])) - changed);
    } finally {
      watch.abort();
    }
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = createKubeRest(loadKubeConfig({ kubeconfig: cp.adminKubeconfig }));
    await createNamespace('ztgate-system');
  });
  afterAll(async () => {
    for (const replica of Object.values(replicas)) await replica.controllers.stop();
    await cp?.stop();
  });

  describe('with mode: audit', () => {
    it('creates no NetworkPolicy in any namespace, and warns once for each what enforcing would create', async () => {
      const audit = start('audit', { ...BUILTIN_CONFIG, mode: 'audit' });
      await waitFor(
        async () => audit.controllers.isLeader(),
        10_000,
        () => 'the audit replica never led',
      );
      for (const name of ['audit-a', 'audit-b']) await createNamespace(name);
      const warned = () =>
        new Set(audit.warnings.filter((w) => w.message === WITHHELD).map((w) => w.fields['namespace']));
      await waitFor(
        async () => ['default', 'audit-a', 'audit-b'].every((ns) => warned().has(ns)),
        5000,
        () => `withheld warnings: ${[...warned()].join()}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(await allPolicies()).toEqual([]);
      expect(audit.writes.filter((write) => write.kind === 'NetworkPolicy')).toEqual([]);
      // Once per namespace, not once per event or resync; none for the exempt system namespaces.
      const namespaces = audit.warnings
        .filter((w) => w.message === WITHHELD)
        .map((w) => w.fields['namespace']);
      expect(namespaces.sort()).toEqual(['audit-a', 'audit-b', 'default']);
      expect(audit.warnings.find((w) => w.fields['namespace'] === 'audit-a')?.fields['wouldCreate']).toEqual([
        'NetworkPolicy/audit-a/ztgate-allow-dns',
        'NetworkPolicy/audit-a/ztgate-default-deny',
      ]);
      await audit.controllers.stop();
      delete replicas['audit'];
    });
  });

  describe('with controllers.dryRun', () => {
    it('sends every write with dryRun=All: the API server accepts them and keeps nothing', async () => {
      const dry = start('dry', { ...BUILTIN_CONFIG, controllers: { dryRun: true } });
      await waitFor(
        async () => dry.controllers.isLeader(),
        20_000,
        () => 'the dry-run replica never led',
      );
      await createNamespace('dry-run');
      const reported = () =>
        dry.writes.filter((write) => write.namespace === 'dry-run').map((w) => `${w.action} ${w.name}`);
      await waitFor(
        async () => reported().length === 2,
        5000,
        () => `dry-run writes: ${reported().join()}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(reported()).toEqual(['create ztgate-allow-dns', 'create ztgate-default-deny']);
      expect(dry.writes.every((write) => write.dryRun)).toBe(true);
      expect(await allPolicies()).toEqual([]);
      await dry.controllers.stop();
      delete replicas['dry'];
    });
  });

  describe('with mode: enforce', () => {
    beforeAll(async () => {
      start('a');
      await waitFor(
        async () => replicas['a']!.controllers.isLeader(),
        20_000,
        () => 'a never led',
      );
      start('b');
    });

    it('gives a new namespace both policies within seconds, and the namespaces of the audit run too', async () => {
      const started = Date.now();
      await createNamespace('team-a');
      await waitFor(hasBoth('team-a'), 5000, () => 'policies not created');
      expect(Date.now() - started).toBeLessThan(5000);
      const deny = await rest.request<{ metadata: { labels: Record<string, string> }; spec: unknown }>(
        'GET',
        NP('team-a', 'ztgate-default-deny'),
      );
      expect(deny.metadata.labels['app.kubernetes.io/managed-by']).toBe('ztgate');
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      await waitFor(hasBoth('audit-a'), 5000, () => 'audit-a not enforced');
    });

    it('leaves exempt namespaces alone', async () => {
      expect([await policyNames('kube-system'), await policyNames('ztgate-system')]).toEqual([[], []]);
    });

    it('gives nothing to a namespace labelled ztgate.dev/mode=audit or ztgate.dev/exempt=true', async () => {
      await createNamespace('legacy', { 'ztgate.dev/mode': 'audit' });
      await createNamespace('lab', { 'ztgate.dev/exempt': 'true' });
      const warned = () =>
        replicas['a']!.warnings.filter((w) => w.message === WITHHELD).map((w) => w.fields['reason']);
      await waitFor(
        async () => warned().length === 2,
        5000,
        () => `withheld warnings: ${warned().join()}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect([await policyNames('legacy'), await policyNames('lab')]).toEqual([[], []]);
      expect(warned().sort()).toEqual(['label ztgate.dev/exempt=true', 'label ztgate.dev/mode=audit']);
    });

    it('creates the default deny within a second of a namespace switching to enforce', async () => {
      const figures: number[] = [];
      // legacy was labelled audit, lab exempt: both lose the label.
      for (const name of ['legacy', 'lab']) {
        figures.push(
          await timeUntil(
            name,
            () => setLabels(name, {}),
            (names) => names.has('ztgate-default-deny') && names.has('ztgate-allow-dns'),
          ),
        );
      }
      for (let index = 0; index < 3; index += 1) {
        const name = `switch-${index}`;
        await createNamespace(name, { 'ztgate.dev/mode': 'audit' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        figures.push(
          await timeUntil(
            name,
            () => setLabels(name, {}),
            (names) => names.has('ztgate-default-deny'),
          ),
        );
      }
      process.stdout.write(
        `audit -> enforce, label change to default deny seen (ms): ${figures.join(', ')}\n`,
      );
      expect(Math.max(...figures)).toBeLessThan(1000);
    });

    it('removes its own policies within a second of a namespace going to audit or exempt, and keeps the rest', async () => {
      await waitFor(hasBoth('switch-0'), 5000, () => 'switch-0 not enforced');
      await waitFor(hasBoth('switch-1'), 5000, () => 'switch-1 not enforced');
      // An application's own policy is never ztgate's to remove.
      await rest.request('POST', NP('switch-0'), {
        body: {
          metadata: { name: 'web' },
          spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] },
        },
      });
      const figures = [
        await timeUntil(
          'switch-0',
          () => setLabels('switch-0', { 'ztgate.dev/mode': 'audit' }),
          (names) => !names.has('ztgate-allow-dns'),
        ),
        await timeUntil(
          'switch-1',
          () => setLabels('switch-1', { 'ztgate.dev/exempt': 'true' }),
          (names) => !names.has('ztgate-allow-dns'),
        ),
      ];
      process.stdout.write(
        `enforce -> audit/exempt, label change to policies gone (ms): ${figures.join(', ')}\n`,
      );
      expect(Math.max(...figures)).toBeLessThan(1000);
      expect([await policyNames('switch-0'), await policyNames('switch-1')]).toEqual([['web'], []]);
      const deletes = replicas['a']!.writes.filter((write) => write.action === 'delete');
      // The deny goes before the DNS allowance it needs.
      expect(deletes.map((write) => `${write.namespace}/${write.name}`)).toEqual([
        'switch-0/ztgate-default-deny',
        'switch-0/ztgate-allow-dns',
        'switch-1/ztgate-default-deny',
        'switch-1/ztgate-allow-dns',
      ]);
    });

    it('re-creates a deleted policy', async () => {
      await rest.request('DELETE', NP('team-a', 'ztgate-default-deny'));
      await waitFor(hasBoth('team-a'), 5000, () => 'policy not re-created');
    });

    it('restores an edited policy', async () => {
      const current = await rest.request<Record<string, unknown>>('GET', NP('team-a', 'ztgate-default-deny'));
      await rest.request('PUT', NP('team-a', 'ztgate-default-deny'), {
        body: { ...current, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}] } },
      });
      await waitFor(
        async () => {
          const spec = (
            await rest.request<{ spec: Record<string, unknown> }>('GET', NP('team-a', 'ztgate-default-deny'))
          ).spec;
          return spec['ingress'] === undefined;
        },
        5000,
        () => 'policy not restored',
      );
    });

    it('writes nothing for a server-side dry-run namespace creation', async () => {
      const before = replicas['a']!.writes.length;
      await rest.request('POST', NS(), { query: { dryRun: 'All' }, body: { metadata: { name: 'dry' } } });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await expect(rest.request('GET', NS('dry'))).rejects.toMatchObject({ statusCode: 404 });
      expect(replicas['a']!.writes.slice(before)).toEqual([]);
    });

    it('copies the trust bundle into namespaces within seconds, audit ones too, and propagates a changed source', async () => {
      const writes = replicas['a']!.writes;
      const before = writes.length;
      await rest.request('POST', CM('ztgate-system'), {
        body: { metadata: { name: BUNDLE }, data: { 'ca.crt': 'root-1' } },
      });
      // An existing namespace gets its copy once the source appears; a new one within seconds.
      await waitFor(
        async () => (await copiedCa('team-a')) === 'root-1',
        5000,
        () => 'team-a: no copy',
      );
      const started = Date.now();
      await createNamespace('team-tb');
      await waitFor(
        async () => (await copiedCa('team-tb')) === 'root-1',
        5000,
        () => 'team-tb: no copy',
      );
      expect(Date.now() - started).toBeLessThan(5000);
      const copy = await rest.request<{ metadata: { labels: Record<string, string> } }>(
        'GET',
        CM('team-tb', BUNDLE),
      );
      expect(copy.metadata.labels['app.kubernetes.io/managed-by']).toBe('ztgate');
      // Audit namespaces get it (their pods are injected); exempt ones do not.
      expect([await copiedCa('switch-0'), await copiedCa('switch-1')]).toEqual(['root-1', undefined]);

      const source = await rest.request<Record<string, unknown>>('GET', CM('ztgate-system', BUNDLE));
      await rest.request('PUT', CM('ztgate-system', BUNDLE), {
        body: { ...source, data: { 'ca.crt': 'root-2' } },
      });
      for (const ns of ['team-a', 'team-tb']) {
        await waitFor(
          async () => (await copiedCa(ns)) === 'root-2',
          5000,
          () => `${ns}: not updated`,
        );
      }
      // A deleted copy returns; exempt namespaces get none.
      await rest.request('DELETE', CM('team-a', BUNDLE));
      await waitFor(
        async () => (await copiedCa('team-a')) === 'root-2',
        5000,
        () => 'copy not re-created',
      );
      expect(await copiedCa('kube-system')).toBeUndefined();
      const bundleWrites = writes.slice(before).filter((write) => write.kind === 'ConfigMap');
      const expected = ['team-a', 'team-tb'].flatMap((ns) => [`create ${ns}`, `replace ${ns}`]);
      expect(bundleWrites.map((write) => `${write.action} ${write.namespace}`)).toEqual(
        expect.arrayContaining([...expected, 'create team-a']),
      );
      expect(bundleWrites.filter((write) => ['switch-1', 'kube-system'].includes(write.namespace))).toEqual(
        [],
      );
    });

    it('lets only the leader write: the Lease names it and the follower wrote nothing', async () => {
      expect(await leaseHolder()).toBe('replica-a');
      expect([replicas['a']!.controllers.isLeader(), replicas['b']!.controllers.isLeader()]).toEqual([
        true,
        false,
      ]);
      expect(replicas['a']!.writes.length).toBeGreaterThanOrEqual(4);
      expect(replicas['b']!.writes).toEqual([]);
    });

    it('hands over to the follower when the leader stops', async () => {
      await replicas['a']!.controllers.stop();
      delete replicas['a'];
      await waitFor(
        async () => replicas['b']!.controllers.isLeader(),
        10_000,
        () => 'b never took over',
      );
      expect(await leaseHolder()).toBe('replica-b');
      await createNamespace('team-b');
      await waitFor(hasBoth('team-b'), 5000, () => 'b did not create the policies');
      await waitFor(
        async () => (await copiedCa('team-b')) === 'root-2',
        5000,
        () => 'b did not copy the bundle',
      );
      expect(replicas['b']!.writes.map((write) => `${write.kind} ${write.namespace}`)).toEqual([
        'NetworkPolicy team-b',
        'NetworkPolicy team-b',
        'ConfigMap team-b',
      ]);
    });
  });
});
