/**
 * Istio DestinationRule (networking.istio.io v1, v1beta1, v1alpha3) as a judged object: a client
 * TLS setting of DISABLE makes the caller's proxy send plaintext to the host, at the policy level
 * (`trafficPolicy.tls`), per port (`trafficPolicy.portLevelSettings[].tls`) and in each subset's
 * own traffic policy. Facts: Istio's DestinationRule reference (ClientTLSSettings.TLSmode).
 */
import { isRecord } from '../objects.js';
import type { KubeObject } from '../types.js';

const VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];

/** Client TLS modes as Istio names them. */
export const TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const;

/** Whether the object is an Istio DestinationRule of an API version ztgate reads. */
export function isDestinationRule(object: KubeObject): boolean {
  return object.kind === 'DestinationRule' && VERSIONS.includes(object.apiVersion ?? '');
}

/** One TLS setting that sends plaintext, or that ztgate cannot read. */
export interface TlsFinding {
  readonly path: string;
  readonly message: string;
}

function judgeTls(tls: unknown, path: string, findings: TlsFinding[]): void {
  if (tls === undefined || tls === null) return;
  const mode = isRecord(tls) ? tls['mode'] : undefined;
  if (mode === undefined) return;
  if (mode === 'DISABLE')
    findings.push({ path: `${path}.mode`, message: 'tls.mode DISABLE sends plaintext to the host' });
  else if (!(TLS_MODES as readonly unknown[]).includes(mode))
    findings.push({
      path: `${path}.mode`,
      message: `tls.mode must be one of ${TLS_MODES.join(', ')}, not ${JSON.stringify(mode)}`,
    });
}

function judgeTrafficPolicy(policy: unknown, path: string, findings: TlsFinding[]): void {
  if (!isRecord(policy)) return;
  judgeTls(policy['tls'], `${path}.tls`, findings);
  const ports = policy['portLevelSettings'];
  if (Array.isArray(ports))
    ports.forEach((setting: unknown, index) => {
      if (isRecord(setting)) judgeTls(setting['tls'], `${path}.portLevelSettings[${index}].tls`, findings);
    });
}

/** Every client TLS setting of the rule that disables TLS (or is unreadable), top level, per port and per subset. */
export function findPlaintextSettings(object: KubeObject): TlsFinding[] {
  const findings: TlsFinding[] = [];
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  judgeTrafficPolicy(spec['trafficPolicy'], 'spec.trafficPolicy', findings);
  const subsets = spec['subsets'];
  if (Array.isArray(subsets))
    subsets.forEach((subset: unknown, index) => {
      if (isRecord(subset))
        judgeTrafficPolicy(subset['trafficPolicy'], `spec.subsets[${index}].trafficPolicy`, findings);
    });
  return findings;
}
