/** Runs the ztgate CLI from source (through tsx), for benches of a tree whose dist/ is stale. */
import { main } from '../../src/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ztgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
