// The incident page's small map: the grid's boundary and the incident's place,
// from the data attributes of #incident-map (the CSP allows no inline script).
(function () {
  const el = document.getElementById('incident-map');
  if (!el || typeof L === 'undefined') return;
  const ring = JSON.parse(el.dataset.ring || '[]');
  const at = [Number(el.dataset.lat), Number(el.dataset.lon)];
  const m = L.map(el, { preferCanvas: true });
  const grid = L.polygon(ring, { color: '#555', weight: 1, fillOpacity: 0.1 }).addTo(m);
  L.circleMarker(at, { radius: 8, color: '#c0392b', fillOpacity: 0.9 }).addTo(m);
  if (ring.length) {
    m.fitBounds(grid.getBounds().extend(at));
  } else {
    m.setView(at, 16);
  }
})();
