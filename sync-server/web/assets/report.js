// The public report page: "use my position" fills the hidden lat/lon from the
// phone's location (asked only when the resident taps the button).
(function () {
  const btn = document.getElementById('report-locate');
  if (!btn || !navigator.geolocation) return;
  const out = document.getElementById('report-located');
  btn.addEventListener('click', () => {
    out.textContent = '正在定位…';
    navigator.geolocation.getCurrentPosition((p) => {
      document.getElementById('report-lat').value = p.coords.latitude.toFixed(6);
      document.getElementById('report-lon').value = p.coords.longitude.toFixed(6);
      out.textContent = '已定位（精度约 ' + Math.round(p.coords.accuracy) + ' 米）';
    }, () => { out.textContent = '无法定位，请填写地点'; }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
