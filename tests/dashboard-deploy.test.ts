/**
 * What `docker compose up` runs, checked by reading (Docker can't run in CI): the compose file,
 * the Prometheus scrape config (promtool check config) and Grafana's provisioning parse, and
 * they point at each other: service names, ports, mounted paths, the demo command's flags.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from './helpers/child.js';
import { parseYaml } from './helpers/mini-yaml.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by the assertions below.
const yaml = (path: string): any => parseYaml(read(path));

const compose = yaml('docker-compose.yml');
const services = compose.services;
/** `host:container[:mode]` volume strings of a service, as [host, container]. */
const volumes = (service: string): [string, string][] =>
  (services[service].volumes as string[]).map((v) => v.split(':').slice(0, 2) as [string, string]);

describe('docker-compose.yml', () => {
  it('runs the gateway image in demo mode, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'ordergate', 'prometheus']);
    const g = services.ordergate;
    expect(g.build).toBe('.');
    expect(g.command).toEqual(['demo', '--host', '0.0.0.0', '--port', '8009', '--sim-port', '8080']);
    expect(g.ports).toContain('8009:8009');
    // The image runs as the node user, which can't write to /app: the demo's SQLite goes elsewhere.
    expect(g.environment.ORDERGATE_DATA_DIR).toMatch(/^\/tmp\//);
    expect(read('Dockerfile')).toContain('ENTRYPOINT ["node", "--no-memory-reducer", "bin/ordergate.js"]');
    for (const s of ['prometheus', 'grafana'])
      expect(services[s].image, s).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
  });

  it('mounts files that exist', () => {
    for (const s of ['prometheus', 'grafana']) {
      for (const [host] of volumes(s)) expect(existsSync(`${root}${host}`), host).toBe(true);
    }
  });

  it('uses flags the demo command has', async () => {
    const help = run(['demo', '--help']);
    expect(await help.exited).toBe(0);
    for (const flag of ['--host', '--port', '--sim-port']) expect(help.stdout()).toContain(flag);
  });
});

describe('prometheus/prometheus.yml', () => {
  it('is a valid Prometheus config (promtool check config)', () => {
    const r = spawnSync('promtool', ['check', 'config', `${root}prometheus/prometheus.yml`], {
      encoding: 'utf8',
    });
    if (r.error) throw new Error(`promtool is not installed (Debian package prometheus): ${r.error.message}`);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it('scrapes the gateway service on its demo port, at the path compose mounts it from', () => {
    const config = yaml('prometheus/prometheus.yml');
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'ordergate');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs[0].targets).toEqual(['ordergate:8009']);
    const mounted = volumes('prometheus').find(([host]) => host === './prometheus/prometheus.yml');
    expect(services.prometheus.command).toContain(`--config.file=${mounted?.[1]}`);
  });
});

describe('grafana/provisioning', () => {
  it('provisions the compose Prometheus as the default datasource', () => {
    const ds = yaml('grafana/provisioning/datasources/prometheus.yml');
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }),
    ]);
    expect(services.prometheus.ports).toContain('9090:9090');
  });

  it('loads the dashboards from where compose mounts grafana/dashboards', () => {
    const providers = yaml('grafana/provisioning/dashboards/ordergate.yml');
    expect(providers.apiVersion).toBe(1);
    const [provider] = providers.providers;
    expect(provider.type).toBe('file');
    const mounts = new Map(volumes('grafana'));
    expect(mounts.get('./grafana/dashboards')).toBe(provider.options.path);
    expect(mounts.get('./grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const home = services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home).toBe(`${provider.options.path}/ordergate.json`);
    expect(JSON.parse(read('grafana/dashboards/ordergate.json')).uid).toBe('ordergate');
  });

  it('rejects YAML outside the subset the reader knows, rather than misreading it', () => {
    expect(() => parseYaml('a: {b: 1}')).toThrow(/line 1/);
    expect(() => parseYaml('a:\n\tb: 1')).toThrow(/tab/);
    expect(() => parseYaml('a: 1\na: 2')).toThrow(/duplicate/);
    expect(parseYaml('a:\n  - x: "1"\n    y: [p, "q"]\n  - z # c\n')).toEqual({
      a: [{ x: '1', y: ['p', 'q'] }, 'z'],
    });
  });
});
