/**
 * kubectl as the user runs it: the e2e suite asserts on what kubectl prints, since that is what a
 * developer sees when ztgate refuses a change.
 */
import { spawn } from 'node:child_process';

/** What a kubectl run returned. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Who runs kubectl: the path of the binary and the kubeconfig to use. */
export interface KubectlTarget {
  readonly kubectl: string;
  readonly kubeconfig: string;
}

/** Runs kubectl with `args` (and `input` on stdin); never throws on a non-zero exit. */
export async function kubectl(
  target: KubectlTarget,
  args: readonly string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(target.kubectl, ['--kubeconfig', target.kubeconfig, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

/** Runs kubectl and throws with its stderr unless it exits 0; resolves to stdout. */
export async function kubectlOk(
  target: KubectlTarget,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const result = await kubectl(target, args, input);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** Parses `kubectl get -o json` output. */
export async function kubectlJson<T = unknown>(target: KubectlTarget, args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectlOk(target, [...args, '-o', 'json'])) as T;
}
