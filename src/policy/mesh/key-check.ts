/** Judging a pod's (or namespace's) labels and annotations against the configured mesh's keys. */
import type { ZtgateConfig } from '../config.js';
import type { Labels } from '../types.js';
import { isApproved, type ApprovedItems } from './exceptions.js';
import { allowedProxyImages, meshProvider } from './index.js';
import type { KeyContext, MeshKey } from './provider.js';

/** One label or annotation whose value opts out, narrows capture or weakens the proxy. */
export interface KeyProblem {
  readonly where: 'labels' | 'annotations';
  readonly key: string;
  readonly value: string;
  /** Why this value is a bypass. */
  readonly reason: string;
  readonly meshKey: MeshKey;
}

/** What the judged metadata is: a Pod's (the mesh may have written some keys) or a template's. */
export interface KeyCheckOptions {
  readonly onPod: boolean;
  readonly approved: ApprovedItems;
  /** Keys to leave to another rule (Linkerd's namespace inject annotation is enrolment's). */
  readonly skip?: readonly string[];
}

function matches(meshKey: MeshKey, key: string): boolean {
  return meshKey.prefix === true ? key.startsWith(meshKey.key) : key === meshKey.key;
}

/** Every bypass among `labels` and `annotations` for the configured mesh, in key order. */
export function findKeyProblems(
  metadata: { readonly labels: Labels; readonly annotations: Labels },
  config: ZtgateConfig,
  options: KeyCheckOptions,
): KeyProblem[] {
  const context: KeyContext = { proxyImages: allowedProxyImages(config), onPod: options.onPod };
  const problems: KeyProblem[] = [];
  for (const where of ['labels', 'annotations'] as const) {
    for (const [key, value] of Object.entries(metadata[where])) {
      if (options.skip?.includes(key)) continue;
      const meshKey = meshProvider(config).keys.find((candidate) => matches(candidate, key));
      if (meshKey === undefined) continue;
      const reason = meshKey.judge(value, context);
      if (reason === undefined) continue;
      const alone = (item: string): boolean => meshKey.judge(item, context) === undefined;
      if (where === 'annotations' && isApproved(meshKey, value, options.approved, alone)) continue;
      problems.push({ where, key, value, reason, meshKey });
    }
  }
  return problems.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
