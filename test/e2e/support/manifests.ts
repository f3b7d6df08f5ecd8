/**
 * Reads the kustomize base in manifests/ and renders its webhook configurations for a ztgate
 * running outside the cluster (clientConfig.url instead of the in-cluster Service).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch, { type PatchOperation } from 'jsonpatch';
import { parse, parseAllDocuments } from 'yaml';

/** The repository's manifests/ folder. */
export const MANIFESTS_DIR = join(import.meta.dirname, '..', '..', '..', 'manifests');

/** The overlay for `mesh.provider: builtin`: the base plus the Pod mutation (manifests-builtin/). */
export const BUILTIN_DIR = join(import.meta.dirname, '..', '..', '..', 'manifests-builtin');

/** A Kubernetes object as read from YAML, loosely typed for assertions. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** Parses every YAML document of one file in manifests/; throws on a syntax error. */
export function readManifest(file: string, dir = MANIFESTS_DIR): ManifestObject[] {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
  if (!Array.isArray(docs)) return [];
  const objects: ManifestObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as ManifestObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/** One webhook of a webhook configuration, as far as the tests look at it. */
export interface WebhookSpec {
  name: string;
  clientConfig: {
    service?: { name: string; namespace: string; path: string; port?: number };
    url?: string;
    caBundle?: string;
  };
  rules: {
    apiGroups: string[];
    apiVersions: string[];
    operations: string[];
    resources: string[];
    scope?: string;
  }[];
  namespaceSelector?: { matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  [key: string]: unknown;
}

/** A webhook configuration object. */
export interface WebhookConfiguration extends ManifestObject {
  webhooks: WebhookSpec[];
}

/**
 * The webhook configurations an admin registers: webhooks.yaml, plus the Pod webhook of
 * manifests-builtin/ (its JSON patch applied to the MutatingWebhookConfiguration) when `builtin`.
 */
export function readWebhookConfigurations(options: { builtin?: boolean } = {}): WebhookConfiguration[] {
  const configurations = readManifest('webhooks.yaml') as WebhookConfiguration[];
  if (options.builtin !== true) return configurations;
  const overlay = readManifest('kustomization.yaml', BUILTIN_DIR)[0] as unknown as {
    patchesJson6902: { target: { kind: string; name: string }; path: string }[];
  };
  return configurations.map((configuration) =>
    overlay.patchesJson6902
      .filter(
        (patch) =>
          patch.target.kind === configuration.kind && patch.target.name === configuration.metadata.name,
      )
      .reduce(
        (patched, patch) =>
          jsonpatch.apply_patch(
            patched,
            parse(readFileSync(join(BUILTIN_DIR, patch.path), 'utf8')) as PatchOperation[],
          ),
        configuration,
      ),
  );
}

/**
 * webhooks.yaml (and the builtin overlay's Pod webhook when `builtin`) pointed at `baseUrl`
 * (https://127.0.0.1:<port>) with `caBundle` (PEM): the same rules, selectors and policies the
 * cluster install registers.
 */
export function renderWebhooksForUrl(
  baseUrl: string,
  caPem: string,
  options: { builtin?: boolean } = {},
): WebhookConfiguration[] {
  const caBundle = Buffer.from(caPem, 'utf8').toString('base64');
  return readWebhookConfigurations(options).map((config) => ({
    ...config,
    webhooks: config.webhooks.map((webhook) => {
      const path = webhook.clientConfig.service?.path ?? '/';
      return { ...webhook, clientConfig: { url: `${baseUrl}${path}`, caBundle } };
    }),
  }));
}
