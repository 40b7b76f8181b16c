// The supervisor pages in real headless Chromium against a real server and a real
// phone: log in, see the phone's track drawn on the map (checked on the rendered
// canvas), replay the patrol, accept and dispatch the phone's incident and see the
// dispatch reach the phone's store after it syncs, approve a registration. Every
// page is saved as a screenshot under target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const URL = process.env.FIELDGRID_URL;
const SHOTS = process.env.FIELDGRID_SCREENSHOTS;
const PHONE = process.env.FIELDGRID_PHONE_DIR;
const GRID = '320722104201001';

function phone(...args) {
  return execFileSync('python3', ['tests/browser/phone.py', PHONE, ...args], {
    env: { ...process.env, PYTHONPATH: process.env.FIELDGRID_PYTHONPATH },
    encoding: 'utf8',
  }).trim();
}

let browser;
let admin;
let supervisor;
let work;
let jointCase;
let centre;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function login(user, password, viewport = { width: 1400, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(URL + '/ui/');
  assert.match(page.url(), /\/ui\/login$/, 'signed-out users are sent to the login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForURL(URL + '/ui/');
  return page;
}

test('a wrong password is refused and nothing opens', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(URL + '/ui/login');
  await page.fill('#username', 'anfeng');
  await page.fill('#password', 'not-the-password');
  await page.click('#login-button');
  await page.waitForSelector('#login-error');
  const api = await page.request.get(URL + '/ui/api/map');
  assert.equal(api.status(), 401);
  await page.screenshot({ path: `${SHOTS}/login.png` });
  await context.close();
});

test('an administrator approves a registration on the admin page', async () => {
  const registration = phone('register', '测试网格员');
  admin = await login('donghai', 'donghai-demo');
  await admin.goto(URL + '/ui/admin');
  const row = admin.locator('#pending tr', { hasText: '测试网格员' });
  await row.locator('select.approve-staff').selectOption('worker-' + GRID);
  await admin.screenshot({ path: `${SHOTS}/admin.png`, fullPage: true });
  await row.locator('button.approve-button').click();
  await admin.waitForURL(URL + '/ui/admin');
  assert.equal(await admin.locator('#pending tr', { hasText: '测试网格员' }).count(), 0);
  assert.equal(phone('approved'), 'worker-' + GRID, 'the phone learns it is approved: ' + registration);
  // Where the grid is (the demo county is generated): the centre of its polygon.
  const map = await (await admin.request.get(URL + '/ui/api/map')).json();
  const ring = map.grids.find((g) => g.code === GRID).ring;
  centre = [ring.reduce((a, p) => a + p[0], 0) / ring.length, ring.reduce((a, p) => a + p[1], 0) / ring.length];
  // A POST without the session's CSRF token is refused.
  const forged = await admin.request.post(URL + `/ui/admin/registrations/${registration}/reject`, {
    form: { csrf: 'forged', reason: 'x' },
  });
  assert.equal(forged.status(), 403);
});

test('the phone patrols and reports, and the supervisor sees its track drawn on the map', async () => {
  work = JSON.parse(phone('work', GRID, String(centre[0]), String(centre[1])));
  assert.equal(work.fixes, 1200);
  assert.ok(work.chunks >= 1, 'the track was uploaded');
  supervisor = await login('anfeng', 'anfeng-demo');
  await supervisor.waitForSelector('#map[data-ready="1"]', { timeout: 30000 });
  const drawn = await supervisor.evaluate(() => window.fieldgridMap);
  assert.ok(drawn.grids >= 12, `grids drawn: ${drawn.grids}`);
  assert.ok(drawn.tracks >= 2, `tracks drawn (the simulated phones' and ours): ${drawn.tracks}`);
  // The rendered canvas holds the track's colour (#1f6fb2), not only the HTML.
  const trackPixels = await supervisor.evaluate(() => {
    let n = 0;
    for (const c of document.querySelectorAll('#map canvas')) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - 31) < 25 && Math.abs(d[i + 1] - 111) < 25 && Math.abs(d[i + 2] - 178) < 25 && d[i + 3] > 100) n++;
      }
    }
    return n;
  });
  assert.ok(trackPixels > 50, `track pixels on the canvas: ${trackPixels}`);
  await supervisor.screenshot({ path: `${SHOTS}/map.png` });
});

test('the supervisor replays the patrol with the time slider', async () => {
  await supervisor.click(`.replay-link[data-patrol="${work.patrol}"]`);
  await supervisor.waitForSelector('#replay:not([hidden])');
  const points = await supervisor.evaluate(() => window.fieldgridMap.replayPoints);
  assert.equal(points, 1200);
  const first = await supervisor.textContent('#replay-time');
  await supervisor.evaluate(() => {
    const s = document.getElementById('replay-slider');
    s.value = String(Math.floor(Number(s.max) / 2));
    s.dispatchEvent(new Event('input'));
  });
  const middle = await supervisor.textContent('#replay-time');
  assert.notEqual(first, middle, 'the marker moved in time');
  await supervisor.screenshot({ path: `${SHOTS}/replay.png` });
  const gpx = await supervisor.request.get(URL + `/ui/export/patrols/${work.patrol}.gpx`);
  assert.equal(gpx.status(), 200);
  assert.equal(((await gpx.text()).match(/<trkpt /g) || []).length, 1200);
});

test('the supervisor accepts and dispatches the incident, and the phone receives it', async () => {
  await supervisor.goto(URL + '/ui/incidents');
  await supervisor.screenshot({ path: `${SHOTS}/incidents.png`, fullPage: true });
  // Categories and stages read in Chinese; the codes stay in attributes.
  const shown = await supervisor.$$eval('[data-category], [data-stage]', (els) =>
    els.map((e) => ({ code: e.dataset.category || e.dataset.stage, text: e.textContent.trim() })));
  assert.ok(shown.length >= 2, 'the list shows categories and stages');
  for (const { code, text } of shown) {
    assert.ok(/[\u4e00-\u9fff]/.test(text), `${code} is shown as ${JSON.stringify(text)}`);
    assert.ok(!/^[a-z_]+(\.[a-z_]+)*$/.test(text), `a raw code is shown: ${text}`);
  }
  await supervisor.click(`a.incident-link[data-id="${work.incident}"]`);
  await supervisor.waitForSelector('#incident-map canvas');
  await supervisor.selectOption('#step-to', 'accepted');
  await supervisor.fill('#step-note', '已受理');
  await supervisor.click('#step-submit');
  await supervisor.waitForSelector('#notice');
  await supervisor.selectOption('#step-to', 'dispatched');
  await supervisor.selectOption('#step-assignee', '320722104000-zhifa');
  await supervisor.fill('#step-note', '请综合执法处置');
  await supervisor.click('#step-submit');
  await supervisor.waitForSelector('#notice');
  assert.equal(await supervisor.getAttribute('#incident-stage', 'data-stage'), 'dispatched');
  // Only the dispatch names a unit in the record of steps.
  const units = await supervisor.$$eval('#transitions tbody tr td:nth-child(6)', (tds) => tds.map((t) => t.textContent.trim()));
  assert.deepEqual(units, ['', '综合执法平台']);
  await supervisor.screenshot({ path: `${SHOTS}/incident.png`, fullPage: true });
  // A step the workflow does not allow now is refused with the reason.
  await supervisor.selectOption('#step-to', 'verified');
  await supervisor.click('#step-submit');
  await supervisor.waitForSelector('#step-error');
  assert.equal(phone('stage', work.incident), 'dispatched', 'the dispatch reached the phone');
});

test('scripts in a parameter or a stored field never run', async () => {
  const pwned = () => supervisor.evaluate(() => window.__pwned);
  // Reflected: a script in a query parameter is refused, not echoed.
  const r = await supervisor.goto(URL + '/ui/stats?by=%3Cscript%3Ewindow.__pwned%3D3%3C%2Fscript%3E');
  assert.equal(r.status(), 400);
  assert.equal(await pwned(), undefined);
  assert.ok(!(await supervisor.content()).includes('window.__pwned=3'));
  // Stored: a phone's report carrying markup shows as text on the incident page.
  const evil = phone('evil', GRID);
  const page = await supervisor.goto(URL + `/ui/incidents/${evil}`);
  assert.equal(page.status(), 200);
  await supervisor.waitForTimeout(300);
  assert.equal(await pwned(), undefined, 'a stored script ran');
  assert.match(await supervisor.textContent('main'), /<script>window.__pwned=2<\/script>/);
  assert.equal(await supervisor.locator('main img[src="x"]').count(), 0);
  // And the policy itself: an inline script added to the page is blocked and reported.
  const violations = [];
  await supervisor.exposeFunction('reportViolation', (v) => violations.push(v));
  await supervisor.evaluate(() => document.addEventListener('securitypolicyviolation',
    (e) => window.reportViolation(e.violatedDirective)));
  await supervisor.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = 4';
    document.body.appendChild(s);
  });
  await supervisor.waitForTimeout(200);
  assert.equal(await pwned(), undefined, 'an inline script ran');
  assert.ok(violations.some((v) => v.startsWith('script-src')), JSON.stringify(violations));
  await supervisor.screenshot({ path: `${SHOTS}/stored-script-as-text.png`, fullPage: true });
});

test('households, statistics and exports render for the supervisor', async () => {
  await supervisor.goto(URL + '/ui/households');
  const total = await supervisor.textContent('#household-total');
  assert.match(total, /^\d+ 户$/);
  assert.ok(parseInt(total, 10) > 50, total);
  await supervisor.screenshot({ path: `${SHOTS}/households.png`, fullPage: true });
  await supervisor.click('a.household-link >> nth=0');
  await supervisor.waitForSelector('#module-basic');
  assert.ok((await supervisor.locator('.module').count()) >= 4);
  await supervisor.screenshot({ path: `${SHOTS}/household.png`, fullPage: true });
  await supervisor.goto(URL + '/ui/stats?by=village');
  assert.ok((await supervisor.locator('#stats tbody tr').count()) >= 1);
  assert.ok((await supervisor.locator('#chart-acceptance rect').count()) >= 1, 'the chart is drawn');
  // The demo's command centres call residents back: 满意率 and 办结率 have figures.
  const heads = await supervisor.$$eval('#stats thead th', (t) => t.map((x) => x.textContent.trim()));
  const col = (name) => heads.indexOf(name) + 1;
  const rates = async (name) => supervisor.$$eval(`#stats tbody td:nth-child(${col(name)})`, (t) => t.map((x) => x.textContent.trim()));
  assert.ok((await rates('满意率')).some((v) => /^\d+\.\d%$/.test(v)), JSON.stringify(await rates('满意率')));
  assert.ok((await rates('办结率')).some((v) => /^\d+\.\d%$/.test(v)), JSON.stringify(await rates('办结率')));
  await supervisor.screenshot({ path: `${SHOTS}/stats.png`, fullPage: true });
  const csv = await supervisor.request.get(URL + '/ui/export/incidents.csv');
  assert.equal(csv.status(), 200);
  assert.ok((await csv.text()).includes(work.incident));
  const geo = await supervisor.request.get(URL + '/ui/export/patrols.geojson');
  assert.equal((await geo.json()).features.length >= 1, true);
  // Supervisors are not administrators.
  const adminPage = await supervisor.request.get(URL + '/ui/admin');
  assert.equal(adminPage.status(), 403);
});

// The outline of the first grid the supervisor sees, and a point inside it.
async function firstGrid() {
  const grids = await (await supervisor.request.get(URL + '/ui/api/grids')).json();
  const g = grids.find((x) => x.code === GRID) || grids[0];
  const n = g.ring.length;
  const lat = g.ring.reduce((a, p) => a + p[0], 0) / n;
  const lon = g.ring.reduce((a, p) => a + p[1], 0) / n;
  return { ...g, lat, lon };
}

test('a call is taken at the desk with the category picker, a map click and duplicate hints', async () => {
  const grid = await firstGrid();
  await supervisor.goto(URL + '/ui/intake');
  await supervisor.waitForSelector('#intake-map[data-ready="1"]');
  await supervisor.selectOption('#intake-channel', 'phone');
  await supervisor.fill('#category-search', 'zdjy');
  await supervisor.waitForSelector('#category-results .category-option');
  await supervisor.click('#category-results .category-option >> nth=0');
  assert.equal(await supervisor.inputValue('#intake-category'), 'urban.street.stalls');
  assert.match(await supervisor.textContent('#category-chosen'), /占道经营/);
  await supervisor.fill('#intake-description', '菜市场门口占道摆摊，影响通行');
  // A real click on the map, at a point inside the grid.
  const at = await supervisor.$eval('#intake-map', (el, p) => {
    const pt = el.leafletMap.latLngToContainerPoint([p.lat, p.lon]);
    const box = el.getBoundingClientRect();
    return { x: box.left + pt.x, y: box.top + pt.y };
  }, grid);
  await supervisor.mouse.click(at.x, at.y);
  await supervisor.waitForFunction(() => document.getElementById('intake-lat').value !== '');
  assert.match(await supervisor.textContent('#place-chosen'), new RegExp('已选位置：' + grid.name));
  await supervisor.waitForSelector('#duplicates li');
  await supervisor.fill('#intake-contact-name', '赵女士');
  await supervisor.fill('#intake-contact-phone', '13700001111');
  await supervisor.screenshot({ path: `${SHOTS}/intake.png`, fullPage: true });
  await supervisor.click('#intake-submit');
  await supervisor.waitForSelector('#notice');
  assert.match(supervisor.url(), /\/ui\/incidents\/[0-9a-f-]+\?notice=taken$/);
  assert.equal(await supervisor.getAttribute('#incident-channel', 'data-channel'), 'phone');
  assert.equal(await supervisor.getAttribute('#incident-stage', 'data-stage'), 'reported');
  assert.match(await supervisor.textContent('#incident-contact'), /^赵\*\* 137\*\*\*\*1111$/);
  await supervisor.screenshot({ path: `${SHOTS}/intake-taken.png`, fullPage: true });
  // A second call about the same stalls, at the same place: the first is hinted.
  const first = supervisor.url().split('/ui/incidents/')[1].split('?')[0];
  await supervisor.goto(URL + '/ui/intake');
  await supervisor.waitForSelector('#intake-map[data-ready="1"]');
  await supervisor.fill('#category-search', '占道');
  await supervisor.click('#category-results .category-option >> nth=0');
  await supervisor.mouse.click(at.x, at.y);
  await supervisor.waitForSelector(`#duplicates a[href="/ui/incidents/${first}"]`);
  await supervisor.screenshot({ path: `${SHOTS}/intake-duplicate.png`, fullPage: true });
});

test('a resident reports on the public page from a phone-sized screen and reads the progress', async () => {
  const grid = await firstGrid();
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'zh-CN', geolocation: { latitude: grid.lat, longitude: grid.lon, accuracy: 12 },
    permissions: ['geolocation'],
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(URL + '/report');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
    'nothing runs off the side of a phone screen');
  await page.selectOption('#report-category', 'environment.waste');
  await page.fill('#report-description', '<script>window.__pwned=9</script>村口垃圾多日未清运');
  await page.tap('#report-locate');
  await page.waitForFunction(() => document.getElementById('report-lat').value !== '');
  await page.fill('#report-phone', '13600002222');
  await page.fill('#report-name', '<img src=x onerror="window.__pwned=8">');
  await page.setInputFiles('#report-photo', 'core/tests/fixtures/photos/cmyk-adobe.jpg');
  await page.screenshot({ path: `${SHOTS}/report.png`, fullPage: true });
  await page.tap('#report-submit');
  await page.waitForSelector('#receipt-code');
  const code = (await page.textContent('#receipt-code')).trim();
  assert.match(code, /^[0-9A-Z]{10}$/);
  await page.screenshot({ path: `${SHOTS}/report-receipt.png`, fullPage: true });
  await page.tap('#receipt-link');
  await page.waitForSelector('#progress-stage');
  assert.equal(await page.textContent('#progress-stage'), '待受理');
  await page.screenshot({ path: `${SHOTS}/report-progress.png`, fullPage: true });
  await context.close();
  // The supervisor sees it in the queue, the script shown as text.
  await supervisor.goto(URL + '/ui/incidents?stage=reported');
  await supervisor.click('[data-channel="public_page"] >> xpath=ancestor::tr >> a.incident-link');
  await supervisor.waitForSelector('#incident-channel');
  assert.equal(await supervisor.evaluate(() => window.__pwned), undefined);
  assert.match(await supervisor.textContent('body'), /<script>window.__pwned=9<\/script>/);
  assert.ok((await supervisor.locator('img.incident-photo').count()) === 1, 'the photo is shown');
});

/// Takes a step on the incident page open in `page`; `fields` are selects or
/// inputs to set first (`#id` → value). Waits for the notice.
async function takeStep(page, to, note, fields = {}) {
  await page.selectOption('#step-to', to);
  for (const [sel, value] of Object.entries(fields)) {
    if (await page.$eval(sel, (e) => e.tagName) === 'SELECT') await page.selectOption(sel, value);
    else await page.fill(sel, value);
  }
  await page.fill('#step-note', note);
  await page.click('#step-submit');
  const outcome = await Promise.race([
    page.waitForSelector('#notice').then(() => 'ok'),
    page.waitForSelector('#step-error').then(async () => page.textContent('#step-error')),
  ]);
  assert.equal(outcome, 'ok', `${to}: ${outcome}`);
}

test('each role in the loop works a joint case from its own task list, and the resident is called back', async () => {
  const id = phone('report', GRID);
  jointCase = id;
  // The command centre: the new report on its list, accepted and dispatched to a
  // lead with a joint unit and a supervising unit.
  await supervisor.goto(URL + '/ui/tasks?kind=accept');
  assert.ok(await supervisor.$(`#tasks-accept a[href="/ui/incidents/${id}"]`), 'the report waits for acceptance');
  await supervisor.screenshot({ path: `${SHOTS}/tasks-centre.png`, fullPage: true });
  await supervisor.goto(URL + `/ui/incidents/${id}`);
  await takeStep(supervisor, 'accepted', '已受理');
  // The joint part is due today (China time): it shows on the urging list.
  const due = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  await takeStep(supervisor, 'dispatched', '主办综合执法，市场监管配合', {
    '#step-assignee': '320722104000-zhifa',
    '#step-joint1': '320722104000-shichang',
    '#step-joint1-task': '核查沿街商铺外摆',
    '#step-joint1-due': due,
    '#step-supervisor': '320722104000-zongzhi',
  });
  assert.deepEqual(await supervisor.$$eval('#parts tbody td:nth-child(4)', (t) => t.map((x) => x.textContent.trim())), ['待办理']);
  assert.equal((await supervisor.textContent('#incident-supervisor')).includes('综治工作平台'), true);
  await supervisor.goto(URL + '/ui/urging');
  const dueRow = supervisor.locator('#urging-parts tr', { hasText: '核查沿街商铺外摆' });
  assert.equal(await dueRow.count(), 1, 'the part due today is on the urging list');
  assert.match(await dueRow.textContent(), /市场监管平台.*(即将到期|超期)/s);
  await supervisor.screenshot({ path: `${SHOTS}/urging.png`, fullPage: true });

  // The joint unit's handler: its part on 我的任务, finished there.
  const joint = await login('shichang', 'shichang-demo');
  await joint.goto(URL + '/ui/tasks');
  const row = joint.locator('#tasks-joint tr', { hasText: '核查沿街商铺外摆' });
  assert.equal(await row.count(), 1, 'the joint part is on the joint unit\'s list');
  assert.match(await row.textContent(), /联办完成/);
  await joint.screenshot({ path: `${SHOTS}/tasks-joint.png`, fullPage: true });
  await joint.goto(URL + `/ui/incidents/${id}`);
  await takeStep(joint, 'part_handled', '外摆已清理', { '#step-part': '320722104000-shichang' });
  assert.deepEqual(await joint.$$eval('#parts tbody td:nth-child(4)', (t) => t.map((x) => x.textContent.trim())), ['已完成']);

  // The centre urges the lead by phone with a promised date.
  await supervisor.goto(URL + `/ui/incidents/${id}`);
  await takeStep(supervisor, 'urged', '请尽快处置', {
    '#step-urge-unit': '320722104000-zhifa', '#step-urge-method': 'phone', '#step-promised': due,
  });
  assert.match(await supervisor.textContent('#urges tbody'), /综合执法平台.*电话促办.*请尽快处置/s);

  // The lead's handler sees the urge on its list, handles and finishes.
  const lead = await login('zhifa', 'zhifa-demo');
  await lead.goto(URL + '/ui/tasks?kind=lead');
  const leadRow = lead.locator('#tasks-lead tr', { has: lead.locator(`a[href="/ui/incidents/${id}"]`) });
  assert.match(await leadRow.textContent(), /已催办/);
  await lead.screenshot({ path: `${SHOTS}/tasks-lead.png`, fullPage: true });
  await lead.goto(URL + `/ui/incidents/${id}`);
  await takeStep(lead, 'handling', '');
  await takeStep(lead, 'handled', '已劝离摊贩并恢复通行');

  // The inspector's verification list.
  const inspector = await login('ducha', 'ducha-demo');
  await inspector.goto(URL + '/ui/tasks?kind=verify');
  assert.ok(await inspector.$(`#tasks-verify a[href="/ui/incidents/${id}"]`), 'on the verification list');
  await inspector.screenshot({ path: `${SHOTS}/tasks-verify.png`, fullPage: true });
  await inspector.goto(URL + `/ui/incidents/${id}`);
  await takeStep(inspector, 'verified', '现场核查属实');

  // The centre closes and calls the resident back.
  await supervisor.goto(URL + `/ui/incidents/${id}`);
  await takeStep(supervisor, 'closed', '');
  await supervisor.goto(URL + '/ui/tasks?kind=follow_up');
  assert.ok(await supervisor.$(`#tasks-follow_up a[href="/ui/incidents/${id}"]`), 'on the follow-up list');
  await supervisor.goto(URL + `/ui/incidents/${id}`);
  await takeStep(supervisor, 'assessed', '群众表示满意', { '#step-answer': 'satisfied' });
  assert.equal(await supervisor.getAttribute('#incident-stage', 'data-stage'), 'assessed');
  assert.equal(await supervisor.getAttribute('#follow-ups [data-answer]', 'data-answer'), 'satisfied');
  await supervisor.screenshot({ path: `${SHOTS}/incident-joint.png`, fullPage: true });
  // A unit's handler may not take the command centre's steps: refused with the reason.
  await lead.goto(URL + `/ui/incidents/${id}`);
  await lead.selectOption('#step-to', 'closed');
  await lead.click('#step-submit');
  await lead.waitForSelector('#step-error');
  assert.equal(phone('stage', id), 'assessed', 'the phone holds the same stage');
  for (const p of [joint, lead, inspector]) await p.context().close();
});

test('periodic reports and scorecards at 1920×1080, with the workbook downloaded', async () => {
  const wall = await login('anfeng', 'anfeng-demo', { width: 1920, height: 1080 });
  await wall.goto(URL + '/ui/reports?by=village');
  assert.match(await wall.textContent('#report-title'), /月报$/);
  assert.match(await wall.textContent('#kpi-received'), /^\d+$/);
  assert.ok(parseInt(await wall.textContent('#kpi-received'), 10) > 0, 'the demo county reported this month');
  assert.ok((await wall.locator('#report-groups tbody tr').count()) >= 1);
  assert.equal(await wall.locator('#chart-trend rect').count(), 6, 'six periods in the trend');
  // No horizontal scrolling at 1920 wide.
  const overflow = await wall.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await wall.screenshot({ path: `${SHOTS}/report-month-1920.png`, fullPage: true });
  await wall.click('#by-category');
  await wall.waitForURL(/by=category/);
  const names = await wall.$$eval('#report-groups tbody td:first-child', (t) => t.map((x) => x.textContent.trim()));
  assert.ok(names.length >= 1 && names.every((n) => /[\u4e00-\u9fff]/.test(n)), JSON.stringify(names));
  await wall.click('#period-quarter');
  await wall.waitForURL(/period=\d{4}-Q\d/);
  assert.match(await wall.textContent('#report-title'), /季报$/);
  await wall.click('#period-previous');
  await wall.waitForURL(/period=\d{4}-Q\d/);
  await wall.screenshot({ path: `${SHOTS}/report-quarter-1920.png`, fullPage: true });
  const [download] = await Promise.all([wall.waitForEvent('download'), wall.click('#export-xlsx')]);
  const file = await download.path();
  const bytes = (await import('node:fs')).readFileSync(file);
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  assert.match(download.suggestedFilename(), /^report-\d{4}-Q\d-category\.xlsx$/);
  // Scorecards: the workers' list, one card with its items and records, the rules.
  await wall.goto(URL + '/ui/assessment');
  assert.ok((await wall.locator('#scorecards tbody tr').count()) >= 1);
  await wall.screenshot({ path: `${SHOTS}/assessment-1920.png`, fullPage: true });
  await wall.click('a.card-link >> nth=0');
  await wall.waitForSelector('#card-items');
  const items = await wall.$$eval('#card-items tbody td:first-child', (t) => t.map((x) => x.textContent.trim()));
  assert.deepEqual(items.slice(0, 2), ['巡查时长', '巡查天数']);
  assert.match(await wall.textContent('#card-total'), /^\d+(\.\d+)?$/);
  await wall.screenshot({ path: `${SHOTS}/scorecard-1920.png`, fullPage: true });
  await wall.goto(URL + '/ui/assessment?subject=unit');
  assert.ok((await wall.locator('#scorecards tbody tr').count()) >= 4, 'the town\'s platforms are scored');
  await wall.context().close();
});

test('the big screen at 1920×1080: a worker moves live and a new report appears without a reload', async () => {
  const wall = await login('anfeng', 'anfeng-demo', { width: 1920, height: 1080 });
  await wall.goto(URL + '/ui/screen');
  await wall.waitForFunction(() => window.fieldgridScreen && window.fieldgridScreen.grids > 0, null, { timeout: 30000 });
  await wall.waitForFunction(() => document.getElementById('screen-status').textContent === '实时', null, { timeout: 15000 });
  await wall.evaluate(() => { window.__notReloaded = true; });
  const grid = await firstGrid();
  const first = JSON.parse(phone('live', GRID, String(grid.lat), String(grid.lon)));
  assert.equal(first.sent, true);
  await wall.waitForFunction(([staff, lat]) => { const p = window.fieldgridScreen.at(staff); return p && Math.abs(p.lat - lat) < 1e-5; },
    [first.staff, grid.lat], { timeout: 10000 });
  assert.equal(JSON.parse(phone('live', GRID, String(grid.lat + 0.0008), String(grid.lon))).sent, true);
  await wall.waitForFunction(([staff, lat]) => Math.abs(window.fieldgridScreen.at(staff).lat - lat) < 1e-5,
    [first.staff, grid.lat + 0.0008], { timeout: 10000 });
  // The demo county's own patrolling workers move on the screen too.
  await wall.waitForFunction(() => window.fieldgridScreen.workers >= 2, null, { timeout: 30000 });
  const incident = phone('report', GRID);
  await wall.waitForSelector(`#screen-reports li.fresh[data-id="${incident}"]`, { timeout: 10000 });
  assert.match(await wall.textContent(`#screen-reports li[data-id="${incident}"]`), /邻里纠纷/);
  assert.equal(await wall.evaluate(() => window.__notReloaded), true, 'the page never reloaded');
  assert.match(await wall.textContent('#s-received'), /^\d+$/);
  assert.match(await wall.textContent('#s-live'), /^[1-9]\d*$/);
  // Fits the wall without scrolling, and draws smoothly.
  const fit = await wall.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
  assert.ok(fit[0] <= 1920 && fit[1] <= 1080, JSON.stringify(fit));
  const frames = await wall.evaluate(() => new Promise((done) => {
    const t = []; let last = performance.now();
    function step(now) { t.push(now - last); last = now; if (t.length < 120) requestAnimationFrame(step); else done(t); }
    requestAnimationFrame(step);
  }));
  frames.sort((a, b) => a - b);
  console.log(`big screen frame time: median ${frames[60].toFixed(1)} ms, p90 ${frames[108].toFixed(1)} ms`);
  await wall.screenshot({ path: `${SHOTS}/big-screen-1920.png` });
  await wall.context().close();
});

test('the county edits a knowledge entry, previews it and publishes; a script in it stays text', async () => {
  const county = await login('donghai', 'donghai-demo');
  const pwned = () => county.evaluate(() => window.__pwned);
  await county.goto(URL + '/ui/knowledge');
  assert.match(await county.textContent('main .hint'), /知识条目 5100 条 · 网格事项 196 项/);
  await county.fill('#knowledge-q', '宅基地');
  await county.press('#knowledge-q', 'Enter');
  await county.waitForURL(/q=/);
  assert.ok((await county.locator('#knowledge-list tbody tr').count()) >= 5);
  await county.screenshot({ path: `${SHOTS}/knowledge-list.png`, fullPage: true });
  await county.click('#knowledge-list tbody tr:first-child a');
  await county.waitForSelector('#item-history');
  const title = (await county.textContent('#item-title')).trim();
  assert.match(title, /宅基地/);
  // The body renders headings and lists, and its links lead to other entries.
  assert.ok((await county.locator('#published .entry-body h3').count()) >= 2);
  assert.ok((await county.locator('#published a.entry-link').count()) >= 1);
  await county.click('#edit-item');
  await county.waitForSelector('#item-form');
  await county.fill('#f-title', '<script>window.__pwned=7</script>' + title);
  const body = await county.inputValue('#f-body');
  await county.fill('#f-body', body + '\n- <img src=x onerror="window.__pwned=8">请携带原件');
  await county.click('#save-draft');
  await county.waitForSelector('#draft');
  await county.waitForTimeout(200);
  assert.equal(await pwned(), undefined, 'a stored script ran');
  assert.match(await county.textContent('#draft'), /修改（标题、正文）/);
  assert.match(await county.textContent('#draft-title'), /<script>window.__pwned=7<\/script>/);
  assert.equal(await county.locator('main img[src="x"]').count(), 0);
  await county.screenshot({ path: `${SHOTS}/knowledge-draft.png`, fullPage: true });
  // The preview lists the draft; publishing makes version 2.
  await county.goto(URL + '/ui/knowledge/preview');
  assert.equal(await county.locator('#drafts tbody tr').count(), 1);
  assert.match(await county.textContent('#publish'), /发布为第 2 版/);
  await county.click('#publish');
  await county.waitForURL(URL + '/ui/knowledge/preview');
  assert.match(await county.textContent('#preview-summary'), /当前为第 2 版/);
  assert.equal(await county.locator('#versions tbody tr').count(), 2);
  await county.screenshot({ path: `${SHOTS}/knowledge-published.png`, fullPage: true });
  // A town supervisor reads the new version but has no edit buttons.
  await supervisor.goto(URL + '/ui/knowledge?q=' + encodeURIComponent('请携带原件'));
  await supervisor.goto(URL + '/ui/knowledge');
  assert.equal(await supervisor.locator('#new-item').count(), 0);
  assert.equal(await supervisor.evaluate(() => window.__pwned), undefined);
  await county.context().close();
});

test('no page shows a supervisor a raw category, stage, role, channel or unit code', async () => {
  const pages = ['/ui/incidents', '/ui/incidents?done=1', `/ui/incidents/${work.incident}`,
    `/ui/incidents/${jointCase}`, '/ui/stats?by=platform',
    '/ui/stats?by=grid', '/ui/intake', '/ui/tasks', '/ui/urging', '/ui/reports?by=unit',
    '/ui/reports?by=category', '/ui/assessment?subject=unit', '/ui/assessment/rules', '/ui/screen',
    '/ui/knowledge', '/ui/knowledge?show=tasks', '/ui/knowledge/preview'];
  const codeLike = /\b(?:[a-z]+_[a-z_]+|[a-z_]+\.[a-z_]+(?:\.[a-z_]+)?|reported|accepted|dispatched|handling|handled|verified|closed|hotline|public_page|grid_worker)\b/;
  for (const path of pages) {
    await supervisor.goto(URL + path);
    const shown = await supervisor.$$eval('[data-category], [data-stage], [data-role], [data-channel], [data-grid]',
      (els) => els.map((e) => e.textContent.trim()).filter((t) => t !== ''));
    for (const text of shown) {
      assert.ok(/[\u4e00-\u9fff]/.test(text), `${path}: ${JSON.stringify(text)} is not Chinese`);
    }
    const text = await supervisor.evaluate(() => document.body.innerText);
    const found = text.match(codeLike);
    assert.equal(found, null, `${path} shows ${found && found[0]}`);
  }
  await supervisor.goto(URL + `/ui/incidents/${work.incident}`);
  const roles = await supervisor.$$eval('[data-role]', (els) => els.map((e) => e.textContent.trim()));
  assert.ok(roles.includes('镇指挥中心'), JSON.stringify(roles));
  await supervisor.screenshot({ path: `${SHOTS}/incident-in-chinese.png`, fullPage: true });
});
