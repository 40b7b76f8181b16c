// The command centre's big screen: grids coloured by today's coverage, every
// patrolling worker live (server-sent events from /ui/api/live), new reports
// sliding in as they arrive, and today's figures refreshed every minute. It never
// reloads. Names go in as text, never as HTML.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const el = $('screen-map');
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, zoomControl: false, attributionControl: false });
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  const renderer = L.canvas({ padding: 0.5 });
  const colour = (c) => (c == null ? '#3a4354' : c < 0.3 ? '#f4a259' : c < 0.7 ? '#f6d55c' : '#3caea3');
  const grids = L.layerGroup().addTo(map);
  const people = L.layerGroup().addTo(map);
  const markers = new Map();
  const state = { grids: 0, workers: 0, positions: 0, reports: 0, events: 0, bytes: 0, fitted: false };
  // Where a worker's marker stands (for the tests).
  state.at = (staff) => { const m = markers.get(staff); return m ? m.getLatLng() : null; };
  window.fieldgridScreen = state;

  function tip(s) {
    const span = document.createElement('span');
    span.textContent = s;
    return span;
  }

  async function loadGrids() {
    const day = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const r = await fetch('/ui/api/map?day=' + day, { credentials: 'same-origin' });
    if (!r.ok) return;
    const data = await r.json();
    grids.clearLayers();
    const bounds = L.latLngBounds([]);
    for (const g of data.grids) {
      if (!g.ring.length) continue;
      const poly = L.polygon(g.ring, {
        renderer, weight: g.level === 1 ? 1.2 : 0.5, color: '#8fa3bf', fillColor: colour(g.coverage),
        fillOpacity: 0.55,
      }).bindTooltip(tip(g.name + (g.coverage == null ? '：今日未巡查' : '：覆盖 ' + Math.round(g.coverage * 100) + '%')));
      poly.addTo(grids);
      bounds.extend(poly.getBounds());
    }
    state.grids = data.grids.length;
    if (!state.fitted && bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); state.fitted = true; }
  }

  function pct(v) { return v == null ? '—' : (v * 100).toFixed(1) + '%'; }

  async function loadFigures() {
    const r = await fetch('/ui/api/screen', { credentials: 'same-origin' });
    if (!r.ok) return;
    const d = await r.json();
    $('s-received').textContent = d.figures.received;
    $('s-acceptance').textContent = pct(d.figures.acceptance_rate);
    $('s-closed').textContent = d.figures.closed;
    $('s-satisfaction').textContent = pct(d.figures.satisfaction_rate);
    $('s-live').textContent = d.live_workers;
    $('s-q0').textContent = d.queue[0];
    $('s-q1').textContent = d.queue[1];
    $('s-q2').textContent = d.queue[2];
    if (!state.reports) {
      for (const rep of d.latest.slice().reverse()) addReport(rep, false);
    }
  }

  function time(s) {
    return new Date(s * 1000).toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
  }

  function addReport(r, fresh) {
    const list = $('screen-reports');
    if (list.querySelector('[data-id="' + CSS.escape(r.incident) + '"]')) return;
    const li = document.createElement('li');
    li.dataset.id = r.incident;
    li.className = fresh ? 'report fresh' : 'report';
    const head = document.createElement('div');
    head.className = 'report-head';
    head.textContent = time(r.at) + ' · ' + r.channel + ' · ' + r.grid_name;
    const body = document.createElement('div');
    body.className = 'report-category';
    body.textContent = r.category;
    li.append(head, body);
    list.prepend(li);
    while (list.children.length > 12) list.lastChild.remove();
    state.reports++;
    if (fresh) setTimeout(() => li.classList.remove('fresh'), 8000);
  }

  function place(p) {
    const at = [p.lat, p.lon];
    let m = markers.get(p.staff);
    if (m) {
      m.setLatLng(at);
    } else {
      m = L.circleMarker(at, { renderer, radius: 6, color: '#ffffff', weight: 1.5, fillColor: '#2f81f7', fillOpacity: 1 })
        .bindTooltip(tip(p.name + ' · ' + p.grid_name));
      m.addTo(people);
      markers.set(p.staff, m);
      state.workers = markers.size;
    }
    m.options.at = p.at;
    state.positions++;
    state.last = { staff: p.staff, lat: p.lat, lon: p.lon };
  }

  function connect() {
    const source = new EventSource('/ui/api/live');
    source.addEventListener('open', () => { $('screen-status').textContent = '实时'; $('screen-status').className = 'status on'; });
    source.addEventListener('error', () => { $('screen-status').textContent = '重连中…'; $('screen-status').className = 'status off'; });
    source.addEventListener('position', (e) => { state.events++; state.bytes += e.data.length; place(JSON.parse(e.data)); });
    source.addEventListener('report', (e) => {
      state.events++;
      state.bytes += e.data.length;
      addReport(JSON.parse(e.data), true);
      loadFigures();
    });
  }

  // Positions older than a quarter hour fade out: the worker stopped or lost signal.
  setInterval(() => {
    const old = Date.now() / 1000 - 15 * 60;
    for (const [staff, m] of markers) {
      if (m.options.at < old) { people.removeLayer(m); markers.delete(staff); }
    }
    state.workers = markers.size;
  }, 30000);
  setInterval(() => { $('screen-clock').textContent = new Date().toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }); }, 1000);
  setInterval(loadFigures, 60000);
  setInterval(loadGrids, 300000);
  loadGrids().then(loadFigures).then(connect);
})();
