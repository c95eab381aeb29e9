/**
 * JWT verification and minting with jose: HS256 with a shared secret, and RS256/ES256 with a
 * JWKS file or URL. Checks exp and nbf always, iss and aud when configured. Tokens are never
 * logged; errors say what was wrong with a token, not what it was.
 */
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import type { Principal, Scope } from './principal.js';
import { SCOPES } from './principal.js';

export class AuthError extends Error {
  override readonly name = 'AuthError';
}

export interface Verifier {
  /** Resolves with the token's principal; rejects with AuthError saying why it is refused. */
  verify(token: string): Promise<Principal>;
}

export interface VerifierOptions {
  hs256Secret?: string;
  jwksFile?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  clockToleranceS: number;
  now?: () => number;
}

const ClaimsSchema = z.object({
  sub: z.string().min(1).max(256),
  accounts: z.union([z.literal('*'), z.array(z.string().min(1).max(64)).max(10_000)]),
  scope: z.union([z.string().max(1_000), z.array(z.string().max(64)).max(16)]),
});

function scopesOf(scope: string | string[]): Set<Scope> {
  const words = Array.isArray(scope) ? scope : scope.split(/[\s,]+/);
  return new Set(words.filter((w): w is Scope => (SCOPES as readonly string[]).includes(w)));
}

function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed)
    return `token claim ${err.claim} invalid: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad token signature';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token';
  if (err instanceof errors.JOSEError) return `invalid token (${err.code})`;
  return 'invalid token';
}

/** A verifier for the configured secret and/or JWKS; checks exp, nbf, iss and aud. */
export function createVerifier(opts: VerifierOptions): Verifier {
  const secret = opts.hs256Secret ? new TextEncoder().encode(opts.hs256Secret) : undefined;
  let jwks: JWTVerifyGetKey | undefined;
  if (opts.jwksFile) jwks = createLocalJWKSet(JSON.parse(readFileSync(opts.jwksFile, 'utf8')));
  else if (opts.jwksUrl) jwks = createRemoteJWKSet(new URL(opts.jwksUrl));
  const common = {
    issuer: opts.issuer,
    audience: opts.audience,
    clockTolerance: opts.clockToleranceS,
    requiredClaims: ['exp', 'sub'],
  };
  return {
    async verify(token) {
      try {
        const alg = decodeProtectedHeader(token).alg;
        const currentDate = opts.now ? new Date(opts.now()) : undefined;
        const { payload } =
          alg === 'HS256' && secret
            ? await jwtVerify(token, secret, { ...common, currentDate, algorithms: ['HS256'] })
            : jwks
              ? await jwtVerify(token, jwks, { ...common, currentDate, algorithms: ['RS256', 'ES256'] })
              : await Promise.reject(new errors.JOSEAlgNotAllowed('algorithm not allowed'));
        const claims = ClaimsSchema.safeParse(payload);
        if (!claims.success) throw new AuthError('token lacks sub, accounts or scope claims');
        const { sub, accounts, scope } = claims.data;
        return {
          sub,
          accounts: accounts === '*' ? '*' : new Set(accounts),
          scopes: scopesOf(scope),
          // The skew tolerated at verification is tolerated for the life of the connection too.
          expiresAt: typeof payload.exp === 'number' ? (payload.exp + opts.clockToleranceS) * 1000 : null,
        };
      } catch (err) {
        if (err instanceof AuthError) throw err;
        throw new AuthError(reason(err));
      }
    },
  };
}

export interface MintOptions {
  secret: string;
  sub: string;
  accounts: '*' | string[];
  scopes: Scope[];
  ttlSeconds: number;
  issuer?: string;
  audience?: string;
  now?: () => number;
}

/** Signs an HS256 token with the configured secret (the `ordergate token` command, the demo). */
export async function mintToken(o: MintOptions): Promise<string> {
  const nowS = Math.floor((o.now?.() ?? Date.now()) / 1000);
  let jwt = new SignJWT({ accounts: o.accounts, scope: o.scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(o.sub)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + o.ttlSeconds);
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret));
}

/** Reads "30s", "15m", "1h", "7d" or plain seconds. */
export function parseTtl(text: string): number | null {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n * unit : null;
}
