/**
 * Authentication for HTTP: the bearer token of each request becomes its principal. Routes then
 * authorize per account and scope (principal.ts). Without a verifier (serve
 * --insecure-no-auth), every request is the anonymous principal.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../util/errors.js';
import type { Verifier } from './jwt.js';
import { anonymous, checkAccount, type Principal, type Scope } from './principal.js';

/** Hono's context variables for authenticated routes. */
export type AuthEnv = { Variables: { principal: Principal } };

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | undefined | null): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? (m[1] as string) : null;
}

/** Requires a valid bearer token (401 otherwise) and records its principal. */
export function authenticate(verifier: Verifier | null): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (!verifier) {
      c.set('principal', anonymous);
      return next();
    }
    const token = bearerToken(c.req.header('authorization'));
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new GatewayError('unauthorized', 'a bearer token is required');
    }
    try {
      c.set('principal', await verifier.verify(token));
    } catch (err) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new GatewayError('unauthorized', (err as Error).message);
    }
    return next();
  };
}

/** Throws 403 or 404 unless the request's principal may use `scope` on the account. */
export function authorize(
  c: Context<AuthEnv>,
  scope: Scope,
  accountId: string,
  known: ReadonlySet<string>,
): Principal {
  const p = c.get('principal');
  const access = checkAccount(p, scope, accountId, known);
  if (!access.ok) throw new GatewayError(access.code, access.message);
  return p;
}
