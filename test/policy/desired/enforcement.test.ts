import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ZtgateConfig } from '../../../src/policy/config.js';
import {
  clusterEnforcement,
  isExemptByConfig,
  namespaceEnforcement,
  type NamespaceEnforcement,
} from '../../../src/policy/desired/index.js';

const AUDIT: ZtgateConfig = { ...DEFAULT_CONFIG, mode: 'audit' };
const EXEMPT = { 'ztgate.dev/exempt': 'true' };
const AUDIT_LABEL = { 'ztgate.dev/mode': 'audit' };

describe('namespaceEnforcement', () => {
  it.each<[string, ZtgateConfig, string, Record<string, string>, NamespaceEnforcement]>([
    ['a plain namespace', DEFAULT_CONFIG, 'shop', {}, { mode: 'enforce', reason: 'enforced' }],
    [
      'a configured exempt namespace',
      DEFAULT_CONFIG,
      'kube-system',
      {},
      { mode: 'exempt', reason: 'config exemptNamespaces' },
    ],
    [
      "ztgate's own namespace, even when not listed",
      { ...DEFAULT_CONFIG, exemptNamespaces: [] },
      'ztgate-system',
      {},
      { mode: 'exempt', reason: "ztgate's own namespace" },
    ],
    [
      'the exempt label',
      DEFAULT_CONFIG,
      'shop',
      EXEMPT,
      { mode: 'exempt', reason: 'label ztgate.dev/exempt=true' },
    ],
    [
      'the audit label',
      DEFAULT_CONFIG,
      'shop',
      AUDIT_LABEL,
      { mode: 'audit', reason: 'label ztgate.dev/mode=audit' },
    ],
    ['audit mode in the config', AUDIT, 'shop', {}, { mode: 'audit', reason: 'config mode: audit' }],
    [
      'audit mode and the exempt label: exempt wins',
      AUDIT,
      'shop',
      EXEMPT,
      { mode: 'exempt', reason: 'label ztgate.dev/exempt=true' },
    ],
    [
      'both labels: exempt wins',
      DEFAULT_CONFIG,
      'shop',
      { ...EXEMPT, ...AUDIT_LABEL },
      { mode: 'exempt', reason: 'label ztgate.dev/exempt=true' },
    ],
    // The webhooks' namespaceSelector is `ztgate.dev/exempt NotIn ['true']`: any other spelling
    // leaves the namespace judged, so the controllers must enforce there too.
    [
      'exempt=True (the selector does not match it)',
      DEFAULT_CONFIG,
      'shop',
      { 'ztgate.dev/exempt': 'True' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    [
      'exempt=yes',
      DEFAULT_CONFIG,
      'shop',
      { 'ztgate.dev/exempt': 'yes' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    [
      'mode=Audit',
      DEFAULT_CONFIG,
      'shop',
      { 'ztgate.dev/mode': 'Audit' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    [
      'mode=enforce',
      DEFAULT_CONFIG,
      'shop',
      { 'ztgate.dev/mode': 'enforce' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    // Kubernetes 1.20 leaves kubernetes.io/metadata.name to anyone who may label the namespace:
    // one naming kube-system slips past namespaces.ztgate.dev, which would let its owner exempt it
    // and have ztgate remove the default deny. A forged name label makes the other labels void.
    [
      'exempt label next to a forged name label',
      DEFAULT_CONFIG,
      'shop',
      { ...EXEMPT, 'kubernetes.io/metadata.name': 'kube-system' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    [
      'audit label next to a forged name label',
      DEFAULT_CONFIG,
      'shop',
      { ...AUDIT_LABEL, 'kubernetes.io/metadata.name': 'kube-system' },
      { mode: 'enforce', reason: 'enforced' },
    ],
    [
      'exempt label next to the true name label (1.21+ sets it)',
      DEFAULT_CONFIG,
      'shop',
      { ...EXEMPT, 'kubernetes.io/metadata.name': 'shop' },
      { mode: 'exempt', reason: 'label ztgate.dev/exempt=true' },
    ],
    [
      'a forged name label under mode: audit (the config still rules)',
      AUDIT,
      'shop',
      { 'kubernetes.io/metadata.name': 'kube-system' },
      { mode: 'audit', reason: 'config mode: audit' },
    ],
  ])('%s', (_name, config, name, labels, expected) => {
    expect(namespaceEnforcement(config, name, labels)).toEqual(expected);
  });
});

describe('clusterEnforcement and isExemptByConfig', () => {
  it('follows the config mode for cluster-wide objects', () => {
    expect([clusterEnforcement(DEFAULT_CONFIG).mode, clusterEnforcement(AUDIT).mode]).toEqual([
      'enforce',
      'audit',
    ]);
  });

  it('tells a permanent (config) exemption from a label one', () => {
    const reasons = [
      namespaceEnforcement(DEFAULT_CONFIG, 'kube-system', {}),
      namespaceEnforcement(DEFAULT_CONFIG, 'ztgate-system', {}),
      namespaceEnforcement(DEFAULT_CONFIG, 'shop', EXEMPT),
      namespaceEnforcement(DEFAULT_CONFIG, 'shop', AUDIT_LABEL),
    ];
    expect(reasons.map(isExemptByConfig)).toEqual([true, true, false, false]);
  });
});
