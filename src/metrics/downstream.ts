/**
 * Downstream (client) metrics. Client counts and messages sent are read from the downstream
 * server when Prometheus scrapes (the same numbers /ws/status shows); disconnects, resumes and
 * relay latency come through hooks. Nothing here runs per client per message: the session adds
 * one to a plain per-stream number, and latency is observed once per update, after its fan-out.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DisconnectReason, StreamKind } from '../downstream/session.js';

const STREAMS: readonly StreamKind[] = ['account', 'all', 'message'];
/** Every reason label value, listed so each series exists (at 0) before its first disconnect. */
export const DISCONNECT_REASONS = [
  'client',
  'heartbeat',
  'slow_consumer',
  'auth',
  'rate_limit',
  'server',
  'protocol',
] as const satisfies readonly DisconnectReason[];

/**
 * Relay latency buckets, seconds: sub-millisecond to a second. The gateway's clock has 1 ms
 * resolution, so 0 and 1 ms are the first distinguishable values.
 */
export const RELAY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** What the downstream metrics read at scrape time (the numbers /ws/status shows). */
export interface DownstreamSources {
  clientCounts(): Record<StreamKind, number>;
  messagesSent(): Record<StreamKind, number>;
}

/** The hooks the downstream server and the hub call. */
export interface DownstreamMetrics {
  disconnected(reason: DisconnectReason): void;
  /** A subscribe that asked to resume (since_seq): replayed from history, or sent a snapshot. */
  resumed(recovered: boolean): void;
  /** An update reached its subscribers' sockets `ms` after its upstream frame arrived. */
  relayed(ms: number): void;
}

/** Registers the downstream metrics on `registry` and returns their hooks. */
export function downstreamMetrics(registry: Registry, src: DownstreamSources): DownstreamMetrics {
  const registers = [registry];
  new Gauge({
    name: 'ordergate_clients',
    help: 'Connected WebSocket clients, by stream (/ws/status clients).',
    labelNames: ['stream'],
    registers,
    collect() {
      const counts = src.clientCounts();
      for (const stream of STREAMS) this.set({ stream }, counts[stream]);
    },
  });
  new Counter({
    name: 'ordergate_client_messages_sent_total',
    help: 'Messages written to client sockets, by stream.',
    labelNames: ['stream'],
    registers,
    collect() {
      this.reset();
      const sent = src.messagesSent();
      for (const stream of STREAMS) this.inc({ stream }, sent[stream]);
    },
  });
  const disconnects = new Counter({
    name: 'ordergate_client_disconnects_total',
    help: 'Client connections ended, by reason.',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of DISCONNECT_REASONS) disconnects.inc({ reason }, 0);
  const resumes = new Counter({
    name: 'ordergate_resumes_total',
    help: 'Subscriptions that asked to resume: recovered="true" replayed history, "false" got a snapshot.',
    labelNames: ['recovered'],
    registers,
  });
  for (const recovered of ['true', 'false']) resumes.inc({ recovered }, 0);
  const latency = new Histogram({
    name: 'ordergate_relay_latency_seconds',
    help: 'Time from receiving an upstream frame to writing its update to every subscriber socket.',
    buckets: RELAY_BUCKETS,
    registers,
  });

  return {
    disconnected: (reason) => disconnects.inc({ reason }),
    resumed: (recovered) => resumes.inc({ recovered: recovered ? 'true' : 'false' }),
    relayed: (ms) => latency.observe(Math.max(0, ms) / 1000),
  };
}
