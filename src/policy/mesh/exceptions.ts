/**
 * Admin-approved capture exclusions (`mesh.exceptions`): they live in ztgate's config, never on
 * the workload. An exception names a namespace, optionally the workload's top-level owner, and
 * annotation values; a workload's own value of such a key passes when each item it lists is an
 * item the exception lists (or one the mesh writes itself, such as Istio's 15020).
 */
import type { ZtgateConfig } from '../config.js';
import type { MeshKey } from './provider.js';

/** Per key, the items (ports, ranges, interfaces) an admin approved for one workload. */
export type ApprovedItems = ReadonlyMap<string, ReadonlySet<string>>;

const NONE: ApprovedItems = new Map();

/** The items of a comma-separated value, trimmed, empty ones dropped. */
export function listItems(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** What `mesh.exceptions` approves for a workload in `namespace` whose top-level owner is `owner`. */
export function approvedItems(config: ZtgateConfig, namespace: string, owner: string): ApprovedItems {
  const entries = config.mesh.exceptions.filter(
    (entry) => entry.namespace === namespace && (entry.workload === '' || entry.workload === owner),
  );
  if (entries.length === 0) return NONE;
  const approved = new Map<string, Set<string>>();
  for (const entry of entries) {
    for (const [key, value] of Object.entries(entry.annotations)) {
      let items = approved.get(key);
      if (items === undefined) approved.set(key, (items = new Set()));
      for (const item of listItems(value)) items.add(item);
    }
  }
  return approved;
}

/**
 * Whether an exception covers this value of a capture-exclusion key: every item is approved, or
 * is one the key's judge accepts alone (the mesh's own, like Istio's status port 15020).
 */
export function isApproved(
  key: MeshKey,
  value: string,
  approved: ApprovedItems,
  judgeAlone: (item: string) => boolean,
): boolean {
  const items = approved.get(key.key);
  if (key.exception === undefined || items === undefined) return false;
  return listItems(value).every((item) => items.has(item) || judgeAlone(item));
}
