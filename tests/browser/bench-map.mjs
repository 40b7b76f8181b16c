// Map benchmark: how long the supervisors' map takes to fetch and draw a county's
// day (1,500 grids, 4,000 workers' tracks) in headless Chromium, and how long a
// zoom and a pan take to redraw. Prints a table (medians of 3 page loads).
import { chromium } from 'playwright-core';

const URL = process.env.FIELDGRID_URL;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
const page = await context.newPage();
await page.goto(URL + '/ui/login');
await page.fill('#username', 'anfeng');
await page.fill('#password', 'anfeng-demo');
await page.click('#login-button');
await page.waitForURL(URL + '/ui/');

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loads = [];
const apis = [];
const zooms = [];
const pans = [];
let drawn;
for (let run = 0; run < 3; run++) {
  await page.goto(URL + '/ui/');
  await page.waitForSelector('#map[data-ready="1"]', { timeout: 120000 });
  drawn = await page.evaluate(() => { const f = window.fieldgridMap; return { drawnMs: f.drawnMs, grids: f.grids, tracks: f.tracks, markers: f.markers }; });
  loads.push(drawn.drawnMs);
  apis.push(await page.evaluate(() => {
    const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/ui/api/map'));
    return e ? Math.round(e.duration) : null;
  }));
  zooms.push(await page.evaluate(() => new Promise((resolve) => {
    const m = window.fieldgridMap.map;
    const t = performance.now();
    m.once('zoomend', () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(Math.round(performance.now() - t)))));
    m.setZoom(m.getZoom() + 1, { animate: false });
  })));
  pans.push(await page.evaluate(() => new Promise((resolve) => {
    const m = window.fieldgridMap.map;
    const t = performance.now();
    m.once('moveend', () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(Math.round(performance.now() - t)))));
    m.panBy([300, 200], { animate: false });
  })));
}
await page.screenshot({ path: (process.env.FIELDGRID_SCREENSHOTS || 'target/screenshots') + '/map-county.png' });
await browser.close();

console.log('');
console.log(`| map of a county's day (${drawn.grids} grids, ${drawn.tracks} tracks, ${drawn.markers} workers) | median of 3 |`);
console.log('|---|---|');
console.log(`| /ui/api/map request (server: reviews, JSON) | ${median(apis)} ms |`);
console.log(`| page script start to everything drawn | ${median(loads)} ms |`);
console.log(`| zoom in one level, redrawn | ${median(zooms)} ms |`);
console.log(`| pan 300×200 px, redrawn | ${median(pans)} ms |`);
