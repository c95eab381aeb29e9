/**
 * A bounded ring of the last N published messages of one account, for resume by seq.
 */

export interface Ring<T extends { seq: number }> {
  push(item: T): void;
  /** Items with seq > since, oldest first; null when there are none or the ring no longer reaches back to since + 1. */
  after(since: number): T[] | null;
}

/** A ring holding the last `capacity` items. */
export function createRing<T extends { seq: number }>(capacity: number): Ring<T> {
  const items: (T | undefined)[] = new Array(capacity);
  let start = 0;
  let size = 0;
  return {
    push(item) {
      if (capacity === 0) return;
      items[(start + size) % capacity] = item;
      if (size < capacity) size++;
      else start = (start + 1) % capacity;
    },
    after(since) {
      const out: T[] = [];
      for (let i = 0; i < size; i++) {
        const item = items[(start + i) % capacity] as T;
        if (item.seq > since) out.push(item);
      }
      // Gap-free or nothing: the first item must follow `since` directly.
      return out.length > 0 && (out[0] as T).seq === since + 1 ? out : null;
    },
  };
}
