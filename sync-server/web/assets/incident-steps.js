// The incident page's step form: shows only the fieldsets the chosen step uses
// (dispatch: units; a joint part's steps: the part; urge: whom and how; the
// follow-up call: the answer). Hidden fields are not sent.
(function () {
  const to = document.getElementById('step-to');
  if (!to) return;
  const sets = Array.from(document.querySelectorAll('#step-form fieldset[data-for]'));
  function show() {
    for (const set of sets) {
      const on = set.dataset.for.split(' ').includes(to.value);
      set.hidden = !on;
      set.disabled = !on;
    }
  }
  to.addEventListener('change', show);
  show();
})();
