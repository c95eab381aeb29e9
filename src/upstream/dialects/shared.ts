/**
 * Small pieces every dialect uses: URL joining, zod issues as one line, and a prepared request.
 */
import type { z } from 'zod';
import type { RestClient } from '../rest.js';

/** An HTTP request a dialect prepares for the executor to send through a RestClient. */
export interface UpstreamRequest {
  method: 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A base URL without trailing slashes, ready for a path to be appended. */
export const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** The first zod issue as one line, naming `what` when the issue has no path. */
export function firstIssue(error: z.ZodError, what: string): string {
  const i = error.issues[0];
  return i ? `${i.path.join('.') || `(${what})`}: ${i.message}` : `invalid ${what}`;
}

/** Sends a prepared request. */
export const sendRequest = (rest: RestClient, r: UpstreamRequest, timeoutMs?: number) =>
  rest.call(r.method, r.url, { headers: r.headers, body: r.body, timeoutMs });

/** A frame's text as JSON, or the `invalid` reason when it is not JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}
