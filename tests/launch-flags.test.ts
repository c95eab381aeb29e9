/**
 * ordergate runs with a bigger young generation (README "Running", BENCHMARKS.md). Every way of
 * starting it must pass the same Node flags, and the bench must measure it started that way.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { RELAY_NODE_FLAGS } from '../bench/gateway-process.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const flags = RELAY_NODE_FLAGS.join(' ');

it('passes the same Node flags in the npm scripts, the bin, the Dockerfile and the bench', () => {
  expect(RELAY_NODE_FLAGS).toEqual(['--max-semi-space-size=64']);
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const name of ['demo', 'start', 'ordergate'])
    expect(scripts[name], name).toMatch(`tsx ${flags} src/cli.ts`);
  expect(read('bin/ordergate.js').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  expect(read('Dockerfile')).toContain(
    `ENTRYPOINT ["node", ${RELAY_NODE_FLAGS.map((f) => JSON.stringify(f)).join(', ')}, "bin/ordergate.js"]`,
  );
  expect(read('README.md')).toContain(`node ${flags} bin/ordergate.js serve`);
});
