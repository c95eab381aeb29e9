/**
 * Errors with stable codes (STYLE.md habit 6). One place, app.ts, maps them to HTTP.
 */

export type ErrorCode =
  | 'invalid_request'
  | 'unknown_account'
  | 'not_found'
  | 'forbidden'
  | 'unauthorized'
  | 'payload_too_large'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'conflict'
  | 'idempotency_mismatch'
  | 'rate_limited'
  | 'internal';

const httpStatus: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  unknown_account: 404,
  not_found: 404,
  payload_too_large: 413,
  upstream_error: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
  conflict: 409,
  idempotency_mismatch: 422,
  rate_limited: 429,
  internal: 500,
};

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return httpStatus[this.code];
  }
}
