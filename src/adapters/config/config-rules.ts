import type { ZtgateConfig } from '../../policy/config.js';
import type { ConfigIssue } from './load-config.js';

/**
 * Rules that span keys: each value is fine alone, but together they would switch protection off
 * without a word. Run on a config whose keys all passed the schema.
 */
export function findCrossKeyIssues(config: ZtgateConfig): ConfigIssue[] {
  return [...portClashes(config), ...catchAllExclusions(config), ...nameClashes(config)];
}

/**
 * The init container redirects inbound traffic to `inbound` and outbound to `outbound`, and never
 * captures `health`. Two roles on one port turn capture off: with inbound == outbound the
 * proxy's own listener receives both directions, and a capture port equal to the health port is
 * excluded from inbound capture, so traffic passes the proxy untouched.
 */
function portClashes(config: ZtgateConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Map<number, string>();
  for (const [role, port] of Object.entries(config.sidecar.ports)) {
    const other = seen.get(port);
    if (other === undefined) seen.set(port, role);
    else {
      issues.push({
        path: `sidecar.ports.${role}`,
        message: `${port} is also sidecar.ports.${other}: each proxy port needs its own number, or traffic capture is silently off`,
      });
    }
  }
  return issues;
}

/** A /0 exclusion sends every destination around the proxy: outbound mTLS off for every pod. */
function catchAllExclusions(config: ZtgateConfig): ConfigIssue[] {
  return config.sidecar.exclude.outboundCIDRs.flatMap((cidr, index) =>
    cidr.endsWith('/0')
      ? [
          {
            path: `sidecar.exclude.outboundCIDRs[${index}]`,
            message: `${cidr} excludes every destination from capture (outbound mTLS off for every pod); list the ranges that must bypass the proxy`,
          },
        ]
      : [],
  );
}

/** Two managed objects under one name: one would overwrite the other on every reconcile. */
function nameClashes(config: ZtgateConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { defaultDeny, sidecar } = config;
  if (defaultDeny.dns.enabled && defaultDeny.dns.policyName === defaultDeny.policyName) {
    issues.push({
      path: 'defaultDeny.dns.policyName',
      message: `${defaultDeny.policyName} is also defaultDeny.policyName: the DNS allowance would replace the default deny`,
    });
  }
  if (sidecar.containerName === sidecar.initContainerName) {
    issues.push({
      path: 'sidecar.initContainerName',
      message: `${sidecar.initContainerName} is also sidecar.containerName: a pod cannot hold two containers of one name`,
    });
  }
  return issues;
}
