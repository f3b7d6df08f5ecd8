import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { loadTlsPair, type TlsFiles, type TlsPair } from './tls-pair.js';

/** Options of the certificate watcher. */
export interface TlsReloaderOptions {
  readonly files: TlsFiles;
  /** The pair being served now. */
  readonly initial: TlsPair;
  /** Installs a new, checked pair (server.setSecureContext). */
  readonly apply: (pair: TlsPair) => void;
  /** Reports a pair that could not be loaded; the old one stays. */
  readonly onError: (error: Error) => void;
  /** Poll interval, the fallback when fs events are lost (network filesystems, some runtimes). */
  readonly pollIntervalMs?: number;
  /** Quiet time after an fs event before reading, so both files of an update are in place. */
  readonly debounceMs?: number;
}

/** A running watcher. */
export interface TlsReloader {
  /** Checks the files now (also what events and the poll timer do). */
  check(): Promise<void>;
  close(): void;
}

/**
 * Watches the certificate and key and installs a new pair when both are readable and match.
 * Watches the directories rather than the files: Kubernetes Secret volumes update by swapping a
 * `..data` symlink, which a watch on the old file would never see. A bad or half-written pair is
 * reported and the old one kept; existing connections keep their session either way.
 */
export function startTlsReloader(options: TlsReloaderOptions): TlsReloader {
  let current = options.initial;
  let running: Promise<void> | undefined;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;

  const load = async (): Promise<void> => {
    try {
      const pair = await loadTlsPair(options.files);
      if (pair.cert === current.cert && pair.key === current.key) return;
      options.apply(pair);
      current = pair;
    } catch (error) {
      options.onError(error as Error);
    }
  };
  // One check at a time; an event during a check schedules exactly one more.
  const check = async (): Promise<void> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await load();
      } while (again);
    })().finally(() => (running = undefined));
    return running;
  };
  const schedule = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), options.debounceMs ?? 100);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(options.files.certFile), dirname(options.files.keyFile)])) {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // No fs events here (e.g. the directory vanished); the poll below still finds changes.
    }
  }
  const poll = setInterval(() => void check(), options.pollIntervalMs ?? 30_000);
  poll.unref();

  return {
    check,
    close() {
      clearTimeout(debounce);
      clearInterval(poll);
      for (const watcher of watchers) watcher.close();
    },
  };
}
