/**
 * Memory and CPU of `ztgate serve --state` at a few cluster sizes, for the README's sizing table
 * (sizing-measure.ts says what is measured). Not the throughput benchmark: one server at a time,
 * a few thousand requests each.
 *   npm run build && node --import tsx test/bench/sizing.ts [--scales 0.1,1,10] [--requests 4000]
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBenchCerts } from './bench-certs.js';
import { ztgateArgs } from './commands.js';
import { generateReviews } from './gen-reviews.js';
import { startServer } from './server-process.js';
import { formatRow, measureServer, TABLE_HEADER } from './sizing-measure.js';
import { ensureStateDir } from './state-writer.js';

const WORK = '.bench';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scales: { type: 'string', default: '0.1,1,10' },
      requests: { type: 'string', default: '4000' },
    },
  });
  const requests = Number(values.requests);
  const certs = await ensureBenchCerts(join(WORK, 'certs'));
  await mkdir(join(WORK, 'logs'), { recursive: true });
  let table = TABLE_HEADER;
  for (const scale of values.scales.split(',').map(Number)) {
    process.stderr.write(`sizing: ${scale}x\n`);
    const { dir, cluster } = await ensureStateDir(WORK, { scale, seed: 42 }, 'json');
    const reviews = generateReviews(cluster, { pods: 100, deployments: 20, networkPolicies: 20 }, 42);
    const server = await startServer({
      label: `ztgate ${scale}x`,
      args: ztgateArgs('dist', dir, certs),
      logFile: join(WORK, 'logs', `sizing-${scale}.log`),
      caFile: certs.certFile,
      readyTimeoutMs: 600_000,
    });
    try {
      const figures = await measureServer(server, certs, reviews, requests);
      table += formatRow(`--state ${scale}x`, cluster.counts.namespaces, cluster.objects.length, figures);
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(table);
}

main().catch((error: unknown) => {
  process.stderr.write(`sizing: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
