/**
 * RS256/ES256 tokens against a JWKS file and a JWKS URL (a local HTTP server), beside HS256.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, mintToken } from '../src/auth/jwt.js';

async function keyed(alg: 'ES256' | 'RS256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (claims: Record<string, unknown>, exp = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid })
      .setSubject('svc')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey);
  return { jwk, sign };
}

describe('JWKS verification', () => {
  it('accepts ES256 and RS256 tokens whose key is in a JWKS file, and rejects others', async () => {
    const es = await keyed('ES256', 'es-1');
    const rs = await keyed('RS256', 'rs-1');
    const stranger = await keyed('ES256', 'es-1');
    const file = join(mkdtempSync(join(tmpdir(), 'ordergate-jwks-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [es.jwk, rs.jwk] }));
    const verifier = createVerifier({ jwksFile: file, hs256Secret: 'shared-secret-abc', clockToleranceS: 0 });
    const claims = { accounts: ['primary'], scope: 'orders:read' };
    expect((await verifier.verify(await es.sign(claims))).sub).toBe('svc');
    expect((await verifier.verify(await rs.sign(claims))).scopes).toEqual(new Set(['orders:read']));
    await expect(verifier.verify(await stranger.sign(claims))).rejects.toThrow('bad token signature');
    const hs = await mintToken({
      secret: 'shared-secret-abc',
      sub: 'op',
      accounts: '*',
      scopes: ['admin'],
      ttlSeconds: 60,
    });
    expect((await verifier.verify(hs)).accounts).toBe('*');
  });

  it('fetches the keys from a JWKS URL', async () => {
    const es = await keyed('ES256', 'url-1');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [es.jwk] }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const verifier = createVerifier({ jwksUrl: url, clockToleranceS: 0 });
      const p = await verifier.verify(await es.sign({ accounts: '*', scope: ['admin', 'orders:write'] }));
      expect([p.sub, p.accounts, [...p.scopes].sort()]).toEqual(['svc', '*', ['admin', 'orders:write']]);
      // Without an HS256 secret, an HS256 token is refused whatever it says.
      const hs = await mintToken({
        secret: 'anything-at-all',
        sub: 'x',
        accounts: '*',
        scopes: ['admin'],
        ttlSeconds: 60,
      });
      await expect(verifier.verify(hs)).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
