import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { text as readStream } from 'node:stream/consumers';
import { Option, type Command } from 'commander';
import { isExemptNamespace, type ZtgateConfig } from '../policy/config.js';
import { findPodTemplate, injectPodTemplate } from '../policy/sidecar/index.js';
import type { KubeObject } from '../policy/types.js';
import { joinDocuments, readDocuments, writeDocument, type RawDocument } from './inject-documents.js';
import { readConfig } from './read-config.js';
import { UsageError } from './usage-error.js';

/** One manifest file's text and where it came from. */
export interface ManifestSource {
  readonly source: string;
  readonly text: string;
}

/** One input document and its injected form; `changed` false means it prints as written. */
export interface InjectedDocument {
  readonly raw: RawDocument;
  /** The object, or null for an empty document (a trailing `---`). */
  readonly object: unknown;
  readonly changed: boolean;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

async function readSource(path: string): Promise<ManifestSource[]> {
  try {
    if (path === '-') return [{ source: '<stdin>', text: await readStream(process.stdin) }];
    if (!(await stat(path)).isDirectory()) return [{ source: path, text: await readFile(path, 'utf8') }];
    // Like `kubectl apply -f dir/`: the folder's manifest files, in name order, not recursive.
    const names = (await readdir(path)).filter((name) =>
      MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext)),
    );
    const files = names.sort().map((name) => join(path, name));
    return Promise.all(files.map(async (file) => ({ source: file, text: await readFile(file, 'utf8') })));
  } catch (error) {
    throw new UsageError(`${path}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function injectObject(object: unknown, config: ZtgateConfig, fallback: string, notes: string[]): unknown {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return object;
  const kube = object as KubeObject;
  if (kube.kind === 'List' && Array.isArray(kube['items'])) {
    const items: unknown[] = kube['items'];
    const injected = items.map((item) => injectObject(item, config, fallback, notes));
    return injected.every((item, index) => item === items[index]) ? object : { ...kube, items: injected };
  }
  const template = findPodTemplate(kube);
  if (template === undefined) return object;
  const namespace = kube.metadata?.namespace ?? fallback;
  const label = `${kube.kind}/${kube.metadata?.name ?? '<unnamed>'}`;
  // The same choice the webhook makes: exempt namespaces are never mutated.
  if (isExemptNamespace(config, namespace)) {
    notes.push(`${label}: not injected, namespace "${namespace}" is exempt`);
    return object;
  }
  const spec = template.pod['spec'] as Record<string, unknown> | undefined;
  if (spec?.['hostNetwork'] === true) {
    notes.push(
      `${label}: not injected, hostNetwork pods are refused in enforced namespaces (no-host-network)`,
    );
  }
  return injectPodTemplate(kube, config.sidecar, namespace);
}

/**
 * Parses every source as kubectl does (YAML 1.1 via go-yaml.ts) and adds the sidecar to each pod
 * template; other documents pass through as written.
 */
export function injectManifests(
  sources: readonly ManifestSource[],
  config: ZtgateConfig,
  namespace: string,
): { documents: InjectedDocument[]; notes: string[] } {
  const documents: InjectedDocument[] = [];
  const notes: string[] = [];
  for (const { source, text } of sources) {
    for (const raw of readDocuments(text).documents) {
      const error = raw.document.errors[0];
      if (error !== undefined)
        throw new UsageError(`${source}: invalid YAML: ${error.message.split('\n')[0]?.replace(/:$/, '')}`);
      let value: unknown;
      try {
        value = raw.document.toJS({ maxAliasCount: 100 });
      } catch (failure) {
        throw new UsageError(`${source}: cannot read: ${(failure as Error).message}`);
      }
      const object = value === undefined ? null : injectObject(value, config, namespace, notes);
      documents.push({ raw, object, changed: object !== value && value !== undefined });
    }
  }
  return { documents, notes };
}

/** Renders documents as multi-document YAML; unchanged ones byte for byte as they were written. */
export function renderYaml(documents: readonly InjectedDocument[]): string {
  const parts = documents.map(({ raw, object, changed }) => ({
    text: changed ? writeDocument(raw, object) : raw.lead + raw.text,
    marked: raw.marked,
  }));
  return joinDocuments(parts);
}

/** Renders documents as JSON: the object itself when there is one, else a v1 List (as kubectl does). */
export function renderJson(documents: readonly InjectedDocument[]): string {
  const objects = documents.map((document) => document.object).filter((object) => object !== null);
  const value = objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
  return `${JSON.stringify(value, null, 2)}\n`;
}

interface InjectOptions {
  readonly filename: string[];
  readonly config?: string;
  readonly namespace: string;
  readonly output: 'yaml' | 'json';
}

async function runInject(options: InjectOptions): Promise<void> {
  const config = await readConfig(options.config);
  if (config.mesh.provider !== 'builtin') {
    throw new UsageError(
      `inject adds ztgate's builtin sidecar (mesh.provider: builtin); with mesh.provider ${config.mesh.provider} ` +
        "the mesh's own injector adds its proxy (istioctl kube-inject, linkerd inject)",
    );
  }
  const sources = (await Promise.all(options.filename.map(readSource))).flat();
  const { documents, notes } = injectManifests(sources, config, options.namespace);
  for (const note of notes) process.stderr.write(`ztgate inject: ${note}\n`);
  process.stdout.write(options.output === 'json' ? renderJson(documents) : renderYaml(documents));
  process.exitCode = 0;
}

/** Registers `ztgate inject`: prints the manifests with the mTLS sidecar added to every pod template. */
export function registerInjectCommand(program: Command): void {
  program
    .command('inject')
    .description(
      'Print manifests with the ztgate mTLS sidecar added to every pod template (like istioctl kube-inject)',
    )
    .requiredOption(
      '-f, --filename <path...>',
      'manifest files or folders (YAML/JSON, multi-document); - reads stdin',
    )
    .option('--config <file>', 'ztgate config file (sidecar settings, exempt namespaces)')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (options: InjectOptions) => runInject(options));
}
