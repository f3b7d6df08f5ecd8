/**
 * Loopback servers the REST client's tests talk to: one that accepts TCP and never answers, an
 * HTTPS server answering with a handler, and kubeconfigs pointing at them. Call closeServers after
 * each test.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { RequestListener } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { makeCerts } from '../http/support.js';

const servers: (Server | HttpsServer)[] = [];
const sockets: Socket[] = [];

/** Closes every server and socket the helpers opened. */
export async function closeServers(): Promise<void> {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
}

export function kubeConfigFor(server: string, caPem?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server,
        ...(caPem === undefined
          ? { skipTLSVerify: true }
          : { caData: Buffer.from(caPem).toString('base64') }),
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

/** A TCP server that accepts connections and never writes a byte. */
export async function muteServer(): Promise<string> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An HTTPS server on loopback whose every request `handle` answers. */
export async function httpsServer(
  handle: RequestListener,
): Promise<{ url: string; ca: string; server: HttpsServer }> {
  const certs = await makeCerts();
  const { readFile } = await import('node:fs/promises');
  const server = createHttpsServer(
    { cert: await readFile(certs.certFile, 'utf8'), key: await readFile(certs.keyFile, 'utf8') },
    (request, response) => {
      sockets.push(request.socket);
      handle(request, response);
    },
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: certs.caPem, server };
}

/** An HTTPS server whose watch answers are written by `respond`. */
export function watchServer(
  respond: (write: (text: string) => void, status: (code: number, body?: string) => void) => void,
): Promise<{ url: string; ca: string }> {
  return httpsServer((_request, response) =>
    respond(
      (text) => {
        if (!response.headersSent) response.writeHead(200, { 'content-type': 'application/json' });
        response.write(text);
      },
      (code, body) => response.writeHead(code, { 'content-type': 'application/json' }).end(body ?? ''),
    ),
  );
}
