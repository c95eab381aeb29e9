/**
 * Instruments and the simulated trader's habits: what background orders look like. NSE cash
 * equities trade in single shares, NFO derivatives in lots (NSE circular of Oct 2024: NIFTY 75,
 * BANKNIFTY 30); both tick in 5 paise. The US list (for the alpaca dialect) trades single shares
 * in cents; prices are kept in hundredths ("paise") there too, and the 5-unit tick is a valid one.
 */
import type { Random } from '../util/rng.js';
import { type PlaceOrder, toPaise, toTick } from './order.js';

/** Which instrument list background orders come from: Indian (kite, ticker-service) or US (alpaca). */
export type Market = 'IN' | 'US';

interface Instrument {
  tradingsymbol: string;
  exchange: string;
  /** Reference price, rupees. */
  price: number;
  lot: number;
}

export const instruments: readonly Instrument[] = [
  { tradingsymbol: 'RELIANCE', exchange: 'NSE', price: 1292.4, lot: 1 },
  { tradingsymbol: 'INFY', exchange: 'NSE', price: 1861.05, lot: 1 },
  { tradingsymbol: 'TCS', exchange: 'NSE', price: 4291.7, lot: 1 },
  { tradingsymbol: 'HDFCBANK', exchange: 'NSE', price: 1812.35, lot: 1 },
  { tradingsymbol: 'SBIN', exchange: 'NSE', price: 838.9, lot: 1 },
  { tradingsymbol: 'ITC', exchange: 'NSE', price: 472.15, lot: 1 },
  { tradingsymbol: 'NIFTY24DEC24000CE', exchange: 'NFO', price: 412.6, lot: 75 },
  { tradingsymbol: 'NIFTY24DEC24000PE', exchange: 'NFO', price: 188.25, lot: 75 },
  { tradingsymbol: 'NIFTY24DEC24500CE', exchange: 'NFO', price: 176.8, lot: 75 },
  { tradingsymbol: 'BANKNIFTY24DEC52000CE', exchange: 'NFO', price: 905.5, lot: 30 },
  { tradingsymbol: 'NIFTY24DECFUT', exchange: 'NFO', price: 24187.3, lot: 75 },
];

/** US equities and ETFs for the alpaca dialect; `exchange` is the listing venue (Alpaca sends none). */
export const usInstruments: readonly Instrument[] = [
  { tradingsymbol: 'AAPL', exchange: 'NASDAQ', price: 229.87, lot: 1 },
  { tradingsymbol: 'MSFT', exchange: 'NASDAQ', price: 415.4, lot: 1 },
  { tradingsymbol: 'NVDA', exchange: 'NASDAQ', price: 135.2, lot: 1 },
  { tradingsymbol: 'AMZN', exchange: 'NASDAQ', price: 207.85, lot: 1 },
  { tradingsymbol: 'TSLA', exchange: 'NASDAQ', price: 345.15, lot: 1 },
  { tradingsymbol: 'JPM', exchange: 'NYSE', price: 242.05, lot: 1 },
  { tradingsymbol: 'SPY', exchange: 'ARCA', price: 602.55, lot: 1 },
  { tradingsymbol: 'QQQ', exchange: 'NASDAQ', price: 515.3, lot: 1 },
];

const known = (symbol: string) =>
  instruments.find((i) => i.tradingsymbol === symbol) ??
  usInstruments.find((i) => i.tradingsymbol === symbol);

/** The listing venue of a known symbol, else null. */
export const exchangeOf = (symbol: string): string | null => known(symbol)?.exchange ?? null;

/** Rejection reasons in the words of Kite's RMS. */
export const rejectionMessages: readonly string[] = [
  'Insufficient funds. Required margin is 95417.84 but available margin is 74251.80.',
  'RMS:Margin Exceeds,Required:182562.50, Available:41233.10 for entity account-AB1234',
  'Your order price is higher than the current upper circuit limit. Place an order within the daily range.',
  'Quantity should be a multiple of the lot size.',
];

/** Picks one element; the array must not be empty. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length) % items.length] as T;
}

/** A number in [min, max). */
export const between = (random: Random, min: number, max: number): number => min + random() * (max - min);

/** The market price the sim fills against, paise: the catalog's, the order's own, or a stable guess. */
export function referencePaise(symbol: string, price?: number | null): number {
  const inst = known(symbol);
  if (inst) return toPaise(inst.price);
  if (price) return toPaise(price);
  let h = 0;
  for (const c of symbol) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return toTick(10_000 + (h % 200_000));
}

/** Lot size of a symbol (1 when unknown). */
export const lotOf = (symbol: string): number => known(symbol)?.lot ?? 1;

/** A plausible order from the simulated trader, on the given market's instruments. */
export function randomOrder(random: Random, market: Market = 'IN'): PlaceOrder {
  const inst = pick(random, market === 'US' ? usInstruments : instruments);
  const side = random() < 0.55 ? 'BUY' : 'SELL';
  const u = random();
  const orderType = u < 0.35 ? 'MARKET' : u < 0.8 ? 'LIMIT' : u < 0.92 ? 'SL' : 'SL-M';
  const lots = inst.lot > 1 ? 1 + Math.floor(random() * 6) : 1 + Math.floor(random() * 200);
  // A US cash account has no margin products: its orders are all delivery (CNC) for the engine.
  const product =
    market === 'US'
      ? 'CNC'
      : inst.exchange === 'NFO'
        ? pick(random, ['NRML', 'MIS'] as const)
        : pick(random, ['CNC', 'MIS'] as const);
  const ref = toPaise(inst.price);
  // Buyers bid a little below the market, sellers offer a little above; stops sit on the far side.
  const away = (sign: number) => toTick(ref * (1 + (sign * between(random, 0.5, 10)) / 1000)) / 100;
  const dir = side === 'BUY' ? 1 : -1;
  const order: PlaceOrder = {
    tradingsymbol: inst.tradingsymbol,
    exchange: inst.exchange,
    transaction_type: side,
    quantity: lots * inst.lot,
    order_type: orderType,
    product,
  };
  if (orderType === 'LIMIT') order.price = away(-dir);
  if (orderType === 'SL' || orderType === 'SL-M') {
    const trig = away(dir);
    order.trigger_price = trig;
    if (orderType === 'SL') order.price = toTick(toPaise(trig) * (1 + dir * 0.002)) / 100;
  }
  return order;
}
