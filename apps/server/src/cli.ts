#!/usr/bin/env node
/**
 * The `flexpaxos` program's entry point (`bin` of this package): runs `main` of
 * `cli-program.ts` (the command tree, on commander) and exits with its code.
 */
import { main } from './cli-program.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`flexpaxos: ${String(err)}\n`);
    process.exit(1);
  },
);
