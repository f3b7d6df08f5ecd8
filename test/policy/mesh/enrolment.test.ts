import jsonpatch from 'jsonpatch';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import { buildEnrolmentJsonPatch } from '../../../src/policy/mesh/enrolment-patch.js';
import { enrolmentOptOut, enrolmentPatch, isEnrolled } from '../../../src/policy/mesh/enrolment.js';
import type { KubeObject } from '../../../src/policy/types.js';

function configOf(
  provider: ZtgateConfig['mesh']['provider'],
  revision = '',
  mode: ZtgateConfig['mode'] = 'enforce',
): ZtgateConfig {
  return { ...DEFAULT_CONFIG, mode, mesh: { ...DEFAULT_CONFIG.mesh, provider, revision } };
}

const istio = configOf('istio');
const canary = configOf('istio', 'canary');
const ambient = configOf('istio-ambient');
const linkerd = configOf('linkerd');
const builtin = configOf('builtin');

const ns = (
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  name = 'shop',
) => ({
  name,
  labels,
  annotations,
});

describe('isEnrolled: as the meshes select namespaces', () => {
  it.each([
    // Istio's default revision: the `namespace.` webhook, or `rev.namespace.` with rev=default.
    ['istio: istio-injection=enabled', istio, ns({ 'istio-injection': 'enabled' }), true],
    ['istio: istio.io/rev=default alone', istio, ns({ 'istio.io/rev': 'default' }), true],
    [
      'istio: istio-injection=enabled wins over another revision',
      istio,
      ns({ 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }),
      true,
    ],
    [
      'istio: disabled silences istio.io/rev',
      istio,
      ns({ 'istio-injection': 'disabled', 'istio.io/rev': 'default' }),
      false,
    ],
    ['istio: selectors match values exactly (Enabled)', istio, ns({ 'istio-injection': 'Enabled' }), false],
    ['istio: another revision only', istio, ns({ 'istio.io/rev': 'canary' }), false],
    ['istio: no mark', istio, ns(), false],
    ['istio: the mark as an annotation is no mark', istio, ns({}, { 'istio-injection': 'enabled' }), false],
    ['istio revision: istio.io/rev', canary, ns({ 'istio.io/rev': 'canary' }), true],
    [
      'istio revision: istio-injection makes Istio ignore istio.io/rev',
      canary,
      ns({ 'istio.io/rev': 'canary', 'istio-injection': 'enabled' }),
      false,
    ],
    ['istio revision: the default revision', canary, ns({ 'istio-injection': 'enabled' }), false],
    ['ambient: dataplane-mode=ambient', ambient, ns({ 'istio.io/dataplane-mode': 'ambient' }), true],
    [
      'ambient: a sidecar mark takes pods out of ambient',
      ambient,
      ns({ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }),
      false,
    ],
    ['ambient: none', ambient, ns({ 'istio.io/dataplane-mode': 'none' }), false],
    ['linkerd: the annotation', linkerd, ns({}, { 'linkerd.io/inject': 'enabled' }), true],
    ['linkerd: a label is not read', linkerd, ns({ 'linkerd.io/inject': 'enabled' }), false],
    ['linkerd: values are exact', linkerd, ns({}, { 'linkerd.io/inject': 'Enabled' }), false],
    ['builtin: ztgate selects every namespace it does not exempt', builtin, ns(), true],
  ])('%s', (_name, config, namespace, expected) => {
    expect(isEnrolled(namespace, config)).toBe(expected);
  });
});

describe('enrolmentOptOut', () => {
  it.each([
    ['istio: disabled', istio, ns({ 'istio-injection': 'disabled' }), 'istio-injection'],
    ['istio: enabled is none', istio, ns({ 'istio-injection': 'enabled' }), undefined],
    [
      'istio revision: enabled is the wrong injector, not an opt-out',
      canary,
      ns({ 'istio-injection': 'enabled' }),
      undefined,
    ],
    ['ambient: none', ambient, ns({ 'istio.io/dataplane-mode': 'none' }), 'istio.io/dataplane-mode'],
    ['ambient: a sidecar mark', ambient, ns({ 'istio-injection': 'enabled' }), 'istio-injection'],
    ['linkerd: disabled', linkerd, ns({}, { 'linkerd.io/inject': 'disabled' }), 'linkerd.io/inject'],
    ['linkerd: no annotation', linkerd, ns(), undefined],
  ])('%s', (_name, config, namespace, key) => {
    expect(enrolmentOptOut(namespace, config)?.key).toBe(key);
  });
});

describe('enrolmentPatch: what /mutate and the controller set', () => {
  it.each([
    [
      'istio: the default revision label',
      istio,
      ns(),
      { set: [{ where: 'labels', key: 'istio-injection', value: 'enabled' }], removeLabels: [] },
    ],
    [
      'istio revision: istio.io/rev, and the label that would override it removed',
      canary,
      ns({ 'istio-injection': 'enabled' }),
      { set: [{ where: 'labels', key: 'istio.io/rev', value: 'canary' }], removeLabels: ['istio-injection'] },
    ],
    [
      'ambient: the dataplane mode',
      ambient,
      ns(),
      { set: [{ where: 'labels', key: 'istio.io/dataplane-mode', value: 'ambient' }], removeLabels: [] },
    ],
    [
      'linkerd: injection and a default policy that requires mTLS',
      linkerd,
      ns({}, { 'config.linkerd.io/default-inbound-policy': 'all-unauthenticated' }),
      {
        set: [
          { where: 'annotations', key: 'linkerd.io/inject', value: 'enabled' },
          {
            where: 'annotations',
            key: 'config.linkerd.io/default-inbound-policy',
            value: 'all-authenticated',
          },
        ],
        removeLabels: [],
      },
    ],
  ])('%s', (_name, config, namespace, expected) => {
    expect(enrolmentPatch(namespace, config)).toEqual(expected);
  });

  it.each([
    ['an enrolled namespace', istio, ns({ 'istio-injection': 'enabled' })],
    [
      'linkerd, enrolled with a strict policy',
      linkerd,
      ns({}, { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'deny' }),
    ],
    ['audit mode (config)', configOf('istio', '', 'audit'), ns()],
    ['audit mode (namespace label)', istio, ns({ 'ztgate.dev/mode': 'audit' })],
    ['an exempt namespace (config)', istio, ns({}, {}, 'kube-system')],
    ["ztgate's own namespace", istio, ns({}, {}, 'ztgate-system')],
    ['an exempt namespace (label)', istio, ns({ 'ztgate.dev/exempt': 'true' })],
    ["an admin's explicit opt-out", istio, ns({ 'istio-injection': 'disabled' })],
    ['the builtin provider', builtin, ns()],
  ])('changes nothing for %s', (_name, config, namespace) => {
    expect(enrolmentPatch(namespace, config)).toBeUndefined();
  });
});

describe('buildEnrolmentJsonPatch', () => {
  const object = (metadata: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata,
  });

  it.each([
    [
      'a namespace without labels',
      istio,
      object({ name: 'shop' }),
      [{ op: 'add', path: '/metadata/labels', value: { 'istio-injection': 'enabled' } }],
    ],
    [
      'a namespace with labels (the key escaped)',
      canary,
      object({ name: 'shop', labels: { team: 'a', 'istio-injection': 'enabled' } }),
      [
        { op: 'remove', path: '/metadata/labels/istio-injection' },
        { op: 'add', path: '/metadata/labels/istio.io~1rev', value: 'canary' },
      ],
    ],
    [
      'linkerd, replacing a weak default policy',
      linkerd,
      object({ name: 'shop', annotations: { 'config.linkerd.io/default-inbound-policy': 'audit' } }),
      [
        { op: 'add', path: '/metadata/annotations/linkerd.io~1inject', value: 'enabled' },
        {
          op: 'replace',
          path: '/metadata/annotations/config.linkerd.io~1default-inbound-policy',
          value: 'all-authenticated',
        },
      ],
    ],
  ])('%s: the patch, applied, enrols; applied twice, it is empty', (_name, config, namespace, expected) => {
    const ops = buildEnrolmentJsonPatch(namespace, config);
    expect(ops).toEqual(expected);
    const patched = jsonpatch.apply_patch(namespace, ops) as KubeObject;
    const meta = patched.metadata ?? {};
    expect(isEnrolled({ labels: meta.labels ?? {}, annotations: meta.annotations ?? {} }, config)).toBe(true);
    expect(buildEnrolmentJsonPatch(patched, config)).toEqual([]);
  });

  it.each([
    ['no name', object({})],
    ['another kind', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop' } }],
    [
      'metadata that is no object',
      { apiVersion: 'v1', kind: 'Namespace', metadata: 'x' } as unknown as KubeObject,
    ],
  ])('is empty for %s', (_name, namespace) => {
    expect(buildEnrolmentJsonPatch(namespace, istio)).toEqual([]);
  });
});
