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
