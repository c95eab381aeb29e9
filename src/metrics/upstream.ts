/**
 * Upstream link metrics, per configured account. What a link already counts for /ws/status
 * (state, reconnects, messages, last message) is read from link.status() when Prometheus scrapes,
 * so the two can't disagree and the receive path pays nothing. What only the gateway sees
 * (resyncs, recovered transitions, dropped updates) comes through the link hooks in gateway.ts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FrameKind, LinkState, LinkStatus } from '../upstream/link.js';

const STATES: readonly LinkState[] = ['connecting', 'connected', 'reconnecting', 'down', 'auth_failed'];
const KINDS: readonly FrameKind[] = ['update', 'control', 'heartbeat', 'invalid'];
/** Why the order book dropped an update (orders/state.ts). */
export type DropReason = 'duplicate' | 'stale';

/** What the upstream metrics read at scrape time. */
export interface UpstreamSources {
  /** Account ids from config: the only values the `account` label takes. */
  accounts: readonly string[];
  linkStatuses(): LinkStatus[];
  /** Updates sequenced and fanned out for an account so far (the hub's seq). */
  published(accountId: string): number;
}

/** The hooks gateway.ts calls; each is a counter increment. */
export interface UpstreamMetrics {
  resync(accountId: string, result: 'ok' | 'error'): void;
  /** One missed transition a resync found and relayed. */
  recovered(accountId: string): void;
  dropped(accountId: string, reason: DropReason): void;
}

/** Registers the upstream metrics on `registry` and returns their hooks. */
export function upstreamMetrics(registry: Registry, src: UpstreamSources): UpstreamMetrics {
  const registers = [registry];
  const labelNames = ['account'] as const;
  // Scrape-time views of link.status(): counters restated from the link's own monotonic counts.
  new Gauge({
    name: 'ordergate_upstream_up',
    help: 'Whether the upstream link is connected and resynced (1) or not (0).',
    labelNames,
    registers,
    collect() {
      for (const s of src.linkStatuses())
        this.set({ account: s.account_id }, s.state === 'connected' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'ordergate_upstream_state',
    help: 'The upstream link state: 1 for the current state, 0 for the others.',
    labelNames: ['account', 'state'],
    registers,
    collect() {
      for (const s of src.linkStatuses())
        for (const state of STATES) this.set({ account: s.account_id, state }, s.state === state ? 1 : 0);
    },
  });
  new Counter({
    name: 'ordergate_upstream_reconnects_total',
    help: 'Reconnect attempts of the upstream link (/ws/status reconnects).',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of src.linkStatuses()) this.inc({ account: s.account_id }, s.reconnects);
    },
  });
  new Counter({
    name: 'ordergate_upstream_messages_total',
    help: 'Upstream events read, by kind (/ws/status frames).',
    labelNames: ['account', 'kind'],
    registers,
    collect() {
      this.reset();
      for (const s of src.linkStatuses())
        for (const kind of KINDS) this.inc({ account: s.account_id, kind }, s.frames[kind]);
    },
  });
  new Counter({
    name: 'ordergate_upstream_websocket_messages_total',
    help: 'Upstream WebSocket messages received, any kind (/ws/status messages).',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const s of src.linkStatuses()) this.inc({ account: s.account_id }, s.messages);
    },
  });
  new Gauge({
    name: 'ordergate_upstream_last_message_timestamp_seconds',
    help: 'Unix time of the last upstream message (0: none yet).',
    labelNames,
    registers,
    collect() {
      for (const s of src.linkStatuses()) {
        const at = s.last_message_at === null ? 0 : Date.parse(s.last_message_at) / 1000;
        this.set({ account: s.account_id }, at);
      }
    },
  });
  new Counter({
    name: 'ordergate_updates_published_total',
    help: 'Order updates sequenced and fanned out to clients.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const account of src.accounts) this.inc({ account }, src.published(account));
    },
  });

  // Hook-driven counters, every label combination present from the start.
  const resyncs = new Counter({
    name: 'ordergate_resyncs_total',
    help: 'REST snapshot resyncs after a (re)connect, by result.',
    labelNames: ['account', 'result'],
    registers,
  });
  const recovered = new Counter({
    name: 'ordergate_resync_recovered_transitions_total',
    help: 'Order transitions missed while disconnected and relayed by a resync.',
    labelNames,
    registers,
  });
  const dropped = new Counter({
    name: 'ordergate_updates_dropped_total',
    help: 'Upstream order updates dropped by the order book guards, by reason.',
    labelNames: ['account', 'reason'],
    registers,
  });
  for (const account of src.accounts) {
    for (const result of ['ok', 'error']) resyncs.inc({ account, result }, 0);
    recovered.inc({ account }, 0);
    for (const reason of ['duplicate', 'stale']) dropped.inc({ account, reason }, 0);
  }

  return {
    resync: (account, result) => resyncs.inc({ account, result }),
    recovered: (account) => recovered.inc({ account }),
    dropped: (account, reason) => dropped.inc({ account, reason }),
  };
}
