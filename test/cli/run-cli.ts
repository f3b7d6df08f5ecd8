import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `action` with stdout and stderr captured; resolves with what it printed and its result,
 * and rethrows what it throws (output restored either way).
 */
export async function captureOutput<T>(
  action: () => Promise<T>,
): Promise<{ result: T; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const result = await action();
    return { result, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs `ztgate <command> …args` through main() with stdout and stderr captured. */
export async function runCli(command: string, args: readonly string[]): Promise<CliRun> {
  try {
    const { result, stdout, stderr } = await captureOutput(() => main(['node', 'ztgate', command, ...args]));
    return { code: result, stdout, stderr };
  } finally {
    process.exitCode = undefined;
  }
}
