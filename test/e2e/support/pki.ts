/**
 * Throw-away credentials for the e2e control plane: a CA and a serving certificate for the API
 * server (openssl), the ServiceAccount signing key, a static token file for an admin and a
 * non-admin user, and kubeconfig files for both.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files and tokens written into the control plane's temp dir. */
export interface ControlPlanePki {
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly serviceAccountKeyFile: string;
  readonly tokenFile: string;
  readonly adminToken: string;
  readonly userToken: string;
}

/** The non-admin user and the group RBAC binds to edit rights in test namespaces. */
export const E2E_USER = { name: 'developer', group: 'developers' } as const;

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes the CA, serving cert, SA key and token file into `dir`. */
export function writeControlPlanePki(dir: string): ControlPlanePki {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ztgate-e2e-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  // The names the API server answers to from the host and, via the kubernetes Service, in-cluster.
  const san = [
    'IP:127.0.0.1',
    'IP:10.0.0.1',
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  ]);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);

  const adminToken = randomBytes(24).toString('hex');
  const userToken = randomBytes(24).toString('hex');
  // Static token file format: token,user,uid,"group1,group2".
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${adminToken},admin,admin,"system:masters"\n${userToken},${E2E_USER.name},${E2E_USER.name},"${E2E_USER.group}"\n`,
    { mode: 0o600 },
  );
  return {
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    serviceAccountKeyFile: join(dir, 'sa.key'),
    tokenFile: join(dir, 'tokens.csv'),
    adminToken,
    userToken,
  };
}

/** Writes a kubeconfig for `user` with a bearer token and returns its path. */
export function writeKubeconfig(
  file: string,
  server: string,
  caFile: string,
  user: string,
  token: string,
): string {
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: e2e',
    '    cluster:',
    `      server: ${server}`,
    `      certificate-authority: ${caFile}`,
    'users:',
    `  - name: ${user}`,
    '    user:',
    `      token: ${token}`,
    'contexts:',
    `  - name: ${user}@e2e`,
    '    context:',
    '      cluster: e2e',
    `      user: ${user}`,
    '      namespace: default',
    `current-context: ${user}@e2e`,
    '',
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}
