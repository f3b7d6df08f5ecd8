import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TlsPairError } from '../errors.js';

/** Where the serving certificate and key live (a Secret volume in a cluster). */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A loaded, checked serving pair. */
export interface TlsPair {
  readonly cert: string;
  readonly key: string;
  /** Expiry of the leaf certificate, ms since epoch. */
  readonly notAfterMs: number;
  readonly fingerprint: string;
}

/** Checks that PEM text holds a certificate and the private key that belongs to it. */
export function checkTlsPair(cert: string, key: string): TlsPair {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw new TlsPairError(`the certificate cannot be parsed: ${(error as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = leaf.checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new TlsPairError(`the private key cannot be parsed: ${(error as Error).message}`);
  }
  if (!matches) throw new TlsPairError('the private key does not belong to the certificate');
  return { cert, key, notAfterMs: Date.parse(leaf.validTo), fingerprint: leaf.fingerprint256 };
}

/** Reads and checks the pair; throws TlsPairError naming the file that is missing or wrong. */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const read = async (file: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new TlsPairError(`cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const [cert, key] = await Promise.all([read(files.certFile), read(files.keyFile)]);
  try {
    return checkTlsPair(cert, key);
  } catch (error) {
    throw new TlsPairError(`${files.certFile} / ${files.keyFile}: ${(error as Error).message}`);
  }
}
