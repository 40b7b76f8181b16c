// The big screen under load, for tests/src/bin/live_bench.rs: signs in, opens
// /ui/screen at 1920×1080 in headless Chromium, prints "ready" once it is drawn
// and following the live events, then measures its frame times for the given
// seconds while the positions arrive, and prints one JSON line of results.
import { chromium } from 'playwright-core';

const [url, user, password, seconds] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
const page = await context.newPage();
await page.goto(url + '/ui/login');
await page.fill('#username', user);
await page.fill('#password', password);
await page.click('#login-button');
await page.waitForURL(url + '/ui/');
await page.goto(url + '/ui/screen');
await page.waitForFunction(() => window.fieldgridScreen && window.fieldgridScreen.grids > 0, null, { timeout: 120000 });
await page.waitForFunction(() => document.getElementById('screen-status').textContent === '实时', null, { timeout: 30000 });
console.log('ready');
const frames = await page.evaluate((ms) => new Promise((done) => {
  const t = []; let last = performance.now(); const end = last + ms;
  function step(now) { t.push(now - last); last = now; if (now < end) requestAnimationFrame(step); else done(t); }
  requestAnimationFrame(step);
}), Number(seconds) * 1000);
const state = await page.evaluate(() => ({ ...window.fieldgridScreen, last: undefined }));
frames.sort((a, b) => a - b);
const at = (p) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))];
console.log(JSON.stringify({
  frames: frames.length,
  frame_ms_median: +at(0.5).toFixed(1),
  frame_ms_p90: +at(0.9).toFixed(1),
  frame_ms_p99: +at(0.99).toFixed(1),
  markers: state.workers,
  positions: state.positions,
  event_bytes: state.bytes,
  grids: state.grids,
}));
await page.screenshot({ path: (process.env.FIELDGRID_SCREENSHOTS || '/tmp') + '/big-screen-4000.png' });
await browser.close();
