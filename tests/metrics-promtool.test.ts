/**
 * `promtool check metrics` (Debian package `prometheus`; .ci/run installs it) lints a live
 * /metrics after traffic: every ordergate_* series plus prom-client's default process metrics.
 *
 * The one exception: prom-client's default gauges nodejs_active_handles_total,
 * nodejs_active_requests_total and nodejs_active_resources_total are gauges named with
 * `_total`, which promtool's suffix lint rejects. They are prom-client's, not ours, so exactly
 * those three are filtered out; any other finding fails the test.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape } from './helpers/prom.js';
import { startWithTraffic, type Traffic } from './helpers/traffic.js';

const PROM_CLIENT_TOTAL_GAUGES = new Set([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]);

/** The metric name of an exposition line (HELP, TYPE or sample); null for other lines. */
function nameOf(line: string): string | null {
  const m = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  return m ? (m[1] as string) : null;
}

/** The exposition text without the three prom-client gauges promtool lints. */
function withoutPromClientTotalGauges(text: string): string {
  return text
    .split('\n')
    .filter((line) => {
      const name = nameOf(line);
      return name === null || !PROM_CLIENT_TOTAL_GAUGES.has(name);
    })
    .join('\n');
}

function promtool(args: string[], input?: string) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 15_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool is not installed: apt-get install -y --no-install-recommends prometheus (.ci/run does this)',
    );
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

let traffic: Traffic;
beforeAll(async () => {
  traffic = await startWithTraffic();
}, 60_000);
afterAll(() => traffic?.stop());

describe('promtool check metrics', () => {
  it('is installed', () => {
    const v = promtool(['--version']);
    expect(v.status, v.output).toBe(0);
  });

  it('filters nothing but the three prom-client gauges', () => {
    const text = ['# HELP nodejs_active_handles_total x', 'nodejs_active_handles_total 1', 'a_total 1'];
    expect(withoutPromClientTotalGauges(text.join('\n'))).toBe('a_total 1');
  });

  it('passes on the live /metrics after traffic', async () => {
    const text = await scrape(traffic.gw.url);
    expect(text).toContain('ordergate_batch_legs_total{result="rejected"} 1');
    expect(text).toMatch(/ordergate_upstream_reconnects_total\{account="primary"\} [1-9]/);
    expect(text).toContain('process_cpu_user_seconds_total');
    // Unfiltered, promtool's findings (if any) are about those three gauges alone.
    const unfiltered = promtool(['check', 'metrics'], text);
    for (const finding of unfiltered.output.split('\n').filter(Boolean)) {
      expect(PROM_CLIENT_TOTAL_GAUGES.has(finding.split(' ')[0] as string), finding).toBe(true);
    }
    const r = promtool(['check', 'metrics'], withoutPromClientTotalGauges(text));
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});
