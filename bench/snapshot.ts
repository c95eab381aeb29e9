/**
 * A frozen copy of the gateway's source for one bench run. Other engineers edit src/ while a
 * run takes minutes, and every relay start compiles src/ afresh (tsx), so without a copy one
 * run could measure several versions of the gateway. The copy holds bin/, src/, package.json
 * and tsconfig.json as they were when the run started, plus a link to node_modules. It is
 * removed when the harness exits.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export interface Snapshot {
  /** Root of the copy: run `node {root}/bin/ordergate.js`. */
  readonly root: string;
  /** sha256 of every copied file's path and content, first 12 hex digits. */
  readonly hash: string;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

let current: Snapshot | undefined;

/** Copies the tree once per process; later calls return the same copy. */
export function snapshotTree(repo: string): Snapshot {
  if (current) return current;
  const root = mkdtempSync(join(tmpdir(), 'ordergate-bench-src-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  for (const entry of ['bin', 'src', 'package.json', 'tsconfig.json']) {
    cpSync(join(repo, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  const hash = createHash('sha256');
  for (const f of files(join(root, 'src')).sort()) {
    hash.update(relative(root, f)).update(readFileSync(f));
  }
  current = { root, hash: hash.digest('hex').slice(0, 12) };
  return current;
}
