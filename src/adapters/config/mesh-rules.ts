import type { ZtgateConfig } from '../../policy/config.js';
import { meshProvider, type MeshKey } from '../../policy/mesh/index.js';
import { parsePortList } from '../../policy/mesh/values.js';
import type { ConfigIssue } from './load-config.js';
import { cidr } from './schema-nodes.js';

/**
 * The `mesh` section's rules that span keys, run once every key has the right shape: the builtin
 * provider needs the admin's images, and each exception must name a capture exclusion the
 * configured mesh reads, with a value it can read.
 */
export function findMeshIssues(config: ZtgateConfig): ConfigIssue[] {
  return [...builtinImages(config), ...revision(config), ...exceptions(config)];
}

function builtinImages(config: ZtgateConfig): ConfigIssue[] {
  if (config.mesh.provider !== 'builtin') return [];
  const missing = (['image', 'initImage'] as const).filter((key) => config.sidecar[key] === '');
  return missing.map((key) => ({
    path: `sidecar.${key}`,
    message:
      'required with mesh.provider: builtin (ztgate ships no proxy images): set sidecar.image and ' +
      "sidecar.initImage to your proxy's images (README: the proxy images' contract), or choose " +
      'mesh.provider istio, istio-ambient or linkerd',
  }));
}

function revision(config: ZtgateConfig): ConfigIssue[] {
  if (config.mesh.revision === '' || config.mesh.provider === 'istio') return [];
  return [
    {
      path: 'mesh.revision',
      message: `only mesh.provider istio enrols namespaces by revision (provider is ${config.mesh.provider})`,
    },
  ];
}

const INTERFACE = /^[A-Za-z0-9._-]{1,15}$/;

/** Why an exception's value is unreadable for what its key lists; undefined when fine. */
function valueProblem(kind: NonNullable<MeshKey['exception']>, value: string): string | undefined {
  const items = value.split(',').map((item) => item.trim());
  if (value.trim() === '') return 'an empty value excludes nothing: drop the entry';
  if (kind === 'ports')
    return parsePortList(value) === undefined ? 'expected ports such as 25,587' : undefined;
  if (kind === 'interfaces')
    return items.every((item) => INTERFACE.test(item)) ? undefined : 'expected interface names such as eth1';
  for (const item of items) {
    const bad = cidr(item);
    if (bad !== undefined) return `${bad}, got ${JSON.stringify(item)}`;
    if (item.endsWith('/0')) return `${item} excludes every destination from capture`;
  }
  return undefined;
}

function exceptions(config: ZtgateConfig): ConfigIssue[] {
  const provider = meshProvider(config);
  const qualifying = provider.keys.filter((key) => key.exception !== undefined);
  const issues: ConfigIssue[] = [];
  config.mesh.exceptions.forEach((entry, index) => {
    const base = `mesh.exceptions[${index}].annotations`;
    if (Object.keys(entry.annotations).length === 0)
      issues.push({ path: base, message: 'lists no annotation: drop the entry' });
    for (const [key, value] of Object.entries(entry.annotations)) {
      const known = qualifying.find((candidate) => candidate.key === key);
      if (known?.exception === undefined) {
        const names = qualifying.map((candidate) => candidate.key).join(', ') || 'none';
        issues.push({
          path: `${base}.${key}`,
          message:
            `not a capture exclusion mesh.provider ${provider.name} reads (exceptions may name: ${names}); ` +
            'an opt-out is no exception: list the namespace in exemptNamespaces instead',
        });
        continue;
      }
      const problem = valueProblem(known.exception, value);
      if (problem !== undefined) issues.push({ path: `${base}.${key}`, message: problem });
    }
  });
  return issues;
}
