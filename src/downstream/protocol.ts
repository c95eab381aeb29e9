/**
 * The client side of the downstream protocol (DESIGN.md "Downstream WebSocket API"): messages a
 * client may send, validated with zod, and the small frames the server sends besides updates.
 */
import { z } from 'zod';

const accountId = z.string().min(1).max(64);

export const ClientMessageSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('subscribe'),
      account_id: accountId,
      order_id: z.string().min(1).max(128).optional(),
      since_seq: z.number().int().min(0).optional(),
      epoch: z.string().max(64).optional(),
    })
    .strict(),
  z.object({ action: z.literal('unsubscribe'), account_id: accountId }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export type ErrorCode =
  | 'invalid_message'
  | 'unknown_account'
  | 'forbidden'
  | 'rate_limited'
  | 'too_many_subscriptions';

/** Close codes this server uses, beside the standard ones. */
export const CloseCode = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  tokenExpired: 4001,
  unknownAccount: 4004,
  slowConsumer: 4008,
  rateLimited: 4029,
} as const;

export const errorFrame = (code: ErrorCode, message: string): string =>
  JSON.stringify({ type: 'error', code, message });

/** Reads a client text frame. Returns the message, or an error frame's text to answer with. */
export function parseClientMessage(
  text: string,
): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: errorFrame('invalid_message', 'not JSON (send "ping" or a JSON action)') };
  }
  const parsed = ClientMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ');
  return { ok: false, error: errorFrame('invalid_message', detail) };
}
