#!/usr/bin/env node
// `pnpm start` and `pnpm flexpaxos ...` from the repository root: runs the built `flexpaxos`
// program (apps/server/dist/cli.js) with the given arguments, or says to build it first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../apps/server/dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(
    `flexpaxos is not built (${cli} is missing): run \`pnpm install && pnpm build\` first`,
  );
  process.exit(1);
}
await import(cli);
