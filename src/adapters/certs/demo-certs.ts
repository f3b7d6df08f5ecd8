import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CertsError } from '../errors.js';
import { DEMO_CA_NAME, writeCertificates } from './write-certs.js';

/** Where `serve --demo` keeps its own CA and certificate, apart from `ztgate certs --out certs/`. */
export const DEMO_CERTS_DIR = join('certs', 'demo');

/** The demo certificate must still have this long to run when the demo starts. */
const MIN_LEFT_MS = 24 * 60 * 60 * 1000;

/** The files of a TLS pair the server loads. */
export interface DemoTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** What ensureDemoCertificates did, and why. */
export interface DemoCertsResult extends DemoTlsFiles {
  /** Why the certificates were (re)generated; undefined when the existing ones fit. */
  readonly regenerated?: string;
}

async function readPem(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

function commonName(cert: X509Certificate): string | undefined {
  return /^CN=(.*)$/m.exec(cert.subject)?.[1];
}

/**
 * Why the demo's files cannot serve https://127.0.0.1 and https://localhost today, or undefined
 * when they can. Throws when the folder holds a CA that is not the demo's: regenerating would
 * overwrite somebody's CA key.
 */
export async function demoCertificateProblem(files: DemoTlsFiles, now = Date.now()): Promise<string | undefined> {
  const [caPem, certPem, keyPem] = await Promise.all([files.caFile, files.certFile, files.keyFile].map(readPem));
  if (caPem === undefined || certPem === undefined || keyPem === undefined) return 'no certificates yet';
  let ca: X509Certificate;
  let leaf: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
    leaf = new X509Certificate(certPem);
  } catch {
    return 'a certificate does not parse';
  }
  if (commonName(ca) !== DEMO_CA_NAME) {
    throw new CertsError(
      `${files.caFile} is not the demo CA (${ca.subject.replaceAll('\n', ', ')}); the demo keeps its own folder: move that CA elsewhere`,
    );
  }
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return 'tls.crt is not signed by the demo CA';
  if (leaf.checkIP('127.0.0.1') === undefined || leaf.checkHost('localhost') === undefined)
    return 'tls.crt does not name 127.0.0.1 and localhost';
  for (const cert of [ca, leaf]) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) - now < MIN_LEFT_MS)
      return `${cert === ca ? 'ca.crt' : 'tls.crt'} expired or expires within a day (${cert.validTo})`;
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) return 'tls.key does not belong to tls.crt';
  } catch {
    return 'tls.key does not parse';
  }
  return undefined;
}

/**
 * For `serve --demo`: keeps a CA and a certificate for 127.0.0.1 and localhost in `dir`,
 * generating them when absent and regenerating them when they no longer fit (wrong names,
 * expired, mismatched): the README's curl must work after any restart.
 */
export async function ensureDemoCertificates(dir: string = DEMO_CERTS_DIR): Promise<DemoCertsResult> {
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') };
  const problem = await demoCertificateProblem(files);
  if (problem === undefined) return files;
  await writeCertificates({
    out: dir,
    service: 'ztgate',
    namespace: 'ztgate-system',
    days: 365,
    ips: ['127.0.0.1'],
    dnsNames: ['localhost'],
    forceCa: true,
    purpose: 'demo',
  });
  return { ...files, regenerated: problem };
}
