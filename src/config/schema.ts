/**
 * The gateway's configuration: one zod schema, the single source of truth for its shape, its
 * defaults and its documentation (docs/CONFIG.md mirrors it).
 */
import { z } from 'zod';
import { isValidTimeZone } from '../orders/time.js';

/** A secret: given inline, or read from an environment variable or a file when the config loads. */
export const SecretSourceSchema = z.union([
  z.string(),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretSource = z.infer<typeof SecretSourceSchema>;

export const DialectNameSchema = z.enum(['ticker-service', 'kite', 'alpaca']);
export type DialectName = z.infer<typeof DialectNameSchema>;

const accountId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64 characters');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const wsUrl = z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' });

export const AccountConfigSchema = z
  .object({
    id: accountId,
    dialect: DialectNameSchema.default('ticker-service'),
    ws_url: wsUrl,
    rest_url: httpUrl,
    credentials: z.record(z.string(), SecretSourceSchema).default({}),
    time_zone: z
      .string()
      .refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Kolkata')
      .optional(),
    /** native: the broker's atomic batch (where the dialect has one); gateway: legs placed and rolled back here. */
    batch_mode: z.enum(['native', 'gateway']).optional(),
    /** Broker order requests per second for this account (Kite allows 10). */
    order_rate_per_s: z.number().positive().max(1000).default(10),
  })
  .strict();

// Timers can't wait past 2^31-1 ms; an hour is more than any interval here needs.
const ms = (def: number, min = 1) => z.number().int().min(min).max(3_600_000).default(def);
const count = (def: number, max = 1_000_000) => z.number().int().min(1).max(max).default(def);

/** Client authentication: JWTs signed with HS256 (a shared secret) and/or RS256/ES256 (JWKS). */
export const AuthConfigSchema = z
  .object({
    hs256_secret: SecretSourceSchema.optional(),
    jwks_file: z.string().min(1).optional(),
    jwks_url: z.url({ protocol: /^https?$/ }).optional(),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
    clock_tolerance_s: z.number().int().min(0).max(300).default(5),
  })
  .strict()
  .refine((a) => a.hs256_secret !== undefined || a.jwks_file !== undefined || a.jwks_url !== undefined, {
    message: 'needs hs256_secret, jwks_file or jwks_url',
  });
export type AuthConfig = z.infer<typeof AuthConfigSchema>;

const securityDefaults = {
  cors_origins: [] as string[],
  max_body_bytes: 65_536,
  max_ws_payload_bytes: 16_384,
  max_subscriptions_per_connection: 50,
  max_connections_per_subject: 20,
  ws_messages_per_s: 50,
  ws_message_burst: 100,
  batches_per_s: 5,
  batch_burst: 20,
};

/** Bounds on everything a client can send. */
export const SecurityConfigSchema = z
  .object({
    cors_origins: z.array(z.url({ protocol: /^https?$/ })).default([]),
    max_body_bytes: count(securityDefaults.max_body_bytes, 10_000_000),
    max_ws_payload_bytes: count(securityDefaults.max_ws_payload_bytes, 1_000_000),
    max_subscriptions_per_connection: count(securityDefaults.max_subscriptions_per_connection, 10_000),
    max_connections_per_subject: count(securityDefaults.max_connections_per_subject, 100_000),
    ws_messages_per_s: count(securityDefaults.ws_messages_per_s, 100_000),
    ws_message_burst: count(securityDefaults.ws_message_burst, 100_000),
    batches_per_s: count(securityDefaults.batches_per_s, 10_000),
    batch_burst: count(securityDefaults.batch_burst, 10_000),
  })
  .strict()
  .default(securityDefaults);

export const ConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8009),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    log_pretty: z.boolean().default(false),
    upstream: z
      .object({
        heartbeat_ms: ms(30_000, 10),
        handshake_timeout_ms: ms(10_000, 10),
        rest_timeout_ms: ms(10_000, 10),
        backoff_min_ms: ms(1_000),
        backoff_max_ms: ms(60_000),
      })
      .strict()
      .default({
        heartbeat_ms: 30_000,
        handshake_timeout_ms: 10_000,
        rest_timeout_ms: 10_000,
        backoff_min_ms: 1_000,
        backoff_max_ms: 60_000,
      })
      .refine((u) => u.backoff_max_ms >= u.backoff_min_ms, {
        message: 'backoff_max_ms must be at least backoff_min_ms',
        path: ['backoff_max_ms'],
      }),
    downstream: z
      .object({
        heartbeat_ms: ms(30_000, 10),
        history_size: z.number().int().min(0).max(1_000_000).default(1_000),
        client_buffer_limit_bytes: z.number().int().min(1024).default(1_048_576),
        max_orders_per_account: z.number().int().min(100).max(10_000_000).default(100_000),
      })
      .strict()
      .default({
        heartbeat_ms: 30_000,
        history_size: 1_000,
        client_buffer_limit_bytes: 1_048_576,
        max_orders_per_account: 100_000,
      }),
    data_dir: z.string().min(1).default('./data'),
    auth: AuthConfigSchema.optional(),
    security: SecurityConfigSchema,
    /** GET /metrics: `token`, when set, is the bearer token a scrape must send. */
    metrics: z.object({ token: SecretSourceSchema.optional() }).strict().default({}),
    batch: z
      .object({
        leg_timeout_ms: ms(5_000, 10),
        final_state_timeout_ms: ms(10_000, 10),
      })
      .strict()
      .default({ leg_timeout_ms: 5_000, final_state_timeout_ms: 10_000 }),
    accounts: z
      .array(AccountConfigSchema)
      .min(1, 'at least one account is needed')
      .refine((a) => new Set(a.map((x) => x.id)).size === a.length, 'account ids must be unique'),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type AccountConfig = z.infer<typeof AccountConfigSchema>;
