/**
 * The benchmark harness in miniature (`npm run bench -- --json --smoke`: tens of clients, a
 * couple of accounts, sub-second windows, a few hundred to a few thousand messages): it must
 * finish, exit 0, print one JSON object on stdout and nothing else (npm included: see .npmrc),
 * and report every figure as a finite number.
 * The figures themselves are not judged here; BENCHMARKS.md holds a full run.
 */
import type { SpawnOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';
import { parseOptions, SCENARIOS } from '../bench/profiles.js';
import { buildReport, emptyResults } from '../bench/report.js';
import { snapshotTree } from '../bench/snapshot.js';
import { start } from './helpers/child.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every leaf of the report with its path; meta may hold strings, targets hold booleans. */
function leaves(v: unknown, path: string[] = []): [string, unknown][] {
  if (v !== null && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leaves(x, [...path, k]));
  }
  return [[path.join('.'), v]];
}

/**
 * Runs a command to its exit. On a test timeout it gets a SIGTERM, which npm passes on and on
 * which the bench harness kills its own children (a SIGKILL would orphan them).
 */
async function run(cmd: string, args: string[], options: SpawnOptions) {
  const child = start(cmd, args, options);
  onTestFinished(() => {
    if (child.proc.exitCode === null) child.proc.kill('SIGTERM');
  });
  const code = await child.exited;
  return { code, out: child.stdout(), err: child.stderr() };
}

const FIGURES = [
  'throughput_1000x100.ordergate',
  'throughput_1000x100.baseline',
  'throughput_1000x100.ratio',
  'throughput_100x1.ordergate',
  'throughput_100x1.baseline',
  'throughput_100x1.ratio',
  ...['latency_5000', 'latency_20000', 'latency_50000'].flatMap((k) =>
    ['p50', 'p99', 'p999'].flatMap((p) => [`${k}.ordergate.${p}`, `${k}.baseline.${p}`, `${k}.floor.${p}`]),
  ),
  ...['latency_1000x100_5000', 'latency_1000x100_20000', 'latency_1000x100_50000'].map(
    (k) => `${k}.ordergate.p99`,
  ),
  'rss_per_idle_conn_1000.ordergate',
  'rss_per_idle_conn_1000.baseline',
  'rss_per_idle_conn_10000.ordergate',
  'rss_per_idle_conn_10000.baseline',
  'batch_4leg.gateway_ms',
  'batch_4leg.sequential_ms',
  'batch_4leg.single_leg_ms',
  'batch_4leg.ratio_to_single',
];

it('npm run bench -- --json --smoke completes and reports every field as a finite number', async () => {
  // Through npm, as the README says: npm's own "> ordergate@… bench" banner must not reach stdout.
  const { code, out, err } = await run('npm', ['run', 'bench', '--', '--json', '--smoke'], { cwd: root });
  expect(code, err).toBe(0);

  const report = JSON.parse(out) as Record<string, unknown>;
  const all = new Map(leaves(report));
  for (const path of FIGURES) {
    expect(all.has(path), `missing ${path}`).toBe(true);
  }
  for (const [path, value] of all) {
    if (path.startsWith('meta.')) expect(['string', 'number'], path).toContain(typeof value);
    else if (path.startsWith('targets.') && path.endsWith('.met')) expect(typeof value, path).toBe('boolean');
    else expect(Number.isFinite(value), `${path} = ${String(value)}`).toBe(true);
  }
  expect(report.meta).toMatchObject({ mode: 'smoke', failed: '', skipped: '' });
  // Every relay really delivered, and the batch went through the gateway.
  expect(all.get('throughput_1000x100.ordergate')).toBeGreaterThan(0);
  expect(all.get('throughput_1000x100.baseline')).toBeGreaterThan(0);
  expect(all.get('latency_5000.ordergate.samples')).toBeGreaterThan(0);
  expect(all.get('latency_5000.floor.samples')).toBeGreaterThan(0);
  expect(all.get('latency_5000.health.floor.seq_gaps')).toBe(0);
  expect(all.get('batch_4leg.gateway_successes')).toBe(1);
}, 90_000);

it('picks scenarios with --only and refuses a name it does not know', () => {
  expect([...parseOptions([]).only]).toEqual([...SCENARIOS]);
  const o = parseOptions(['--quick', '--only', 'throughput_1000x100,batch', '--cpu-prof', '/tmp/p']);
  expect([...o.only]).toEqual(['throughput_1000x100', 'batch']);
  expect(o.cpuProfDir).toBe('/tmp/p');
  expect(o.profile.mode).toBe('quick');
  expect(() => parseOptions(['--only', 'throughput'])).toThrow(/unknown scenario "throughput"/);
  expect(() => parseOptions(['--only'])).toThrow(/--only needs a value/);
  expect(() => parseOptions(['--cpu-prof', '--json'])).toThrow(/--cpu-prof needs a value/);
});

it('does not count a latency target as met when its scenario did not run', () => {
  const { profile } = parseOptions(['--smoke']);
  const report = buildReport(emptyResults(), profile, {});
  expect(report.latency_20000.ordergate.samples).toBe(0);
  expect(report.targets.latency_20000_p99_max_2ms.met).toBe(false);
  expect(report.targets.latency_50000_p99_max_10ms.met).toBe(false);
});

it('runs the gateway as built: the snapshot is compiled and bin/ordergate.js takes its dist/', async () => {
  const snap = snapshotTree(root);
  expect(existsSync(join(snap.root, 'dist', 'cli.js'))).toBe(true);
  // The snapshot's bin and dist beside every dependency but tsx: the CLI can only answer if it
  // runs the compiled code (from source it would need tsx's loader).
  const bare = mkdtempSync(join(tmpdir(), 'ordergate-bare-'));
  onTestFinished(() => rmSync(bare, { recursive: true, force: true }));
  // bin is copied (a symlinked one would resolve its imports from the snapshot's node_modules).
  cpSync(join(snap.root, 'bin'), join(bare, 'bin'), { recursive: true });
  cpSync(join(snap.root, 'package.json'), join(bare, 'package.json'));
  symlinkSync(join(snap.root, 'dist'), join(bare, 'dist'));
  mkdirSync(join(bare, 'node_modules'));
  for (const dep of readdirSync(join(root, 'node_modules'))) {
    if (dep !== 'tsx' && dep !== '.bin')
      symlinkSync(join(root, 'node_modules', dep), join(bare, 'node_modules', dep));
  }
  const { code, out, err } = await run(process.execPath, [join(bare, 'bin', 'ordergate.js'), '--help'], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(code, err).toBe(0);
  expect(out).toMatch(/^ordergate: /);
}, 30_000);
