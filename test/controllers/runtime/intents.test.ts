import { describe, expect, it } from 'vitest';
import { defaultDenyController, trustBundleController } from '../../../src/controllers/index.js';
import type { ControllerContext, EnsureIntent, Intent } from '../../../src/controllers/index.js';
import { namespaceMarks, unwanted } from '../../../src/controllers/runtime/intents.js';
import { BUILTIN_CONFIG } from '../../support/builtin-config.js';
import { namespaceEnforcement } from '../../../src/policy/desired/index.js';
import type { KubeObject } from '../../../src/policy/types.js';

const MANAGED = { 'app.kubernetes.io/managed-by': 'ztgate' };
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const DENY = { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
const shop = {
  name: 'shop',
  labels: {},
  object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
  enforcement: namespaceEnforcement(BUILTIN_CONFIG, 'shop', {}),
};
const source: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'ztgate-trust-bundle',
    namespace: 'ztgate-system',
    labels: { 'trust.cert-manager.io/bundle': 'mesh' },
  },
  data: { 'ca.crt': PEM },
};
const context: ControllerContext = {
  config: BUILTIN_CONFIG,
  watched: () => ({ synced: () => true, get: () => source, objectsIn: () => [source] }),
  view: () => undefined,
  serves: () => true,
};
const ensure = (intents: readonly Intent[] | undefined, index = 0): EnsureIntent =>
  intents?.[index] as EnsureIntent;
// The deny is declared after its DNS allowance (the builtin provider adds no mesh companion).
const deny = ensure(defaultDenyController(BUILTIN_CONFIG).desired?.(shop, context), 1);
const copy = ensure(trustBundleController(BUILTIN_CONFIG).desired?.(shop, context));

describe('ownedObject: a NetworkPolicy', () => {
  const existing = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'ztgate-default-deny',
      namespace: 'shop',
      resourceVersion: '42',
      labels: { ...MANAGED, team: 'a' },
    },
    spec: DENY,
  };

  it('is up to date when spec and label match, stale when the managed-by label was removed', () => {
    const unlabelled = { ...existing, metadata: { ...existing.metadata, labels: { team: 'a' } } };
    expect([deny.isUpToDate(existing), deny.isUpToDate(unlabelled)]).toEqual([true, false]);
  });

  it('creates the policy with the label, and keeps metadata on replace while restoring spec and label', () => {
    expect(deny.create).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'ztgate-default-deny', namespace: 'shop', labels: MANAGED },
      spec: DENY,
    });
    const edited = {
      ...existing,
      metadata: { ...existing.metadata, labels: { team: 'a' } },
      spec: { podSelector: {} },
    };
    expect(deny.replacement(edited)).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'ztgate-default-deny',
        namespace: 'shop',
        resourceVersion: '42',
        labels: { team: 'a', ...MANAGED },
      },
      spec: DENY,
    });
  });
});

describe('ownedObject: the trust bundle copy', () => {
  const existing = (
    fields: Record<string, unknown>,
    labels: Record<string, string> = MANAGED,
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ztgate-trust-bundle', namespace: 'shop', labels, resourceVersion: '7' },
    ...fields,
  });
  it.each<[string, KubeObject, boolean]>([
    ['an identical copy', existing({ data: { 'ca.crt': PEM } }), true],
    ['extra labels and annotations', existing({ data: { 'ca.crt': PEM } }, { ...MANAGED, team: 'a' }), true],
    ['an edited certificate', existing({ data: { 'ca.crt': 'tampered' } }), false],
    ['the managed-by label removed', existing({ data: { 'ca.crt': PEM } }, {}), false],
    [
      'another manager',
      existing({ data: { 'ca.crt': PEM } }, { 'app.kubernetes.io/managed-by': 'helm' }),
      false,
    ],
  ])('%s: %s', (_name, object, expected) => {
    expect(copy.isUpToDate(object)).toBe(expected);
  });

  it('keeps the existing metadata, restores the label and the content, and drops binaryData the source lacks', () => {
    const tampered = existing(
      { data: { 'ca.crt': 'tampered', extra: 'x' }, binaryData: { junk: 'AA' }, immutable: false },
      { team: 'a' },
    );
    expect(copy.replacement(tampered)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'ztgate-trust-bundle',
        namespace: 'shop',
        resourceVersion: '7',
        labels: { team: 'a', ...MANAGED },
      },
      immutable: false,
      data: { 'ca.crt': PEM },
    });
  });
});

describe('namespaceMarks', () => {
  const marks = namespaceMarks('shop', {
    enforcing: true,
    labels: { 'istio-injection': 'enabled', 'istio.io/rev': null },
    annotations: { 'linkerd.io/inject': 'enabled' },
  });
  const ns = (labels: Record<string, string>, annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'shop', resourceVersion: '3', labels, annotations },
    spec: { finalizers: ['kubernetes'] },
  });

  it('names the Namespace, cluster-scoped, and never creates it', () => {
    expect([marks.resource.kind, marks.namespace, marks.name, marks.create]).toEqual([
      'Namespace',
      undefined,
      'shop',
      undefined,
    ]);
  });

  it.each<[string, KubeObject, boolean]>([
    [
      'all marks held',
      ns({ 'istio-injection': 'enabled', team: 'a' }, { 'linkerd.io/inject': 'enabled' }),
      true,
    ],
    ['a label missing', ns({}, { 'linkerd.io/inject': 'enabled' }), false],
    [
      'a label with another value',
      ns({ 'istio-injection': 'disabled' }, { 'linkerd.io/inject': 'enabled' }),
      false,
    ],
    [
      'a label that must be absent',
      ns({ 'istio-injection': 'enabled', 'istio.io/rev': 'x' }, { 'linkerd.io/inject': 'enabled' }),
      false,
    ],
    ['an annotation missing', ns({ 'istio-injection': 'enabled' }), false],
  ])('%s: up to date %s', (_name, object, expected) => {
    expect(marks.isUpToDate(object)).toBe(expected);
  });

  it('sets and removes only the named keys, keeping everything else', () => {
    const before = ns({ team: 'a', 'istio.io/rev': 'canary', 'istio-injection': 'disabled' }, { note: 'x' });
    const after = marks.replacement(before);
    expect(after).toEqual({
      ...before,
      metadata: {
        name: 'shop',
        resourceVersion: '3',
        labels: { team: 'a', 'istio-injection': 'enabled' },
        annotations: { note: 'x', 'linkerd.io/inject': 'enabled' },
      },
    });
    expect(marks.isUpToDate(after)).toBe(true);
  });
});

describe('unwanted', () => {
  it('drops the namespace of a cluster-scoped resource', () => {
    const namespaces = namespaceMarks('x', { enforcing: false }).resource;
    expect(unwanted(namespaces, 'x', 'shop')).toEqual({
      action: 'remove',
      resource: namespaces,
      namespace: undefined,
      name: 'shop',
    });
  });
});
