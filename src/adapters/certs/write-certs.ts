import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CertsError } from '../errors.js';
import { createCa, createServingCert, newKeyPair, type PemPair } from './forge-certs.js';

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
}

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

async function readExistingCa(out: string): Promise<PemPair | undefined> {
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
  return Date.parse(ca.validTo) - Date.now() > CA_REUSE_MIN_DAYS * DAY_MS ? { certPem, keyPem } : undefined;
}

// Write beside, then rename: a server watching the directory never reads half a file.
async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

function check(options: CertsOptions): void {
  if (!Number.isInteger(options.days) || options.days < 1) throw new CertsError(`--days must be a positive integer, got ${options.days}`);
  for (const ip of options.ips) if (isIP(ip) === 0) throw new CertsError(`--ip ${ip} is not an IP address`);
  if (options.service === '' || options.namespace === '') throw new CertsError('--service and --namespace must not be empty');
}

/**
 * Generates (or reuses) the CA and a serving certificate and writes ca.crt, ca.key, tls.crt,
 * tls.key (keys 0600). A CA with more than 30 days left is reused unless `forceCa`.
 */
export async function writeCertificates(options: CertsOptions): Promise<CertsResult> {
  check(options);
  await mkdir(options.out, { recursive: true });
  const existing = options.forceCa === true ? undefined : await readExistingCa(options.out);
  // Both keys at once: keygen runs on the thread pool.
  const [servingKey, caKey] = await Promise.all([newKeyPair(), existing === undefined ? newKeyPair() : undefined]);
  const ca = existing ?? createCa(`${options.service}-ca`, options.days, caKey as NonNullable<typeof caKey>);
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
  if (existing === undefined) {
    await writeAtomic(files.caKey, ca.keyPem, 0o600);
    await writeAtomic(files.caCert, ca.certPem, 0o644);
  }
  // Key first: a watcher that sees the new key with the old cert rejects the pair and waits.
  await writeAtomic(files.key, serving.keyPem, 0o600);
  await writeAtomic(files.cert, serving.certPem, 0o644);
  const caBundle = Buffer.from(ca.certPem, 'utf8').toString('base64');
  return { ca, serving, caBundle, reusedCa: existing !== undefined, files };
}
