/**
 * The last N frames published on one account, for resume by seq. The ring keeps no object per
 * frame: the bytes stay in the slab the frame arena cut them from (downstream/frame.ts), and the
 * ring records where (buffer, offset, length) in typed arrays, plus the order id and receive time.
 * A history of small objects gave every scavenge thousands of survivors to copy and an old
 * generation that grew until the next mark-compact; this way a frame costs the collector one
 * order-id reference.
 */

/** A frame as history gives it back. */
export interface HistoryEntry {
  seq: number;
  orderId: string | null;
  frame: Buffer;
  receivedAt: number;
}

export interface History {
  /** Records a frame; seqs must follow one another (a jump forgets what came before). */
  push(seq: number, orderId: string | null, frame: Buffer, receivedAt: number): void;
  /** Frames with seq > since, oldest first; null when there are none or history no longer reaches back to since + 1. */
  after(since: number): HistoryEntry[] | null;
}

/** A history holding the last `capacity` frames. */
export function createHistory(capacity: number): History {
  const buffers: (ArrayBufferLike | undefined)[] = new Array(capacity);
  const offsets = new Uint32Array(capacity);
  const lengths = new Uint32Array(capacity);
  const received = new Float64Array(capacity);
  const orderIds: (string | null)[] = new Array(capacity).fill(null);
  let start = 0;
  let size = 0;
  let lastSeq = 0;
  return {
    push(seq, orderId, frame, receivedAt) {
      if (capacity === 0) return;
      if (seq !== lastSeq + 1) size = 0; // not contiguous: keep only what follows
      lastSeq = seq;
      const i = (start + size) % capacity;
      buffers[i] = frame.buffer;
      offsets[i] = frame.byteOffset;
      lengths[i] = frame.length;
      received[i] = receivedAt;
      orderIds[i] = orderId;
      if (size < capacity) size++;
      else start = (start + 1) % capacity;
    },
    after(since) {
      const first = lastSeq - size + 1;
      // Gap-free or nothing: history must hold since + 1 and something after it.
      if (size === 0 || since + 1 < first || since >= lastSeq) return null;
      const out: HistoryEntry[] = [];
      for (let k = since + 1 - first; k < size; k++) {
        const i = (start + k) % capacity;
        out.push({
          seq: first + k,
          orderId: orderIds[i] ?? null,
          frame: Buffer.from(buffers[i] as ArrayBuffer, offsets[i], lengths[i]),
          receivedAt: received[i] as number,
        });
      }
      return out;
    },
  };
}
