import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CertsError } from '../errors.js';
import type { PemPair } from './forge-certs.js';

/** Options of `ztgate certs` (and `serve --demo`). */
export interface CertsOptions {
  readonly out: string;
  readonly service: string;
  readonly namespace: string;
  readonly days: number;
  readonly ips: readonly string[];
  readonly dnsNames: readonly string[];
  /** Replace a CA even when it has more than 30 days left. */
  readonly forceCa?: boolean;
  /** `demo` marks the CA as the demo's (`serve --demo`); production never reuses such a CA. */
  readonly purpose?: 'production' | 'demo';
}

/** The subject of the demo's CA, which `ztgate certs` refuses to build on. */
export const DEMO_CA_NAME = 'ztgate demo CA (127.0.0.1 and localhost only)';

/** What was written. */
export interface CertsResult {
  readonly ca: PemPair;
  readonly serving: PemPair;
  /** base64 of ca.crt: the webhook configurations' caBundle. */
  readonly caBundle: string;
  readonly reusedCa: boolean;
  readonly files: { readonly caCert: string; readonly caKey: string; readonly cert: string; readonly key: string };
}

/** A CA with at least this much life left is kept. */
export const CA_REUSE_MIN_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The names the API server may use for the service: service, service.ns, service.ns.svc, ….cluster.local. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

// Before the demo had its own folder, `npm start` wrote a CA into ./certs under the production
// name, with a serving certificate for exactly these names: such a CA there is the demo's.
const LEGACY_DEMO_SANS = [...serviceDnsNames('ztgate', 'ztgate-system'), 'localhost']
  .map((name) => `DNS:${name}`)
  .concat('IP Address:127.0.0.1')
  .join(', ');

async function isDemoCa(out: string, ca: X509Certificate): Promise<boolean> {
  if (ca.subject === `CN=${DEMO_CA_NAME}`) return true;
  if (resolve(out) !== resolve('certs')) return false;
  const leaf = await readFile(join(out, 'tls.crt'), 'utf8').catch(() => undefined);
  try {
    return leaf !== undefined && new X509Certificate(leaf).subjectAltName === LEGACY_DEMO_SANS;
  } catch {
    return false;
  }
}

async function readExistingCa(out: string, purpose: 'production' | 'demo'): Promise<PemPair | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(join(out, 'ca.crt'), 'utf8'), readFile(join(out, 'ca.key'), 'utf8')]);
  } catch {
    return undefined;
  }
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(certPem);
  } catch {
    return undefined;
  }
  // The demo CA's key sits unencrypted in a developer's clone: a webhook trusting it could be
  // impersonated by anyone with a copy of that clone.
  if (purpose === 'production' && (await isDemoCa(out, ca))) {
    throw new CertsError(
      `${join(out, 'ca.crt')} is the demo's CA (npm start); production certificates need their own: choose another --out, or delete that folder's ca.crt and ca.key`,
    );
  }
  return Date.parse(ca.validTo) - Date.now() > CA_REUSE_MIN_DAYS * DAY_MS ? { certPem, keyPem } : undefined;
}

// Write beside, then rename: a server watching the directory never reads half a file.
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Why `name` cannot be a DNS SAN, or undefined: RFC 1123 host names in lowercase, a leading `*.`
 * wildcard at most (RFC 6125 §6.4.3; TLS clients match no other). A SAN that no client ever
 * matches makes a certificate that looks right and fails every handshake.
 */
export function dnsNameProblem(name: string): string | undefined {
  if (isIP(name) !== 0) return 'is an IP address (use --ip)';
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  if (name.length > 253) return 'is longer than 253 characters';
  if (labels.some((label) => !DNS_LABEL.test(label)))
    return 'is not a DNS name (lowercase letters, digits and "-" in dot-separated labels of 1-63, an optional leading "*.")';
  return undefined;
}

function check(options: CertsOptions): void {
  if (!Number.isInteger(options.days) || options.days < 1) throw new CertsError(`--days must be a positive integer, got ${options.days}`);
  for (const ip of options.ips) if (isIP(ip) === 0) throw new CertsError(`--ip ${ip} is not an IP address`);
  for (const [flag, value] of [['--service', options.service], ['--namespace', options.namespace]] as const) {
    if (!DNS_LABEL.test(value)) throw new CertsError(`${flag} ${JSON.stringify(value)} is not a DNS-1123 label (the Service's DNS names are built from it)`);
  }
  for (const name of options.dnsNames) {
    const problem = dnsNameProblem(name);
    if (problem !== undefined) throw new CertsError(`--dns ${JSON.stringify(name)} ${problem}`);
  }
}

/**
 * Generates (or reuses) the CA and a serving certificate and writes ca.crt, ca.key, tls.crt,
 * tls.key (keys 0600). A CA with more than 30 days left is reused unless `forceCa`.
 */
export async function writeCertificates(options: CertsOptions): Promise<CertsResult> {
  check(options);
  await mkdir(options.out, { recursive: true });
  const purpose = options.purpose ?? 'production';
  const existing = await readExistingCa(options.out, purpose);
  const kept = options.forceCa === true ? undefined : existing;
  // Both keys at once: keygen runs on the thread pool.
  // node-forge is loaded only when certificates are made: a server given its files never pays for it.
  const { createCa, createServingCert, newKeyPair } = await import('./forge-certs.js');
  const [servingKey, caKey] = await Promise.all([newKeyPair(), kept === undefined ? newKeyPair() : undefined]);
  const caName = purpose === 'demo' ? DEMO_CA_NAME : `${options.service}-ca`;
  const ca = kept ?? createCa(caName, options.days, caKey as NonNullable<typeof caKey>);
  const dnsNames = [...new Set([...serviceDnsNames(options.service, options.namespace), ...options.dnsNames])];
  const serving = createServingCert({
    ca,
    commonName: `${options.service}.${options.namespace}.svc`,
    dnsNames,
    ips: [...new Set(options.ips)],
    days: options.days,
    key: servingKey,
  });
  const files = {
    caCert: join(options.out, 'ca.crt'),
    caKey: join(options.out, 'ca.key'),
    cert: join(options.out, 'tls.crt'),
    key: join(options.out, 'tls.key'),
  };
  if (kept === undefined) {
    await writeAtomic(files.caKey, ca.keyPem, 0o600);
    await writeAtomic(files.caCert, ca.certPem, 0o644);
  }
  // Key first: a watcher that sees the new key with the old cert rejects the pair and waits.
  await writeAtomic(files.key, serving.keyPem, 0o600);
  await writeAtomic(files.cert, serving.certPem, 0o644);
  const caBundle = Buffer.from(ca.certPem, 'utf8').toString('base64');
  return { ca, serving, caBundle, reusedCa: kept !== undefined, files };
}
