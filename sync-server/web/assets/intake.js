// The desk intake form: the category picker (Chinese name or pinyin initials),
// the place (a click on the map, or an address search), and the open incidents
// of the same kind nearby. Values are set as text, never as HTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $('intake-form');
  if (!form) return;
  const debounce = (fn, ms) => {
    let t;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  };
  const getJson = (url) => fetch(url, { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : []));
  const item = (text, onPick, cls) => {
    const li = document.createElement('li');
    li.textContent = text;
    if (cls) li.className = cls;
    if (onPick) {
      li.tabIndex = 0;
      li.addEventListener('click', onPick);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); onPick(); } });
    }
    return li;
  };

  // Category picker.
  const catInput = $('category-search');
  const catList = $('category-results');
  const catHidden = $('intake-category');
  const catChosen = $('category-chosen');
  catInput.addEventListener('input', debounce(() => {
    const q = catInput.value.trim();
    catList.replaceChildren();
    if (!q) return;
    getJson('/ui/api/categories?q=' + encodeURIComponent(q)).then((found) => {
      catList.replaceChildren(...found.map((c) => item(c.path, () => {
        catHidden.value = c.code;
        catChosen.textContent = '已选类别：' + c.path;
        catChosen.dataset.code = c.code;
        catList.replaceChildren();
        catInput.value = c.name;
        hints();
      }, 'category-option')));
    });
  }, 150));

  // Place: map click or address search.
  const lat = $('intake-lat');
  const lon = $('intake-lon');
  const grid = $('intake-grid');
  const chosen = $('place-chosen');
  const mapEl = $('intake-map');
  let marker = null;
  let map = null;
  let grids = [];
  // The grid holding a point (ray casting over its outline of [lat, lon]).
  const gridAt = (y, x) => grids.find((g) => {
    let inside = false;
    for (let i = 0, j = g.ring.length - 1; i < g.ring.length; j = i++) {
      const [yi, xi] = g.ring[i];
      const [yj, xj] = g.ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  });
  if (typeof L !== 'undefined' && mapEl) {
    map = L.map(mapEl, { preferCanvas: true });
    mapEl.leafletMap = map; // for tests that click a known place
    getJson('/ui/api/grids').then((found) => {
      grids = found.filter((g) => g.ring.length);
      const layers = grids.map((g) =>
        L.polygon(g.ring, { color: '#2c7be5', weight: 1, fillOpacity: 0.08 }).addTo(map));
      if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds());
      else map.setView([34.5, 118.7], 12);
      mapEl.dataset.ready = '1';
    });
    map.on('click', (e) => {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      grid.value = '';
      const g = gridAt(e.latlng.lat, e.latlng.lng);
      if (g) chosen.dataset.grid = g.code; else delete chosen.dataset.grid;
      chosen.textContent = '已选位置：' + (g ? g.name : '不在辖区网格内') + '（' + lat.value + ', ' + lon.value + '）';
      if (marker) marker.setLatLng(e.latlng);
      else marker = L.circleMarker(e.latlng, { radius: 8, color: '#c0392b', fillOpacity: 0.9 }).addTo(map);
      hints();
    });
  }
  const placeInput = $('place-search');
  const placeList = $('place-results');
  placeInput.addEventListener('input', debounce(() => {
    const q = placeInput.value.trim();
    placeList.replaceChildren();
    if (!q) return;
    getJson('/ui/api/places?q=' + encodeURIComponent(q)).then((found) => {
      placeList.replaceChildren(...found.map((p) => item(p.address + ' · ' + p.grid_name, () => {
        placeInput.value = p.address;
        grid.value = p.grid_code;
        chosen.dataset.grid = p.grid_code;
        chosen.textContent = '已选位置：' + p.grid_name + ' · ' + p.address;
        placeList.replaceChildren();
      }, 'place-option')));
    });
  }, 200));

  // Duplicate hints: open incidents nearby of the same kind.
  const dups = $('duplicates');
  function hints() {
    if (!lat.value || !lon.value || !catHidden.value) return;
    const url = '/ui/api/nearby?lat=' + lat.value + '&lon=' + lon.value +
      '&category=' + encodeURIComponent(catHidden.value);
    getJson(url).then((found) => {
      if (!found.length) {
        dups.replaceChildren(item('附近 500 米内没有同类未办结事件', null, 'muted'));
        return;
      }
      dups.replaceChildren(...found.map((n) => {
        const li = document.createElement('li');
        li.className = 'duplicate';
        const a = document.createElement('a');
        a.href = '/ui/incidents/' + encodeURIComponent(n.id);
        a.textContent = n.category_name + ' · ' + n.stage_name + ' · 相距 ' + n.distance_m + ' 米';
        li.append(a, document.createTextNode(' ' + n.description));
        return li;
      }));
    });
  }
})();
