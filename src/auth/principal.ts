/**
 * Who a client is and what it may do (issue "Security"): a subject, the accounts it may see
 * ("*" for all) and its scopes. The rules are pure functions, tested by table.
 */

export type Scope = 'orders:read' | 'orders:write' | 'admin';
export const SCOPES: readonly Scope[] = ['orders:read', 'orders:write', 'admin'];

export interface Principal {
  sub: string;
  accounts: '*' | ReadonlySet<string>;
  scopes: ReadonlySet<Scope>;
  /** Expiry in ms since the epoch, or null for none. */
  expiresAt: number | null;
}

/** The principal of a gateway running with --insecure-no-auth: everything is allowed. */
export const anonymous: Principal = {
  sub: 'anonymous',
  accounts: '*',
  scopes: new Set(SCOPES),
  expiresAt: null,
};

export type Access =
  | { ok: true }
  | { ok: false; status: 403 | 404; code: 'forbidden' | 'unknown_account'; message: string };

/**
 * May `p` use `scope` on `accountId`? A token limited to some accounts is told 403 for any
 * other, known or not (it learns nothing about other accounts); a token for every account is
 * told 404 for an account that doesn't exist.
 */
export function checkAccount(
  p: Principal,
  scope: Scope,
  accountId: string,
  known: ReadonlySet<string>,
): Access {
  // Reading is part of the admin scope; writing is not.
  const granted = p.scopes.has(scope) || (scope === 'orders:read' && p.scopes.has('admin'));
  if (!granted)
    return { ok: false, status: 403, code: 'forbidden', message: `this token lacks the ${scope} scope` };
  if (p.accounts !== '*' && !p.accounts.has(accountId)) {
    return { ok: false, status: 403, code: 'forbidden', message: 'this token may not use that account' };
  }
  if (!known.has(accountId)) {
    return {
      ok: false,
      status: 404,
      code: 'unknown_account',
      message: `no account ${JSON.stringify(accountId)}`,
    };
  }
  return { ok: true };
}

export const isAdmin = (p: Principal): boolean => p.scopes.has('admin');

/** The accounts of `all` that `p` may see. */
export function visibleAccounts(p: Principal, all: readonly string[]): string[] {
  return p.accounts === '*' ? [...all] : all.filter((a) => (p.accounts as ReadonlySet<string>).has(a));
}
