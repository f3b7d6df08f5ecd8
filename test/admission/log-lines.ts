/** Decision log lines for report tests, written as ztgate's pino logger writes them. */
/** One decision line as pino writes it. */
export function decisionLine(fields: {
  time: number;
  decision: 'allow' | 'deny' | 'warn';
  namespace: string;
  name: string;
  user?: string;
  rules?: readonly string[];
  dryRun?: boolean;
  hostname?: string;
  kind?: string;
}): string {
  return JSON.stringify({
    level: 30,
    time: fields.time,
    pid: 1,
    hostname: fields.hostname ?? 'ztgate-0',
    decision: fields.decision,
    uid: `${fields.name}-${fields.time}`,
    operation: 'CREATE',
    kind: { group: 'apps', version: 'v1', kind: fields.kind ?? 'Deployment' },
    resource: 'deployments',
    namespace: fields.namespace,
    name: fields.name,
    user: { username: fields.user ?? 'alice', groups: ['dev'] },
    dryRun: fields.dryRun ?? false,
    mode: fields.decision === 'warn' ? 'audit' : 'enforce',
    violations: (fields.rules ?? []).map((rule) => ({
      rule,
      path: 'spec.template',
      message: `${rule} says no`,
      fix: `# fix for ${rule}\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${fields.name}}`,
    })),
    durationMs: 0.4,
    webhook: 'validate',
    msg: 'admission decision',
  });
}
