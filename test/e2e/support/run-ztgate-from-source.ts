// The CLI from src/ through tsx, as bin/ztgate.js runs it from dist/ (ZTGATE_E2E_FROM_SOURCE=1).
import { main } from '../../../src/cli/main.js';

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ztgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
