import { readFileSync } from 'node:fs';

/** The version in `apps/server/package.json` (one level above `src/` and `dist/`). */
export const SERVER_VERSION: string =
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    }
  ).version ?? 'unknown';
