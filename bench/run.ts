/**
 * `npm run bench`: the ordergate benchmark harness (method: bench/README.md).
 *
 * One run starts a synthetic ticker-service upstream in this process, then for each scenario a
 * fresh relay in its own process (the real `ordergate serve`, then the naive baseline relay)
 * and a fresh pool of forked client workers, all on 127.0.0.1, and reports: (1) maximum
 * delivered msg/s for 1,000 clients over 100 accounts and 100 clients on 1 account; (2)
 * send-to-receive latency at 5k/20k/50k delivered msg/s (100 clients on 1 account, and again
 * 1,000 clients on 100 accounts); (3) RSS per idle connection at 1,000
 * and 10,000; (4) a 4-leg batch against a 200 ms sim. Options: --json, --quick, --smoke,
 * --workers N, --only LIST, --cpu-prof DIR (bench/README.md). Exits 0 whether or not the targets are met; 1 if a scenario could not run.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fdLimits, killAll, machineCpuSeconds } from './proc.js';
import { parseOptions, SCENARIOS, type Scenario } from './profiles.js';
import type { RelayKind } from './relay.js';
import { buildReport, emptyResults, type Results } from './report.js';
import { batch } from './scenarios/batch.js';
import type { Setup } from './scenarios/common.js';
import { idleRss } from './scenarios/idle-rss.js';
import { latency } from './scenarios/latency.js';
import { throughput } from './scenarios/throughput.js';
import { snapshotTree } from './snapshot.js';
import { markdownTable } from './table.js';
import { nowMs, sleep } from './time.js';
import { startUpstream } from './upstream.js';

const RELAYS: RelayKind[] = ['ordergate', 'baseline'];
const LATENCY_RELAYS: RelayKind[] = [...RELAYS, 'floor'];
const root = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Cores busy on the whole machine over `ms`: anything well above 0 is another job sharing it. */
async function machineLoad(ms: number): Promise<number> {
  const a = machineCpuSeconds().busy;
  await sleep(ms);
  return Math.round(((machineCpuSeconds().busy - a) / (ms / 1000)) * 100) / 100;
}

async function main(): Promise<number> {
  const { json, profile, only, cpuProfDir } = parseOptions(process.argv.slice(2));
  const started = nowMs();
  const commitAtStart = git(['rev-parse', '--short', 'HEAD']);
  const dirtyAtStart = git(['status', '--porcelain', 'src']).split('\n').filter(Boolean).length;
  const snapshot = snapshotTree(root);
  const busyBefore = await machineLoad(profile.quietCheckMs);
  const limits = fdLimits();
  const results: Results = emptyResults();
  const failed: string[] = [];
  const meta = () => ({
    mode: profile.mode,
    commit: commitAtStart,
    uncommitted_src_files: dirtyAtStart,
    // Every gateway of the run ran this copy of src/ (snapshot.ts); the hash tells runs apart.
    src_hash: snapshot.hash,
    // A different commit here means the tree moved during the run (the snapshot did not).
    commit_at_end: git(['rev-parse', '--short', 'HEAD']),
    uncommitted_src_files_at_end: git(['status', '--porcelain', 'src']).split('\n').filter(Boolean).length,
    machine_busy_cores_before: busyBefore,
    node: process.version,
    cpus: availableParallelism(),
    fd_limit_soft: limits.soft,
    fd_limit_hard: limits.hard,
    workers: profile.workers,
    duration_s: Math.round((nowMs() - started) / 100) / 10,
    failed: failed.join(','),
    skipped: SCENARIOS.filter((s) => !only.has(s)).join(','),
  });
  const print = () => {
    const report = buildReport(results, profile, meta());
    process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${markdownTable(report)}\n`);
  };
  const deadline = setTimeout(() => {
    log(`bench: hard deadline of ${profile.deadlineMs} ms passed; killing every child`);
    failed.push('deadline');
    killAll();
    print();
    process.exit(1);
  }, profile.deadlineMs);

  log(
    `bench: ${profile.mode} run of ${commitAtStart} + ${dirtyAtStart} uncommitted src files (src ${snapshot.hash}), ` +
      `${profile.workers} client workers, open files soft ${limits.soft} hard ${limits.hard}, ` +
      `machine busy ${busyBefore} cores before the start`,
  );
  const upstream = await startUpstream();
  const setup: Setup = {
    upstream,
    workers: profile.workers,
    connectTimeoutMs: profile.connectTimeoutMs,
    cpuProfDir,
    log,
  };
  const step = async (name: string, fn: () => Promise<void>) => {
    log(`bench: ${name}`);
    const t0 = nowMs();
    try {
      await fn();
      log(`bench: ${name} took ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed.push(name);
      log(`bench: ${name} failed: ${(err as Error).stack ?? err}`);
    }
  };
  const skip = (scenario: Scenario) => !only.has(scenario);
  for (const kind of skip('rss') ? [] : RELAYS) {
    await step(`idle rss ${kind}`, async () => {
      results.rss[kind] = await idleRss(setup, kind, profile.rss);
    });
  }
  for (const layout of ['1000x100', '100x1'] as const) {
    for (const kind of skip(`throughput_${layout}`) ? [] : RELAYS) {
      await step(`throughput ${layout} ${kind}`, async () => {
        results.throughput[layout][kind] = await throughput(setup, kind, profile.throughput[layout]);
      });
    }
  }
  // Latency also runs the floor: one WebSocket hop with no relay, the best any relay could do here.
  for (const kind of skip('latency') ? [] : LATENCY_RELAYS) {
    await step(`latency 100x1 ${kind}`, async () => {
      results.latency[kind] = await latency(setup, kind, profile.latency);
    });
  }
  for (const kind of skip('latency_1000x100') ? [] : LATENCY_RELAYS) {
    await step(`latency 1000x100 ${kind}`, async () => {
      results.latencySpread[kind] = await latency(setup, kind, profile.latencySpread);
    });
  }
  if (!skip('batch')) {
    await step('batch 4 legs', async () => {
      results.batch = await batch(upstream, profile.batch, log);
    });
  }
  await upstream.close();
  clearTimeout(deadline);
  print();
  log(`bench: done in ${meta().duration_s} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  return failed.length ? 1 : 0;
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
main().then(
  (code) => process.exit(code),
  (err) => {
    log(`bench: ${(err as Error).stack ?? err}`);
    killAll();
    process.exit(1);
  },
);
