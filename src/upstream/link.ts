/**
 * One account's upstream link: a thin reconnect loop over ws (see README "Design notes" for why
 * not partysocket), an explicit state machine, a heartbeat with a watchdog, and a REST resync
 * after every (re)connect so that nothing missed while the socket was down is lost.
 */
import { WebSocket } from 'ws';
import type { NormalizeContext } from '../orders/kite-vocabulary.js';
import type { Order } from '../orders/model.js';
import { isoTime } from '../orders/time.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { GatewayError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Random } from '../util/rng.js';
import { backoff } from './backoff.js';
import type { Dialect, DialectAccount, UpstreamEvent } from './dialects/types.js';
import type { RestClient } from './rest.js';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'down' | 'auth_failed';
export type FrameKind = 'update' | 'control' | 'heartbeat' | 'invalid';

export interface LinkSettings {
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Live updates held while a resync runs; past this the link reconnects and resyncs again. */
  maxBufferedDuringResync?: number;
}

export interface LinkStatus {
  account_id: string;
  dialect: string;
  state: LinkState;
  since: string;
  last_message_at: string | null;
  reconnects: number;
  /** WebSocket messages received, all kinds. */
  messages: number;
  /** Events read from them, by kind. */
  frames: Record<FrameKind, number>;
  last_error: string | null;
}

export interface LinkDeps {
  account: DialectAccount;
  dialect: Dialect;
  rest: RestClient;
  clock: Clock;
  random: Random;
  settings: LinkSettings;
  log: Logger;
  /** Every order the link learns, live or from a resync, in the order it must be applied. */
  onOrder(order: Order, receivedAt: number, source: 'live' | 'resync'): void;
  onState?(change: { accountId: string; from: LinkState; to: LinkState; at: number }): void;
  onFrame?(kind: FrameKind): void;
  onResync?(result: 'ok' | 'error', orders: number): void;
  /** The account's order ids that are not terminal yet, handed to each resync (NormalizeContext.knownOpen). */
  knownOpen?(): string[];
}

export interface Link {
  start(): void;
  /** Closes the socket and stops retrying; resolves once the link is down. */
  stop(): Promise<void>;
  status(): LinkStatus;
  /** The account as the link uses it now (credentials included: never log or return it). */
  account(): DialectAccount;
  /** Swaps in fresh credentials; a link in auth_failed reconnects with them at once. */
  updateCredentials(credentials: Record<string, string>): void;
}

/** A message with every credential value in it replaced, so status and logs never carry one. */
export function redact(message: string, credentials: Readonly<Record<string, string>>): string {
  let out = message;
  for (const value of Object.values(credentials)) {
    if (value.length >= 4) out = out.split(value).join('[redacted]');
  }
  return out;
}

/** One account's upstream link; call start() to connect. */
export function createLink(deps: LinkDeps): Link {
  const { dialect, clock, settings, log } = deps;
  const maxBuffered = settings.maxBufferedDuringResync ?? 50_000;
  let account = deps.account;
  let state: LinkState = 'down';
  let since = clock.now();
  let socket: WebSocket | undefined;
  let gen = 0;
  let attempt = 0;
  let stopped = true;
  let authRejected = false;
  let lastActivity = 0;
  let lastMessageAt: number | null = null;
  let reconnects = 0;
  let messages = 0;
  const frames: Record<FrameKind, number> = { update: 0, control: 0, heartbeat: 0, invalid: 0 };
  let lastError: string | null = null;
  /** Whether the current connection has already recorded why it failed. */
  let errorRecorded = false;
  let resyncBuffer: { order: Order; receivedAt: number }[] | null = null;
  let reconnectTimer: TimerHandle | undefined;
  let heartbeatTimer: TimerHandle | undefined;
  let handshakeTimer: TimerHandle | undefined;
  const downWaiters: (() => void)[] = [];

  const ctx = (receivedAt: number): NormalizeContext => ({
    accountId: account.id,
    timeZone: account.timeZone,
    receivedAt: isoTime(receivedAt),
  });

  function setState(to: LinkState): void {
    if (to === state) return;
    const from = state;
    state = to;
    since = clock.now();
    log.info({ account: account.id, from, to }, 'upstream link state');
    deps.onState?.({ accountId: account.id, from, to, at: since });
    if (to === 'down') for (const w of downWaiters.splice(0)) w();
  }

  /** Ends the current socket; its close event moves the state machine on. */
  function fail(reason: string): void {
    recordError(reason);
    log.warn({ account: account.id, reason: lastError }, 'upstream link failed');
    socket?.terminate();
  }

  function recordError(message: string): void {
    lastError = redact(message, account.credentials);
    errorRecorded = true;
  }

  /** The current socket's timers: its heartbeat and its handshake deadline. */
  function clearSocketTimers(): void {
    clock.clearTimeout(heartbeatTimer);
    clock.clearTimeout(handshakeTimer);
    heartbeatTimer = handshakeTimer = undefined;
  }

  function connect(): void {
    const myGen = ++gen;
    authRejected = false;
    errorRecorded = false;
    // Left over only if a previous socket never reported its close (start() racing stop()).
    clearSocketTimers();
    let ws: WebSocket;
    try {
      const { url, headers } = dialect.connectRequest(account);
      ws = new WebSocket(url, {
        headers,
        handshakeTimeout: settings.handshakeTimeoutMs,
        perMessageDeflate: false,
        maxPayload: 16 * 1024 * 1024,
      });
    } catch (err) {
      // ws throws at once on what it can't send (a credential with a CR or LF in a header, a bad
      // URL): that is a failed attempt like any other, retried with backoff, never a crash.
      recordError(`cannot connect: ${(err as Error).message}`);
      log.warn({ account: account.id, reason: lastError }, 'upstream link failed');
      socket = undefined;
      onClose(0);
      return;
    }
    socket = ws;
    const current = () => myGen === gen;
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      if (!current()) return;
      res.resume();
      refused = true;
      recordError(`upgrade refused: HTTP ${res.statusCode}`);
      authRejected = res.statusCode === 401 || res.statusCode === 403;
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!current() || refused) return;
      recordError(err.message);
      log.debug({ account: account.id, err: lastError }, 'upstream socket error');
    });
    ws.on('open', () => current() && onOpen(myGen, ws));
    ws.on('message', (data, isBinary) => current() && onMessage(data as Buffer, isBinary));
    ws.on('pong', () => {
      if (current()) lastActivity = clock.now();
    });
    ws.on('close', (code) => current() && onClose(code));
  }

  function onOpen(myGen: number, ws: WebSocket): void {
    lastActivity = clock.now();
    // The first beat comes after a random part of the interval, so that links opened together
    // (every account at start-up) don't all ping at once, every interval, for as long as they run.
    scheduleHeartbeat(ws, Math.max(1, Math.ceil(deps.random() * settings.heartbeatMs)));
    if (dialect.onOpen(account, (text) => ws.send(text))) {
      void resync(myGen);
      return;
    }
    handshakeTimer = clock.setTimeout(() => fail('handshake timed out'), settings.handshakeTimeoutMs);
  }

  function scheduleHeartbeat(ws: WebSocket, inMs: number): void {
    heartbeatTimer = clock.setTimeout(() => heartbeat(ws), inMs);
  }

  /** Pings, or ends a link that has been silent for two intervals (a watchdog, not a timeout). */
  function heartbeat(ws: WebSocket): void {
    if (clock.now() - lastActivity >= 2 * settings.heartbeatMs) {
      fail(`stalled: no data or pong for ${clock.now() - lastActivity} ms`);
      return;
    }
    if (dialect.ping.kind === 'text') ws.send(dialect.ping.text);
    else ws.ping();
    scheduleHeartbeat(ws, settings.heartbeatMs);
  }

  function onMessage(data: Buffer, isBinary: boolean): void {
    const receivedAt = clock.now();
    lastActivity = receivedAt;
    lastMessageAt = receivedAt;
    messages++;
    for (const event of dialect.parse(data, isBinary, ctx(receivedAt), account)) handle(event, receivedAt);
  }

  function handle(event: UpstreamEvent, receivedAt: number): void {
    const kind: FrameKind = event.kind === 'auth_failed' || event.kind === 'reply' ? 'control' : event.kind;
    frames[kind]++;
    deps.onFrame?.(kind);
    switch (event.kind) {
      case 'update':
        if (!resyncBuffer) deps.onOrder(event.order, receivedAt, 'live');
        else if (resyncBuffer.length < maxBuffered) resyncBuffer.push({ order: event.order, receivedAt });
        else fail('too many live updates during resync');
        return;
      case 'control':
        if (event.ready && handshakeTimer) {
          clock.clearTimeout(handshakeTimer);
          handshakeTimer = undefined;
          void resync(gen);
        }
        return;
      case 'reply':
        socket?.send(event.text);
        return;
      case 'auth_failed':
        authRejected = true;
        fail(`auth failed: ${event.reason}`);
        return;
      case 'invalid':
        log.debug({ account: account.id, reason: event.reason }, 'invalid upstream frame dropped');
        return;
      case 'heartbeat':
        return;
    }
  }

  /** Fetches the book, applies what was missed, then releases the live updates held meanwhile. */
  async function resync(myGen: number): Promise<void> {
    resyncBuffer = [];
    try {
      const onInvalid = (reason: string) => {
        frames.invalid++;
        deps.onFrame?.('invalid');
        log.warn({ account: account.id, reason }, 'unreadable snapshot entry skipped');
      };
      const orders = await dialect.fetchSnapshot(deps.rest, account, {
        ...ctx(clock.now()),
        onInvalid,
        onWarn: (message) => log.warn({ account: account.id }, message),
        knownOpen: deps.knownOpen?.(),
      });
      if (myGen !== gen) return;
      orders.sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : 0));
      const at = clock.now();
      for (const o of orders) deps.onOrder(o, at, 'resync');
      const held = resyncBuffer;
      resyncBuffer = null;
      for (const h of held) deps.onOrder(h.order, h.receivedAt, 'live');
      attempt = 0;
      deps.onResync?.('ok', orders.length);
      setState('connected');
    } catch (err) {
      if (myGen !== gen) return;
      deps.onResync?.('error', 0);
      if (err instanceof GatewayError && err.code === 'unauthorized') authRejected = true;
      fail(`resync failed: ${(err as Error).message}`);
    }
  }

  function onClose(code: number): void {
    if (!stopped && !errorRecorded) recordError(`closed by upstream with code ${code}`);
    clearSocketTimers();
    resyncBuffer = null;
    socket = undefined;
    gen++;
    if (stopped || authRejected) {
      setState(stopped ? 'down' : 'auth_failed');
      return;
    }
    setState('reconnecting');
    const delay = backoff(attempt++, settings.backoffMinMs, settings.backoffMaxMs, deps.random());
    log.debug({ account: account.id, delay }, 'upstream reconnect scheduled');
    reconnectTimer = clock.setTimeout(() => {
      reconnectTimer = undefined;
      reconnects++;
      connect();
    }, delay);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      setState('connecting');
      connect();
    },
    stop() {
      stopped = true;
      // No pings, watchdog or handshake deadline while the socket closes: a stopping link must
      // not record a failure of its own making.
      clock.clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      clearSocketTimers();
      if (!socket) {
        setState('down');
        return Promise.resolve();
      }
      const ws = socket;
      const cut = clock.setTimeout(() => ws.terminate(), 2_000);
      const done = new Promise<void>((resolve) =>
        downWaiters.push(() => {
          clock.clearTimeout(cut);
          resolve();
        }),
      );
      ws.close(1000);
      return done;
    },
    status: () => ({
      account_id: account.id,
      dialect: dialect.name,
      state,
      since: new Date(since).toISOString(),
      last_message_at: lastMessageAt === null ? null : new Date(lastMessageAt).toISOString(),
      reconnects,
      messages,
      frames: { ...frames },
      last_error: lastError,
    }),
    account: () => account,
    updateCredentials(credentials) {
      account = { ...account, credentials };
      if (state !== 'auth_failed' || stopped) return;
      attempt = 0;
      setState('connecting');
      connect();
    },
  };
}
