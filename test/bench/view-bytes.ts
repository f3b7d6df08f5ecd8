/**
 * Bytes the server's view holds per object, by kind: the generated cluster's objects are added to
 * the view kind by kind (namespaces first, ReplicaSets last, so each finds what it refers to), the
 * view is rebuilt from freshly parsed JSON at each step as `serve --state` builds it, and the heap
 * after a full collection is compared with the step before. It measures dist/ (run `npm run
 * build` first), as the server runs: through tsx every function carries a `name` property of its
 * own (esbuild's keepNames), about 250 bytes per compiled selector.
 * --raw keeps the raw objects too, as `ztgate check` and `audit` do (a server's view does not).
 *   npm run build && node --import tsx test/bench/view-bytes.ts [--scale 1] [--raw] [--json FILE]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ClusterView, KubeObject } from '../../src/policy/types.js';
import { generateCluster } from './generate.js';

/**
 * The order kinds join the view, by `kind`. The generator makes only a few dozen cluster-wide
 * policies, too few to measure on their own (a collection moves the heap by more than they
 * hold), so they join the namespaced policies of their flavour.
 */
const STEPS: readonly { readonly label: string; readonly kinds: readonly string[] }[] = [
  { label: 'Namespace', kinds: ['Namespace'] },
  { label: 'ServiceAccount', kinds: ['ServiceAccount'] },
  { label: 'NetworkPolicy (Kubernetes)', kinds: ['NetworkPolicy'] },
  {
    label: 'Cilium CNP + CCNP, Calico GNP',
    kinds: ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy'],
  },
  { label: 'Istio AuthorizationPolicy', kinds: ['AuthorizationPolicy'] },
  { label: 'Deployment', kinds: ['Deployment'] },
  { label: 'ReplicaSet', kinds: ['ReplicaSet'] },
];

/** One step's figures. */
export interface KindBytes {
  readonly kind: string;
  readonly count: number;
  readonly bytesPerObject: number;
}

type Dist = typeof import('../../src/policy/cluster-view.js') &
  typeof import('../../src/policy/config.js') &
  typeof import('../../src/policy/policies/index.js') &
  typeof import('../../src/adapters/collect-garbage.js');

/** ztgate's built modules, as `serve` loads them. */
async function loadDist(): Promise<Dist> {
  const parts = await Promise.all(
    [
      'policy/cluster-view.js',
      'policy/config.js',
      'policy/policies/index.js',
      'adapters/collect-garbage.js',
    ].map((file) => import(new URL(`../../dist/${file}`, import.meta.url).href) as Promise<object>),
  );
  return Object.assign({}, ...parts) as Dist;
}

function heapAfterCollection({ collectGarbage }: Dist): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** The view `serve --state` would build from these objects' JSON text. */
function buildView(dist: Dist, json: string, raw: boolean): ClusterView {
  const { createClusterView, DEFAULT_CONFIG, deepFreeze, isPolicyObject } = dist;
  const objects = (JSON.parse(json) as KubeObject[]).map((object) =>
    isPolicyObject(object) ? deepFreeze(object) : object,
  );
  return createClusterView(objects, {
    istioRootNamespace: DEFAULT_CONFIG.istioRootNamespace,
    serviceAccountsComplete: true,
    retainObjects: raw,
  });
}

/** Measures each kind's bytes per object in a view of the generated cluster at `scale`. */
export async function measureViewBytes(scale: number, raw = false): Promise<KindBytes[]> {
  const dist = await loadDist();
  const objects = generateCluster({ scale, seed: 42 }).objects;
  const rows: KindBytes[] = [];
  const included: KubeObject[] = [];
  let view: ClusterView | undefined;
  let before = heapAfterCollection(dist);
  for (const { label, kinds } of STEPS) {
    const ofKind = objects.filter((object) => kinds.includes(object.kind ?? ''));
    if (ofKind.length === 0) continue;
    included.push(...ofKind);
    view = undefined;
    const json = JSON.stringify(included);
    view = buildView(dist, json, raw);
    const after = heapAfterCollection(dist) - json.length; // the text is not the view's
    rows.push({ kind: label, count: ofKind.length, bytesPerObject: (after - before) / ofKind.length });
    before = after;
  }
  if (view === undefined) throw new Error('no objects generated');
  return rows;
}

function format(rows: readonly KindBytes[]): string {
  const total = rows.reduce((sum, row) => sum + row.count * row.bytesPerObject, 0);
  const count = rows.reduce((sum, row) => sum + row.count, 0);
  const lines = rows.map(
    (row) =>
      `${row.kind.padEnd(32)} ${String(row.count).padStart(8)} ${row.bytesPerObject.toFixed(0).padStart(9)}`,
  );
  return [
    `${'kind'.padEnd(32)} ${'objects'.padStart(8)} ${'bytes/obj'.padStart(9)}`,
    ...lines,
    `${'all'.padEnd(32)} ${String(count).padStart(8)} ${(total / count).toFixed(0).padStart(9)}   (${(total / 2 ** 20).toFixed(1)} MiB)`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      raw: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const rows = await measureViewBytes(Number(values.scale), values.raw);
  process.stdout.write(`${format(rows)}\n`);
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify(rows, null, 2));
}

if (process.argv[1]?.endsWith('view-bytes.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`view-bytes: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
