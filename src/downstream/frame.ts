/**
 * WebSocket text frames built once and shared (RFC 6455 §5.2: FIN + text opcode, no mask, no
 * compression): the bytes ws's `Sender.frame` makes for an unmasked text message, written as one
 * buffer so that a frame costs one allocation and one UTF-8 encode.
 *
 * Frames the hub keeps in its history come from a per-account arena: small frames are cut from a
 * 16 KB slab that belongs to that account alone. A kept frame then pins at most its own account's
 * slab, never a shared 8 KB pool slab full of other accounts' long-gone frames (which is what
 * Buffer.from gives, and which could make a quiet account's history cost up to 8 KB a frame).
 * Frame bytes are never written twice: a socket may still be sending them.
 */

/** RFC 6455 header length for a payload of `n` bytes (unmasked, server to client). */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65_536 ? 4 : 10;
}

/** Writes the header of an unmasked final text frame at `at`; returns the payload's offset. */
function writeHeader(buf: Buffer, at: number, n: number): number {
  buf[at] = 0x81;
  if (n < 126) {
    buf[at + 1] = n;
    return at + 2;
  }
  if (n < 65_536) {
    buf[at + 1] = 126;
    buf.writeUInt16BE(n, at + 2);
    return at + 4;
  }
  buf[at + 1] = 127;
  buf.writeUInt32BE(Math.floor(n / 2 ** 32), at + 2);
  buf.writeUInt32BE(n >>> 0, at + 6);
  return at + 10;
}

/** A whole text frame for `text` in a buffer of its own (pooled by Node when small). */
export function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headerLength(n) + n);
  frame.write(text, writeHeader(frame, 0, n), 'utf8');
  return frame;
}

export interface FrameArena {
  /** A whole text frame for `text`; its bytes never change afterwards. */
  frame(text: string): Buffer;
}

const SLAB_BYTES = 16 * 1024;
/** Bigger frames get a buffer of their own instead of most of a slab. */
const MAX_SLAB_FRAME = SLAB_BYTES / 4;

/** An arena for one account's frames (see the file comment). */
export function createFrameArena(): FrameArena {
  // The first slab comes with the first frame: an account that never publishes costs nothing.
  let slab: Buffer | undefined;
  let used = SLAB_BYTES;
  return {
    frame(text) {
      const n = Buffer.byteLength(text, 'utf8');
      const size = headerLength(n) + n;
      if (size > MAX_SLAB_FRAME) {
        const own = Buffer.allocUnsafeSlow(size);
        own.write(text, writeHeader(own, 0, n), 'utf8');
        return own;
      }
      if (slab === undefined || used + size > SLAB_BYTES) {
        slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        used = 0;
      }
      const start = used;
      slab.write(text, writeHeader(slab, start, n), 'utf8');
      used = start + size;
      return slab.subarray(start, used);
    },
  };
}
