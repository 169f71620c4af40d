// The header's small chart: deliveries accepted and refused per minute over the last hour, from
// GET /inbox/rates (the server's own counters, noted once a minute), so a drop or a spike shows without
// reading the feed. Drawn as SVG bars; the numbers are also in its accessible name and tooltip.
import type { InboxRates } from 'instagram-push-kit';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 180;
const HEIGHT = 28;
/** How often the chart asks again; a minute's figure changes at most this often that matters. */
export const RATES_REFRESH_MS = 30_000;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** One bar per minute: accepted from the baseline up, refused stacked above it. */
export function drawRates(figure: HTMLElement, rates: InboxRates): void {
  const minutes = rates.minutes;
  const peak = Math.max(1, ...minutes.map((m) => m.accepted + m.refused));
  const step = WIDTH / Math.max(1, minutes.length);
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, 'aria-hidden': 'true', focusable: 'false' });
  // The hour's frame, so an empty stretch reads as "nothing arrived", not as a missing chart.
  chart.append(svg('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'rate-frame' }));
  minutes.forEach((m, i) => {
    const accepted = (m.accepted / peak) * HEIGHT;
    const refused = (m.refused / peak) * HEIGHT;
    const x = i * step;
    if (accepted > 0) chart.append(svg('rect', { x, y: HEIGHT - accepted, width: Math.max(1, step - 1), height: accepted, class: 'rate-accepted' }));
    if (refused > 0) chart.append(svg('rect', { x, y: HEIGHT - accepted - refused, width: Math.max(1, step - 1), height: refused, class: 'rate-refused' }));
  });
  const accepted = minutes.reduce((n, m) => n + m.accepted, 0);
  const refused = minutes.reduce((n, m) => n + m.refused, 0);
  const now = minutes.at(-1);
  const summary = `Last hour: ${accepted} accepted, ${refused} refused; this minute: ${now?.accepted ?? 0} accepted, ${now?.refused ?? 0} refused`;
  const caption = document.createElement('figcaption');
  caption.append(`${accepted} accepted · ${refused} refused, last hour`);
  figure.replaceChildren(chart, caption);
  figure.setAttribute('aria-label', summary);
  figure.title = summary;
  figure.dataset.accepted = String(accepted);
  figure.dataset.refused = String(refused);
  figure.hidden = false;
}

/** Fetches and draws now and every RATES_REFRESH_MS; a failure (no token yet, server away) leaves the chart as it was. */
export function startRates(figure: HTMLElement, token: () => string | null): void {
  const refresh = async () => {
    try {
      const t = token();
      const r = await fetch('/inbox/rates', { headers: t ? { authorization: `Bearer ${t}` } : {} });
      if (r.ok) drawRates(figure, (await r.json()) as InboxRates);
    } catch {
      // Tried again at the next refresh.
    }
  };
  void refresh();
  setInterval(() => void refresh(), RATES_REFRESH_MS);
}
