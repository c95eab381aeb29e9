/**
 * A frozen, built copy of the gateway for one bench run. Other engineers edit src/ while a run
 * takes minutes, so without a copy one run could measure several versions of the gateway. The
 * copy holds bin/, src/, package.json and the tsconfigs as they were when the run started, plus
 * a link to node_modules, and it is compiled once (`tsc -p tsconfig.build.json`, as the Docker
 * image is) so that bin/ordergate.js runs dist/ as deployed. Run from source instead, the
 * gateway would carry tsx's module loader: a second V8 isolate on its own thread, whose
 * collections (up to ~10 ms) competed for the 2 vCPUs during the latency windows. It is removed
 * when the harness exits.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export interface Snapshot {
  /** Root of the copy: run `node {root}/bin/ordergate.js` (it runs the copy's dist/). */
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
  for (const entry of ['bin', 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(repo, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  try {
    execFileSync(join(repo, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString().trim();
    throw new Error(
      `the gateway does not build (tsc -p tsconfig.build.json):\n${out || (err as Error).message}`,
    );
  }
  const hash = createHash('sha256');
  for (const f of files(join(root, 'src')).sort()) {
    hash.update(relative(root, f)).update(readFileSync(f));
  }
  current = { root, hash: hash.digest('hex').slice(0, 12) };
  return current;
}
