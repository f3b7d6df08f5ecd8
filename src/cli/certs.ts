import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { updateInstallManifests } from '../adapters/certs/install-manifests.js';
import { writeCertificates } from '../adapters/certs/write-certs.js';
import { UsageError } from './usage-error.js';

/** Options of `ztgate certs`. */
export interface CertsCommandOptions {
  readonly out: string;
  readonly service: string;
  readonly namespace: string;
  readonly days: string;
  readonly ip: readonly string[];
  readonly dns: readonly string[];
  readonly forceCa?: boolean;
  /** A folder to complete (opt-in: it edits DIR/webhooks.yaml); false or undefined touches none. */
  readonly manifests?: string | false;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** The repository's own base, which `ztgate certs` leaves alone unless --manifests names it. */
async function untouchedBase(): Promise<string | undefined> {
  return access(join('manifests', 'kustomization.yaml')).then(
    () => 'manifests',
    () => undefined,
  );
}

async function runCerts(options: CertsCommandOptions): Promise<void> {
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1)
    throw new UsageError(`certs: --days must be a positive integer, got ${options.days}`);
  let result;
  try {
    result = await writeCertificates({
      out: options.out,
      service: options.service,
      namespace: options.namespace,
      days,
      ips: options.ip,
      dnsNames: options.dns,
      forceCa: options.forceCa === true,
    });
  } catch (error) {
    throw new UsageError(`certs: ${(error as Error).message}`);
  }
  const report = (line: string): boolean => process.stderr.write(`${line}\n`);
  report(
    result.reusedCa
      ? `kept the CA in ${result.files.caCert} (more than 30 days left; --force-ca replaces it)`
      : `wrote a new CA: ${result.files.caCert}, ${result.files.caKey}`,
  );
  report(`wrote the serving certificate: ${result.files.cert}, ${result.files.key}`);
  const dir = typeof options.manifests === 'string' ? options.manifests : undefined;
  if (dir !== undefined) {
    const updated = await updateInstallManifests(dir, result, options.namespace);
    report(
      `wrote ${updated.secretFile}; filled ${updated.caBundles} caBundle value(s) in ${join(dir, 'webhooks.yaml')}`,
    );
  } else if (options.manifests === undefined) {
    const base = await untouchedBase();
    if (base !== undefined) {
      report(`left ${base}/ untouched; --manifests ${base}/ writes tls-secret.yaml and the caBundle into it`);
    }
  }
  report('caBundle (base64 of ca.crt):');
  // stdout carries only the bundle, so `CA_BUNDLE=$(ztgate certs …)` works.
  process.stdout.write(`${result.caBundle}\n`);
}

/** Registers `ztgate certs`: a CA and a serving certificate for the webhook Service. */
export function registerCertsCommand(program: Command): void {
  program
    .command('certs')
    .description('Generate a CA and a serving certificate for the webhook; print the base64 caBundle')
    .option('--out <dir>', 'output folder for ca.crt, ca.key, tls.crt, tls.key', 'certs')
    .option('--service <name>', 'webhook Service name', 'ztgate')
    .option('--namespace <ns>', 'webhook Service namespace', 'ztgate-system')
    .option('--days <n>', 'validity in days', '365')
    .option('--ip <address>', 'extra IP SAN (repeatable)', collect, [])
    .option('--dns <name>', 'extra DNS SAN (repeatable)', collect, [])
    .option('--force-ca', 'replace the CA even when it has more than 30 days left')
    .option(
      '--manifests <dir>',
      'also write DIR/tls-secret.yaml and fill the caBundle into DIR/webhooks.yaml (edits that file; off unless given)',
    )
    .option('--no-manifests', 'touch no manifests (the default)')
    .action(runCerts);
}
