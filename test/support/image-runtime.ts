import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

/** The runtime flags the image ships (`ENV NODE_OPTIONS=…` in the Dockerfile), so tests and the bench run with them. */
export function imageNodeOptions(): string {
  const match = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(readFileSync(DOCKERFILE, 'utf8'));
  if (match === null) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return match[1] ?? '';
}
