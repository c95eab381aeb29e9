/**
 * The upstream REST client: undici with a dispatcher per link (never a global one, STYLE.md
 * habit 2) and a deadline on every call. Errors carry the status, never the request's headers.
 */
import { type Dispatcher, request } from 'undici';
import { GatewayError } from '../util/errors.js';

export interface RestClient {
  /** Sends a request and parses a JSON answer. Rejects with GatewayError on transport errors. */
  call(method: Dispatcher.HttpMethod, url: string, opts?: CallOptions): Promise<RestResponse>;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: string;
  /** Deadline for this call, overriding the client's. */
  timeoutMs?: number;
}

/** Errors that prove the request never reached the broker: nothing can have happened there. */
const notSent = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface RestResponse {
  status: number;
  body: unknown;
}

/** Strips the query string, where brokers such as Kite carry credentials, from a URL for messages. */
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  return q >= 0 ? `${url.slice(0, q)}?…` : url;
}

/** A client over `dispatcher` whose calls end by `timeoutMs` unless told otherwise. */
export function createRestClient(deps: { dispatcher: Dispatcher; timeoutMs: number }): RestClient {
  return {
    async call(method, url, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? deps.timeoutMs;
      let status: number;
      let text: string;
      try {
        const res = await request(url, {
          method,
          dispatcher: deps.dispatcher,
          headers: opts.headers,
          body: opts.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (cause) {
        const code = (cause as { code?: string }).code ?? (cause as Error).name;
        // A request that may have reached the broker has an unknown outcome, not a failed one.
        const kind = notSent.has(code) ? 'upstream_unavailable' : 'upstream_timeout';
        throw new GatewayError(kind, `${method} ${safeUrl(url)} failed: ${code}`, { cause });
      }
      let body: unknown = text;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: keep the text for the caller to judge.
        }
      }
      return { status, body };
    },
  };
}
