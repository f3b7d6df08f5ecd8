import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** A PEM certificate with its PEM private key. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What goes into a serving certificate. */
export interface ServingCertOptions {
  readonly ca: PemPair;
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly days: number;
  readonly key: KeyPair;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Allow for clocks a few minutes behind ours (the API server's, a laptop's).
const BACKDATE_MS = 5 * 60 * 1000;

const generateRsa = promisify(generateKeyPair);

/** A fresh RSA key in both forms: forge's (to sign with) and PKCS#8 PEM (to write). */
export interface KeyPair {
  readonly forgeKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
  readonly keyPem: string;
}

/**
 * Generates an RSA 2048 key: forge's pure-JS keygen takes seconds and blocks the event loop;
 * node:crypto does it natively on the thread pool, and forge does the X.509 work.
 */
export async function newKeyPair(): Promise<KeyPair> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pkcs1) as forge.pki.rsa.PrivateKey;
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

// RFC 5280: a positive serial of at most 20 octets; clear the top bit so it stays positive.
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number, notAfterLimit?: Date): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(now + days * DAY_MS);
  cert.validity.notAfter = notAfterLimit !== undefined && notAfterLimit < notAfter ? notAfterLimit : notAfter;
}

/** Creates a self-signed CA for the webhook (signs serving certificates only). */
export function createCa(commonName: string, days: number, key: KeyPair): PemPair {
  const { forgeKey, publicKey, keyPem } = key;
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, days);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/** Creates a serving certificate signed by the CA; it never outlives the CA. */
export function createServingCert(options: ServingCertOptions): PemPair {
  const caCert = forge.pki.certificateFromPem(options.ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(options.ca.keyPem);
  const { publicKey, keyPem } = options.key;
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.days, caCert.validity.notAfter);
  cert.setSubject([{ name: 'commonName', value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...options.dnsNames.map((value) => ({ type: 2, value })),
    ...options.ips.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
