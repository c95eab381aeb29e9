/**
 * Who may open a WebSocket, decided before the upgrade (issue "Security"): a browser Origin must
 * be on the allowlist (CORS doesn't protect WebSockets), the token must be valid (401), the path
 * must be allowed to the principal (403), and a subject has a connection cap (429). Browsers
 * can't set headers on a WebSocket, so the token may also come as `?token=` or as the
 * subprotocol pair `bearer, <token>`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerToken } from '../auth/http.js';
import type { Verifier } from '../auth/jwt.js';
import { anonymous, checkAccount, isAdmin, type Principal } from '../auth/principal.js';

export type Route = { stream: 'account' | 'all' | 'message'; accountId?: string };
export type Admission = { ok: true; principal: Principal } | { ok: false; status: number; message: string };

/** The token of an upgrade request: header, query, or the `bearer, <token>` subprotocol pair. */
export function upgradeToken(req: IncomingMessage, url: URL): string | null {
  const header = bearerToken(req.headers.authorization);
  if (header) return header;
  const query = url.searchParams.get('token');
  if (query) return query;
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const at = protocols.indexOf('bearer');
  const token = at >= 0 ? protocols[at + 1] : undefined;
  return token ?? null;
}

export interface AdmissionDeps {
  verifier: Verifier | null;
  origins: ReadonlySet<string>;
  accounts: ReadonlySet<string>;
  /** Open connections of a subject, for the per-subject cap. */
  connectionsOf(sub: string): number;
  maxConnectionsPerSubject: number;
}

/** Decides an upgrade. Never throws. */
export async function admit(
  deps: AdmissionDeps,
  req: IncomingMessage,
  url: URL,
  route: Route,
): Promise<Admission> {
  const origin = req.headers.origin;
  if (origin !== undefined && !deps.origins.has(origin)) {
    return { ok: false, status: 403, message: `origin ${origin} is not allowed` };
  }
  let principal = anonymous;
  const token = upgradeToken(req, url);
  if (deps.verifier) {
    if (!token) return { ok: false, status: 401, message: 'a token is required' };
    try {
      principal = await deps.verifier.verify(token);
    } catch (err) {
      return { ok: false, status: 401, message: (err as Error).message };
    }
  }
  if (route.stream === 'all' && !isAdmin(principal)) {
    return { ok: false, status: 403, message: 'the all-accounts stream needs the admin scope' };
  }
  if (route.stream === 'account' && route.accountId !== undefined) {
    const access = checkAccount(principal, 'orders:read', route.accountId, deps.accounts);
    // A forbidden account is refused here; an unknown one is answered on the socket (4004).
    if (!access.ok && access.status === 403) return { ok: false, status: 403, message: access.message };
  }
  if (deps.connectionsOf(principal.sub) >= deps.maxConnectionsPerSubject) {
    return {
      ok: false,
      status: 429,
      message: `at most ${deps.maxConnectionsPerSubject} connections per subject`,
    };
  }
  return { ok: true, principal };
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
};

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({
    error: { code: status === 401 ? 'unauthorized' : status === 429 ? 'rate_limited' : 'forbidden', message },
  });
  const auth = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
