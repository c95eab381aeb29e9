/**
 * The Grafana dashboard can't silently rot: it has its four rows and a Prometheus datasource
 * variable, every PromQL expression parses (promtool check rules), and every metric an
 * expression names is exported, with samples, by a live gateway after traffic (batches,
 * clients, a reconnect). Histogram _bucket/_sum/_count series count as their histogram.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape } from './helpers/prom.js';
import { startWithTraffic, type Traffic } from './helpers/traffic.js';

interface Target {
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

const file = new URL('../grafana/dashboards/ordergate.json', import.meta.url);
const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid?: string } }[] };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));

/** Grafana's datasource variable, as panels reference it. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DATASOURCE_VAR = '${datasource}';
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool']);
const OPERATORS = new Set(['and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression selects (functions, labels, keywords and numbers aside). */
function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.$:])[a-zA-Z_:][\w:]*(?![\w:])/g)) {
    const after = s.slice((m.index ?? 0) + m[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(m[0]) || OPERATORS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Metric families (# TYPE) of an exposition, and those with at least one sample. */
function exported(text: string): { types: Map<string, string>; sampled: Set<string> } {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1] as string, m[2] as string);
  const sampled = new Set<string>();
  for (const m of text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) {
    const family = familyOf(m[1] as string, types);
    if (family) sampled.add(family);
  }
  return { types, sampled };
}

/** The family a series name belongs to: itself, or the histogram of its _bucket/_sum/_count. */
function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m ? (m[1] as string) : '';
  if (types.get(base) === 'histogram' || (types.get(base) === 'summary' && m?.[2] !== 'bucket')) return base;
  return null;
}

/** A dashboard expression with Grafana's variables replaced, as Prometheus would receive it. */
const concrete = (expr: string) =>
  expr.replaceAll('$__rate_interval', '1m').replaceAll('$account', '.*').replaceAll('$job', 'ordergate');

describe('the dashboard', () => {
  it('has a row each for upstream links, client fan-out and latency, batches and HTTP', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(
      expect.arrayContaining(['Upstream links', 'Client fan-out and latency', 'Batches', 'HTTP']),
    );
    // Every row holds panels: the next top-level panel after a row is not another row.
    dashboard.panels.forEach((p, i) => {
      if (p.type === 'row')
        expect(dashboard.panels[i + 1]?.type ?? 'end', p.title).not.toMatch(/^(row|end)$/);
    });
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it('takes its Prometheus datasource from the datasource variable everywhere', () => {
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VAR });
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(DATASOURCE_VAR);
    }
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      expect(v.datasource?.uid, v.name).toBe(DATASOURCE_VAR);
    }
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y"}[$__rate_interval])))'),
    ).toEqual(['a_bucket']);
    expect(metricNames('time() - (b{account=~"$account"} > 0)')).toEqual(['b']);
    expect(metricNames('sum(rate(c[1m])) / sum(rate(d{status=~"5.."}[1m])) or e offset 5m')).toEqual([
      'c',
      'd',
      'e',
    ]);
    expect(metricNames('(2 * max by (account) (f{state="down"} == 1)) and on(account) g')).toEqual([
      'f',
      'g',
    ]);
  });

  it('has only expressions that parse as PromQL', () => {
    expect(exprs.length).toBeGreaterThan(20);
    const rules = exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: concrete(e.expr) }));
    const dir = mkdtempSync(join(tmpdir(), 'ordergate-dashboard-'));
    const path = join(dir, 'rules.yml');
    // JSON is YAML: promtool reads the rule file as is.
    writeFileSync(path, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    if (r.error) throw new Error(`promtool is not installed (Debian package prometheus): ${r.error.message}`);
    expect(`${r.stdout}${r.stderr}`, 'promtool check rules').toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('the dashboard against a live gateway', () => {
  let traffic: Traffic;
  beforeAll(async () => {
    traffic = await startWithTraffic();
  }, 60_000);
  afterAll(() => traffic?.stop());

  it('names only metrics the gateway exports, with samples, after traffic', async () => {
    const { types, sampled } = exported(await scrape(traffic.gw.url));
    const problems: string[] = [];
    const queries = dashboard.templating.list.flatMap((v) => {
      const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string })?.query ?? '');
      const m = /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(q);
      return m ? [{ panel: `variable ${v.name}`, names: [m[1] as string] }] : [];
    });
    const used = [...exprs.map((e) => ({ panel: e.panel, names: metricNames(e.expr) })), ...queries];
    for (const { panel, names } of used) {
      expect(names.length, panel).toBeGreaterThan(0);
      for (const name of names) {
        const family = familyOf(name, types);
        if (!family || !sampled.has(family)) problems.push(`${panel}: ${name}`);
      }
    }
    expect(problems).toEqual([]);
    // And every metric the issue names is on the dashboard.
    const onDashboard = new Set(used.flatMap((u) => u.names.map((n) => familyOf(n, types))));
    const ours = [...types.keys()].filter((n) => n.startsWith('ordergate_'));
    expect(ours.filter((n) => !onDashboard.has(n))).toEqual([]);
  });
});
