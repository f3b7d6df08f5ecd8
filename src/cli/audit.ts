import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
// Module by module, not the index: load-kube-config.js (the Kubernetes client) is loaded on use.
import { applyReports } from '../adapters/kube/apply-reports.js';
import { createKubeRest, type KubeRest } from '../adapters/kube/kube-rest.js';
import { listClusterObjects } from '../adapters/kube/list-cluster.js';
import { readMeshInjector } from '../adapters/kube/read-injector.js';
import { InputError, loadStateDir } from '../adapters/state-dir/index.js';
import { formatAuditText } from '../policy/audit/format-text.js';
import { buildPolicyReports } from '../policy/audit/policy-report.js';
import { scanClusterView, type AuditScan } from '../policy/audit/scan.js';
import { createClusterView } from '../policy/cluster-view.js';
import type { ZtgateConfig } from '../policy/config.js';
import { judgeInjector, type InjectorStatus } from '../policy/mesh/injector.js';
import type { ClusterView } from '../policy/types.js';
import { readConfig } from './read-config.js';
import { UsageError } from './usage-error.js';

interface AuditOptions {
  readonly kubeconfig?: string;
  readonly inCluster?: boolean;
  readonly state?: string;
  readonly config?: string;
  readonly output: 'text' | 'json' | 'policyreport';
  readonly apply?: boolean;
}

/** Progress on a terminal only: a pipe or a CI log gets no carriage-return noise. */
function progressWriter(): ((text: string) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (text) => process.stderr.write(`\r\u001b[K${text}`);
}

async function connect(options: AuditOptions): Promise<KubeRest> {
  // The Kubernetes client is loaded only when a cluster is read (it is most of the CLI's start-up).
  const { loadKubeConfig } = await import('../adapters/kube/load-kube-config.js');
  try {
    return createKubeRest(loadKubeConfig({ kubeconfig: options.kubeconfig, inCluster: options.inCluster }));
  } catch (error) {
    throw new UsageError(`audit: ${(error as Error).message}`);
  }
}

async function readView(
  options: AuditOptions,
  config: ZtgateConfig,
  rest: KubeRest | undefined,
): Promise<ClusterView> {
  const istioRootNamespace = config.istioRootNamespace;
  if (rest === undefined) {
    try {
      const objects = await loadStateDir(options.state ?? '');
      // A wrong path must not read as a clean cluster.
      if (objects.length === 0)
        throw new UsageError(`--state ${options.state ?? ''}: no Kubernetes objects found in it`);
      return createClusterView(objects, { istioRootNamespace });
    } catch (error) {
      if (error instanceof InputError) throw new UsageError(error.message);
      throw error;
    }
  }
  const progress = progressWriter();
  try {
    const objects = await listClusterObjects(rest, ({ done, total, resource }) =>
      progress?.(`listing ${resource} (${done}/${total})`),
    );
    return createClusterView(objects, { istioRootNamespace, serviceAccountsComplete: true });
  } catch (error) {
    throw new UsageError(`cannot read the cluster: ${(error as Error).message}`);
  }
}

/** The mesh injector check, in cluster mode only: a state folder does not say what is installed. */
async function checkInjector(
  rest: KubeRest | undefined,
  config: ZtgateConfig,
): Promise<InjectorStatus | undefined> {
  if (rest === undefined) return undefined;
  try {
    return judgeInjector(config, await readMeshInjector(rest, config));
  } catch (error) {
    throw new UsageError(`cannot read the mesh injector: ${(error as Error).message}`);
  }
}

function render(scan: AuditScan, output: AuditOptions['output'], reports: readonly object[]): string {
  if (output === 'json') {
    const { scanned, findings, notEnforced } = scan;
    return `${JSON.stringify({ scanned, findings, notEnforced }, null, 2)}\n`;
  }
  if (output === 'policyreport') return reports.map((report) => stringify(report)).join('---\n');
  return formatAuditText(scan);
}

async function apply(rest: KubeRest, reports: Parameters<typeof applyReports>[1]): Promise<void> {
  const result = await applyReports(rest, reports).catch((error: unknown) => {
    throw new UsageError(`cannot write the reports: ${(error as Error).message}`);
  });
  if (result.crdsMissing.length > 0) {
    throw new UsageError(
      `cannot apply: the cluster does not serve ${result.crdsMissing.join(' and ')} (wgpolicyk8s.io/v1alpha2); ` +
        'install the PolicyReport CRDs (kubernetes-sigs/wg-policy-prototypes, policy-report/crd/v1alpha2) and re-run',
    );
  }
  const { created, replaced, unchanged } = result;
  process.stderr.write(
    `ztgate: reports applied (${created} created, ${replaced} replaced, ${unchanged} unchanged)\n`,
  );
}

/** Registers `ztgate audit`: what the cluster (or a state folder) holds that ztgate would refuse today. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'Audit a cluster or state folder: namespaces without default deny, refused workloads, allow-all policies',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--in-cluster', 'use the pod ServiceAccount credentials')
    .option('--state <dir>', 'audit a folder of YAML/JSON instead of a cluster')
    .option('--config <file>', 'ztgate config file')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json', 'policyreport'])
        .default('text'),
    )
    .option('--apply', 'write the PolicyReports and ClusterPolicyReport to the cluster')
    .action(async (options: AuditOptions) => {
      if (options.state !== undefined && (options.kubeconfig !== undefined || options.inCluster)) {
        throw new UsageError('audit: --state cannot be combined with --kubeconfig or --in-cluster');
      }
      if (options.state !== undefined && options.apply)
        throw new UsageError('audit: --apply needs a cluster, not --state');
      const config = await readConfig(options.config);
      const rest = options.state === undefined ? await connect(options) : undefined;
      const view = await readView(options, config, rest);
      const injector = await checkInjector(rest, config);
      const progress = progressWriter();
      const scan = scanClusterView(view, config, (done, total) => progress?.(`judging ${done}/${total}`), {
        injector,
      });
      progress?.('');
      const reports = buildPolicyReports(scan, Math.floor(Date.now() / 1000));
      process.stdout.write(render(scan, options.output, reports));
      if (options.apply && rest !== undefined) await apply(rest, reports);
      process.exitCode = scan.findings.length > 0 ? 1 : 0;
    });
}
