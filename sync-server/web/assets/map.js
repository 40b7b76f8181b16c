// The supervisors' map: grid polygons coloured by today's coverage, each worker's
// latest position and track, and the replay of one patrol with a time slider.
// Leaflet draws on a canvas (thousands of lines stay fast); a tile layer is added
// only when a tile URL is configured, so the map also works with no internet.

// Leaflet puts a string tooltip in as HTML: names go in as text nodes instead.
function text(s) {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

(function () {
  'use strict';
  const el = document.getElementById('map');
  const day = el.dataset.day;
  const started = performance.now();
  const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  const renderer = L.canvas({ padding: 0.5 });
  const colour = (c) => (c == null ? '#d9d9d9' : c < 0.3 ? '#f4a259' : c < 0.7 ? '#f6d55c' : '#3caea3');
  const gridLayer = L.layerGroup().addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const replayLayer = L.layerGroup().addTo(map);
  window.fieldgridMap = { map, grids: 0, tracks: 0, markers: 0, drawnMs: null, replayPoints: 0 };

  function fmt(ms) {
    return new Date(ms).toLocaleTimeString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
  }

  async function load() {
    const r = await fetch('/ui/api/map?day=' + encodeURIComponent(day), { credentials: 'same-origin' });
    if (!r.ok) { document.getElementById('map-summary').textContent = '加载失败：' + r.status; return; }
    const data = await r.json();
    const bounds = L.latLngBounds([]);
    for (const g of data.grids) {
      if (!g.ring.length) continue;
      const poly = L.polygon(g.ring, {
        renderer, weight: g.level === 1 ? 1.2 : 0.6, color: '#555', fillColor: colour(g.coverage),
        fillOpacity: g.special ? 0.15 : 0.45, dashArray: g.special ? '4 3' : null,
      }).bindTooltip(text(g.name + (g.coverage == null ? '：今日未巡查' : '：覆盖 ' + Math.round(g.coverage * 100) + '%')));
      poly.addTo(gridLayer);
      bounds.extend(poly.getBounds());
      window.fieldgridMap.grids++;
    }
    const list = document.getElementById('workers');
    for (const w of data.workers) {
      for (const p of w.patrols) {
        L.polyline(p.line, { renderer, weight: 2, color: p.findings.length ? '#c0392b' : '#1f6fb2', opacity: 0.8 })
          .bindTooltip(text(w.name)).addTo(trackLayer);
        window.fieldgridMap.tracks++;
      }
      if (w.latest) {
        L.circleMarker(w.latest, { renderer, radius: 5, color: '#1f6fb2', fillOpacity: 1 }).bindTooltip(text(w.name)).addTo(trackLayer);
        window.fieldgridMap.markers++;
      }
      const li = document.createElement('li');
      li.className = 'worker';
      li.dataset.worker = w.id;
      li.textContent = w.name + '（' + w.patrols.length + ' 次巡查）';
      for (const p of w.patrols) {
        const a = document.createElement('a');
        a.href = '#';
        a.className = 'replay-link';
        a.dataset.patrol = p.patrol;
        a.textContent = ' 回放' + (p.findings.length ? '⚠' : '');
        a.addEventListener('click', (e) => { e.preventDefault(); replay(p.patrol, w.name); });
        li.appendChild(a);
      }
      list.appendChild(li);
    }
    if (bounds.isValid()) map.fitBounds(bounds); else map.setView([34.55, 118.75], 12);
    const drawn = () => {
      window.fieldgridMap.drawnMs = Math.round(performance.now() - started);
      document.getElementById('map-summary').textContent =
        data.grids.length + ' 个网格，' + data.workers.length + ' 名人员，' + window.fieldgridMap.tracks +
        ' 条轨迹（' + window.fieldgridMap.drawnMs + ' ms）';
      el.dataset.ready = '1';
    };
    requestAnimationFrame(() => requestAnimationFrame(drawn));
  }

  async function replay(patrol, name) {
    const r = await fetch('/ui/api/patrols/' + encodeURIComponent(patrol), { credentials: 'same-origin' });
    if (!r.ok) return;
    const p = await r.json();
    replayLayer.clearLayers();
    const pts = p.points.map((x) => [x[0], x[1]]);
    L.polyline(pts, { renderer, weight: 4, color: '#6c3483' }).addTo(replayLayer);
    for (const s of p.stops) {
      L.circleMarker([s[0], s[1]], { renderer, radius: 8, color: '#e67e22' })
        .bindTooltip(text('停留 ' + fmt(s[2]) + '–' + fmt(s[3]))).addTo(replayLayer);
    }
    for (const x of p.points) {
      if (x[3]) L.circleMarker([x[0], x[1]], { renderer, radius: 3, color: '#c0392b' }).addTo(replayLayer);
    }
    const marker = L.circleMarker(pts[0], { renderer, radius: 7, color: '#000', fillColor: '#fff', fillOpacity: 1 }).addTo(replayLayer);
    const box = document.getElementById('replay');
    box.hidden = false;
    document.getElementById('replay-title').textContent = '轨迹回放：' + name;
    document.getElementById('replay-findings').textContent = p.findings.length ? '真实性提示：' + p.findings.join('、') : '未发现异常';
    document.getElementById('replay-gpx').href = '/ui/export/patrols/' + encodeURIComponent(patrol) + '.gpx';
    const slider = document.getElementById('replay-slider');
    slider.max = String(p.points.length - 1);
    slider.value = '0';
    const show = () => {
      const x = p.points[Number(slider.value)];
      marker.setLatLng([x[0], x[1]]);
      document.getElementById('replay-time').textContent = fmt(x[2]);
      window.fieldgridMap.replayAt = Number(slider.value);
    };
    slider.oninput = show;
    show();
    map.fitBounds(L.latLngBounds(pts));
    window.fieldgridMap.replayPoints = p.points.length;
  }

  load();
})();
