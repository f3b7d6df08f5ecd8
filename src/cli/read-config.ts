import { loadConfig } from '../adapters/config/load-config.js';
import { ConfigError } from '../adapters/errors.js';
import type { ZtgateConfig } from '../policy/config.js';
import { UsageError } from './usage-error.js';

/** Loads `--config` for a one-shot command: a bad key or value is bad usage (exit 2, key path named). */
export async function readConfig(file: string | undefined): Promise<ZtgateConfig> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
