/** Small helpers for hand-written SVG: escaping, number formatting, axis ticks, a colour map. */

/** Escapes text for HTML/SVG element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
}

/** A compact number for labels: up to `digits` significant digits, exponent form when tiny or huge. */
export function formatNumber(v: number, digits = 3): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  const [mantissa, exponent] = v.toExponential(Math.max(0, digits - 1)).split('e');
  return `${Number(mantissa)}e${Number(exponent)}`;
}

/** A coordinate for SVG output: two decimals, no trailing zeros. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** "Nice" linear ticks covering [lo, hi]: about `count` of them, at 1, 2 or 5 × 10^k steps. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/** A y axis domain: [lo, hi] padded, never empty. */
export function paddedDomain(values: readonly number[], log: boolean): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    lo = Math.log10(lo);
    hi = Math.log10(hi);
    if (hi - lo < 1) {
      const mid = (hi + lo) / 2;
      lo = mid - 0.5;
      hi = mid + 0.5;
    }
    return [10 ** Math.floor(lo + 1e-9), 10 ** Math.ceil(hi - 1e-9)];
  }
  if (hi === lo) {
    if (lo === 0) return [0, 1];
    const pad = Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
}

/** Powers of ten in [lo, hi] (both > 0), thinned to at most `max`. */
export function logTicks(lo: number, hi: number, max = 7): number[] {
  const a = Math.ceil(Math.log10(lo) - 1e-9);
  const b = Math.floor(Math.log10(hi) + 1e-9);
  const every = Math.max(1, Math.ceil((b - a + 1) / max));
  const ticks: number[] = [];
  for (let k = a; k <= b; k += every) ticks.push(10 ** k);
  return ticks;
}

/** Viridis, sampled at 10 stops (perceptually uniform, readable in grey). */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [181, 222, 43],
  [253, 231, 37],
];

const hex2 = (v: number): string => Math.round(v).toString(16).padStart(2, '0');

/** The colour of s ∈ [0, 1] (clamped; NaN is grey) as #rrggbb. */
export function colourAt(s: number): string {
  if (Number.isNaN(s)) return '#bbbbbb';
  const x = Math.min(1, Math.max(0, s)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  return `#${hex2(a[0] + (b[0] - a[0]) * f)}${hex2(a[1] + (b[1] - a[1]) * f)}${hex2(a[2] + (b[2] - a[2]) * f)}`;
}

/** The colour-map stops as [offset, colour] pairs, for a legend gradient. */
export function colourStops(): [number, string][] {
  return VIRIDIS.map((_, i) => {
    const s = i / (VIRIDIS.length - 1);
    return [s, colourAt(s)];
  });
}
