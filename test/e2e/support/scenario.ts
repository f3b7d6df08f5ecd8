/**
 * One e2e scenario: a fresh control plane, ztgate serving it from outside with the given config,
 * and the webhook configurations from manifests/ registered.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../control-plane.js';
import { kubectl, kubectlOk, type KubectlTarget } from './kubectl.js';
import { waitFor } from './processes.js';
import {
  createServingCert,
  labelExemptNamespaces,
  registerWebhooks,
  startZtgate,
  type ServingCert,
  type Ztgate,
} from './ztgate.js';

/** The system namespaces, which 1.21+ labels with kubernetes.io/metadata.name. */
const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** A running scenario. */
export interface Scenario {
  readonly cp: ControlPlane;
  readonly cert: ServingCert;
  /** The current ztgate (replaced by restartZtgate). */
  ztgate: Ztgate | undefined;
  readonly admin: KubectlTarget;
  readonly user: KubectlTarget;
  /** Creates a namespace with `labels`, binds the developers to `edit` in it, and waits for its default deny if `waitForDefaultDeny` (default: when the labels leave it enforced). */
  createNamespace(
    name: string,
    options?: { labels?: Record<string, string>; waitForDefaultDeny?: boolean },
  ): Promise<void>;
  /** Stops ztgate (the webhook configurations stay registered). */
  stopZtgate(): Promise<void>;
  /** Starts ztgate again on the same port, with another config when given. */
  restartZtgate(config?: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a scenario with ztgate `config` (merged by ztgate over its defaults). */
export async function startScenario(config: Record<string, unknown> = {}): Promise<Scenario> {
  const cp = await startControlPlane();
  try {
    const admin = { kubectl: cp.kubectl, kubeconfig: cp.adminKubeconfig };
    const user = { kubectl: cp.kubectl, kubeconfig: cp.userKubeconfig };
    for (const ns of SYSTEM_NAMESPACES) {
      await kubectlOk(admin, ['label', '--overwrite', 'namespace', ns, `kubernetes.io/metadata.name=${ns}`]);
    }
    // ztgate-system as manifests/namespace.yaml makes it: labelled exempt.
    await labelExemptNamespaces(cp, ['ztgate-system']);
    const cert = await createServingCert(mkdtempSync(join(cp.dir, 'certs-')));
    const first = await startZtgate(cp, config, cert);
    const port = Number(new URL(first.url).port);
    // The admin's install: manifests/, or manifests-builtin/ under ztgate's own injector.
    const mesh = config['mesh'] as { provider?: string } | undefined;
    await registerWebhooks(cp, first.url, cert.caFile, { builtin: mesh?.provider === 'builtin' });
    const scenario: Scenario = {
      cp,
      cert,
      ztgate: first,
      admin,
      user,
      async createNamespace(name, options = {}) {
        // Created with its labels at once: an audit namespace is never enforced, not even for a moment.
        const labels = options.labels ?? {};
        const manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
        await kubectlOk(admin, ['create', '-f', '-'], JSON.stringify(manifest));
        await kubectlOk(admin, [
          'create',
          'rolebinding',
          'developers-edit',
          '--clusterrole=edit',
          `--group=${cp.user.group}`,
          '-n',
          name,
        ]);
        // ztgate creates nothing that enforces in an audit or exempt namespace.
        const enforced = labels['ztgate.dev/mode'] !== 'audit' && labels['ztgate.dev/exempt'] !== 'true';
        if (options.waitForDefaultDeny ?? enforced) {
          await waitFor(
            async () =>
              (await kubectl(admin, ['get', 'networkpolicy', 'ztgate-default-deny', '-n', name])).code === 0,
            15_000,
            () => `no ztgate-default-deny in ${name} after 15 s`,
          );
        }
      },
      async stopZtgate() {
        await scenario.ztgate?.stop();
        scenario.ztgate = undefined;
      },
      async restartZtgate(next = config) {
        await scenario.stopZtgate();
        scenario.ztgate = await startZtgate(cp, next, cert, { port });
      },
      async stop() {
        await scenario.stopZtgate();
        await cp.stop();
      },
    };
    return scenario;
  } catch (error) {
    await cp.stop();
    throw error;
  }
}
