/**
 * What cluster mode pays to publish a view after a change: re-indexing every object (a relist)
 * against rebuilding one namespace's partition and linking the partitions.
 * Run on a state folder the benchmark generated:
 * `node --import tsx test/bench/view-publish.ts .bench/state-scale1-seed42`.
 */
import { loadStateDir } from '../../src/adapters/state-dir/index.js';
import { normalizePolicy } from '../../src/policy/policies/index.js';
import type { ViewLayer } from '../../src/policy/view-layer.js';
import {
  buildPartition,
  composePartitions,
  groupByPartition,
  type GatheredPartition,
} from '../../src/policy/view-partitions.js';

const ROOT = 'istio-system';
const CHANGES = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: view-publish.ts STATE_DIR');
  const objects = await loadStateDir(dir);
  const groups = groupByPartition(objects, (policy) => normalizePolicy(policy, { istioRootNamespace: ROOT }));
  const options = { istioRootNamespace: ROOT, serviceAccountsComplete: true };
  const partitions = new Map<string, ViewLayer>();
  const fullStart = performance.now();
  for (const [partition, group] of groups) partitions.set(partition, buildPartition(group, ROOT));
  composePartitions(partitions, options);
  const fullMs = performance.now() - fullStart;
  const namespaces = [...groups.keys()].filter((partition) => partition !== '');
  const times: number[] = [];
  for (let index = 0; index < CHANGES; index += 1) {
    const namespace = namespaces[(index * 37) % namespaces.length] as string;
    const start = performance.now();
    partitions.set(namespace, buildPartition(groups.get(namespace) as GatheredPartition, ROOT));
    composePartitions(partitions, { ...options, revision: index + 1 });
    times.push(performance.now() - start);
  }
  process.stdout.write(
    `${objects.length} objects in ${groups.size} partitions\n` +
      `re-index everything (relist): ${fullMs.toFixed(0)} ms\n` +
      `one namespace changed: median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${CHANGES} changes\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`view-publish: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
