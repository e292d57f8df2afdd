// Turns the measurements of the last browser run (metrics.json, written by web/e2e/) into
// the "Pages" section of BENCHMARKS.md: node scripts/pages-report.mjs METRICS_JSON
import { readFileSync } from 'node:fs';

const m = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ms = (x) => (typeof x === 'number' ? `${x < 10 ? x.toFixed(1) : Math.round(x)} ms` : '?');
const bytes = (n) => `${n.toLocaleString('en-US')} B`;
const load = m.firstLoad ?? { files: [], encodedBytes: 0, decodedBytes: 0 };
const part = (re, label) => {
  const f = load.files.find((file) => re.test(file.name));
  return f ? `${label} ${bytes(f.encoded)}` : null;
};
const parts = [part(/^\/$/, '`index.html`'), part(/\.js$/, 'script'), part(/\.css$/, 'stylesheet'), part(/\.svg$/, 'icon')].filter(Boolean);
const open = m.seatMap26x30 ?? {};
const sw = m.zoneSwitch26x30 ?? {};
const updates = (sw.updatesMs ?? []).map((u) => u.toFixed(1)).join(', ');
const long = sw.longTasksMs ?? [];
console.log(`| what | measured |
|---|---|
| first load of \`/\`, compressed (Brotli) as downloaded | ${bytes(load.encodedBytes)}: ${parts.join(', ')} (${bytes(load.decodedBytes)} uncompressed) |
| the largest zone (26 x 30 = ${open.seats ?? 780} seats) drawn on opening the event | ${ms(open.renderMs?.[0])} to build the SVG; ${ms(open.untilPaintedMs?.[0])} until the frame after it was painted |
| switching to another 26 x 30 zone on the loaded page | ${ms(sw.renderMs)} to build; ${ms(sw.untilPaintedMs)} until painted; ${long.length === 0 ? 'no long task (over 50 ms)' : `long tasks of ${long.map(ms).join(', ')}`} during the switch and the 2.5 s of live updates after it |
| a live update of the zone (one poll's answer applied) | ${updates ? `${updates} ms` : '?'} (only changed seats are touched) |
| a seat another browser holds, shown unavailable | ${ms(m.seatTakenVisibleAfterMs)} after the other buyer's hold was confirmed (polling every 1 s; the test's limit is 2 s) |
| a sale made while the admin dashboard is open, counted there | ${ms(m.adminSaleVisibleAfterMs)} (refresh every 2 s) |`);
