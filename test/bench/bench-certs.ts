/**
 * A throwaway serving certificate for 127.0.0.1, shared by ztgate and the ceiling so both pay
 * the same TLS costs. Made with node:crypto (key) and node-forge (X.509), independent of
 * `ztgate certs` so the ceiling can be measured on its own.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

/** Paths of the PEM files. */
export interface BenchCerts {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
}

function selfSigned(keyPem: string, publicPem: string): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 86_400_000);
  const subject = [{ name: 'commonName', value: 'ztgate-bench' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Returns certificates in `dir`, creating a fresh pair when none is there. */
export async function ensureBenchCerts(dir: string): Promise<BenchCerts> {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const existing = await readFile(certFile, 'utf8').catch(() => undefined);
  // Reuse a cached pair only while it has a day left; an expired one would fail every handshake.
  if (existing !== undefined && Date.parse(new X509Certificate(existing).validTo) > Date.now() + 86_400_000) {
    return { certFile, keyFile, cert: existing };
  }
  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = selfSigned(keyPem, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  await writeFile(certFile, cert);
  return { certFile, keyFile, cert };
}
