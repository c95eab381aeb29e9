/**
 * Config loading, pure: JSON text plus environment overrides in, a validated Config or a list of
 * readable problems out. The caller reads the file and process.env (main.ts / cli.ts).
 */
import type { z } from 'zod';
import { type AccountConfig, type Config, ConfigSchema, type SecretSource } from './schema.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Environment variables that override top-level settings, and how each is parsed. */
export const envOverrides: Record<string, { path: string; parse: (v: string) => unknown }> = {
  ORDERGATE_HOST: { path: 'host', parse: (v) => v },
  ORDERGATE_PORT: { path: 'port', parse: Number },
  ORDERGATE_LOG_LEVEL: { path: 'log_level', parse: (v) => v },
  ORDERGATE_DATA_DIR: { path: 'data_dir', parse: (v) => v },
};

function formatIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Parses and validates a config document, applying environment overrides on top. */
export function loadConfig(text: string, env: Record<string, string | undefined>): LoadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`(file): not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: ['(root): must be a JSON object'] };
  }
  const doc = { ...(raw as Record<string, unknown>) };
  for (const [name, { path, parse }] of Object.entries(envOverrides)) {
    const v = env[name];
    if (v !== undefined && v !== '') doc[path] = parse(v);
  }
  const parsed = ConfigSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues) };
  return { ok: true, config: parsed.data };
}

export type ReadSecretFile = (path: string) => string;

/**
 * Resolves an account's credential sources to their values. Throws naming the credential and its
 * source, never its value.
 */
export function resolveCredentials(
  account: AccountConfig,
  env: Record<string, string | undefined>,
  readFile: ReadSecretFile,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, source] of Object.entries(account.credentials)) {
    out[key] = resolveSecret(source, env, readFile, `accounts.${account.id}.credentials.${key}`);
  }
  return out;
}

/** Resolves one secret source to its value. Throws naming `where` and the source, never the value. */
export function resolveSecret(
  source: SecretSource,
  env: Record<string, string | undefined>,
  readFile: ReadSecretFile,
  where: string,
): string {
  if (typeof source === 'string') return source;
  if ('env' in source) {
    const v = env[source.env]?.trim();
    if (v === undefined || v === '')
      throw new Error(`${where}: environment variable ${source.env} is not set`);
    // Trimmed like file secrets: a CRLF .env file must not put a CR into a header.
    return v;
  }
  try {
    return readFile(source.file).trim();
  } catch (err) {
    throw new Error(
      `${where}: cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}
