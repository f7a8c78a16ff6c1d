/*
 * Progress Portal: sortable tables and the progress table's filters.
 *
 * Plain ES2017, no build step; the only dependency is the vendored Tablesort
 * (assets/javascripts/vendor/). Every word shown comes from the page's HTML
 * (data-label-* attributes rendered from the label catalogue), none from here.
 *
 * The progress table (table[data-pp-table]) is filtered by the controls of
 * form[data-pp-filters]; the form is hidden in the HTML and shown only here,
 * so that readers without JavaScript never see controls that do nothing.
 * The filter state lives in the query string (?status=overdue&dept=…&q=…),
 * so a filtered view can be bookmarked or linked to.
 */
(function () {
  'use strict';

  var SORTED = typeof WeakSet === 'function' ? new WeakSet() : null;
  var STATES = { overdue: true, due_soon: true }; // status filter values matched against data-state
  var KEYS = ['status', 'section', 'dept', 'text']; // the data-pp-filter controls, in form order
  var PARAM = { status: 'status', section: 'section', dept: 'dept', text: 'q' }; // their query parameters
  var DEBOUNCE_MS = 120;

  /** Lower case, compatibility forms folded (（１） → (1)), runs of white space as one space. */
  function normalise(text) {
    var s = String(text || '');
    if (s.normalize) s = s.normalize('NFKC');
    return s.toLowerCase().replace(/\s+/g, ' ').trim();
  }

  /** `template` with {name} replaced from `values`; unknown names are left as they are. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // --- sorting ------------------------------------------------------------------------------------------------

  function initSorting(root) {
    if (typeof window.Tablesort !== 'function') return;
    var tables = root.querySelectorAll('article table');
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      if (SORTED ? SORTED.has(table) : table.getAttribute('data-pp-sortable') !== null) continue;
      if (!table.tHead || !table.tBodies.length || table.tBodies[0].rows.length < 2) continue;
      if (SORTED) SORTED.add(table); else table.setAttribute('data-pp-sortable', '');
      try {
        new window.Tablesort(table); // eslint-disable-line no-new
      } catch (err) {
        if (window.console) window.console.warn('portal: table not sortable', err);
      }
    }
  }

  // --- the progress table's filters ---------------------------------------------------------------------------

  function initFilters(root) {
    var table = root.querySelector('table[data-pp-table]');
    var form = root.querySelector('form[data-pp-filters]');
    if (!table || !form || form.ppFilters) return;

    var controls = {};
    KEYS.forEach(function (key) {
      controls[key] = form.querySelector('[data-pp-filter="' + key + '"]');
    });
    var output = form.querySelector('output[data-pp-count]');
    var shownLabel = form.getAttribute('data-label-shown') || '{n} / {total}';
    // One page of matching rows is shown at a time: the browser lays out ~100 rows, not 10,000.
    var pageSize = Number(table.getAttribute('data-pp-page')) || 100;
    var page = 0;
    var pager = form.querySelector('[data-pp-pager]');
    var pageLabel = form.getAttribute('data-label-page') || '{page} / {pages}';

    // Read every row once: its filter attributes and its normalised text. Later passes touch only these.
    var rows = [];
    for (var b = 0; b < table.tBodies.length; b++) {
      var trs = table.tBodies[b].rows;
      for (var r = 0; r < trs.length; r++) {
        var tr = trs[r];
        rows.push(tr.ppRow = {
          tr: tr,
          status: tr.getAttribute('data-status') || '',
          state: tr.getAttribute('data-state') || '',
          light: tr.getAttribute('data-light') || '',
          section: tr.getAttribute('data-section') || '',
          depts: tr.getAttribute('data-depts') || '',
          text: normalise(tr.textContent),
          shown: !tr.hidden,
        });
      }
    }

    /** The filter values as the controls hold them. */
    function current() {
      var f = {};
      KEYS.forEach(function (key) {
        f[key] = controls[key] ? String(controls[key].value || '') : '';
      });
      return f;
    }

    function matcher(f) {
      var useState = STATES[f.status] === true;
      var light = f.status.indexOf('light-') === 0 ? f.status.slice(6) : ''; // a light: light-yellow, light-late
      var dept = f.dept ? '|' + f.dept + '|' : '';
      var terms = normalise(f.text).split(' ').filter(Boolean);
      return function (row) {
        if (light) {
          if (row.light !== light) return false;
        } else if (f.status && (useState ? row.state : row.status) !== f.status) return false;
        if (f.section && row.section !== f.section) return false;
        if (dept && row.depts.indexOf(dept) < 0) return false;
        for (var t = 0; t < terms.length; t++) {
          if (row.text.indexOf(terms[t]) < 0) return false;
        }
        return true;
      };
    }

    function apply() {
      var f = current();
      var match = matcher(f);
      var n = 0;
      var first = page * pageSize;
      var last = first + pageSize;
      var trs = table.tBodies[0].rows; // in the order the table is sorted now
      for (var i = 0; i < trs.length; i++) {
        var row = trs[i].ppRow;
        if (!row) continue;
        var show = false;
        if (match(row)) {
          show = n >= first && n < last;
          n++;
        }
        if (show !== row.shown) { // write only what changes: no style work for rows that stay as they are
          row.tr.hidden = !show;
          row.shown = show;
        }
      }
      var pages = Math.max(1, Math.ceil(n / pageSize));
      if (output) output.textContent = fill(shownLabel, { n: n, total: rows.length });
      if (pager) {
        pager.hidden = pages < 2;
        pager.querySelector('[data-pp-page-label]').textContent = fill(pageLabel, { page: page + 1, pages: pages });
        pager.querySelector('[data-pp-prev]').disabled = page === 0;
        pager.querySelector('[data-pp-next]').disabled = page >= pages - 1;
      }
      writeQuery(f);
    }

    function turn(step) {
      page = Math.max(0, page + step);
      apply();
    }

    /** Put the state into the address bar without a history entry per keystroke. */
    function writeQuery(f) {
      if (!window.history || !window.history.replaceState || !window.URLSearchParams) return;
      var params = new URLSearchParams(window.location.search);
      KEYS.forEach(function (key) {
        var value = key === 'text' ? f[key].trim() : f[key];
        if (value) params.set(PARAM[key], value); else params.delete(PARAM[key]);
      });
      var query = params.toString();
      var url = window.location.pathname + (query ? '?' + query : '') + window.location.hash;
      if (url !== window.location.pathname + window.location.search + window.location.hash) {
        window.history.replaceState(window.history.state, '', url);
      }
    }

    /** Set the controls from the query string; values a select does not offer are ignored. */
    function readQuery() {
      if (!window.URLSearchParams) return;
      var params = new URLSearchParams(window.location.search);
      KEYS.forEach(function (key) {
        var control = controls[key];
        var value = params.get(PARAM[key]);
        if (!control || value === null) return;
        if (control.tagName === 'SELECT') {
          for (var i = 0; i < control.options.length; i++) {
            if (control.options[i].value === value) { control.value = value; return; }
          }
        } else {
          control.value = value;
        }
      });
    }

    var timer = 0;
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(now, DEBOUNCE_MS);
    }
    function now() {
      window.clearTimeout(timer);
      page = 0; // a new filter starts on its first page
      apply();
    }

    form.addEventListener('change', function (event) {
      if (event.target && event.target.tagName === 'SELECT') now();
    });
    if (controls.text) controls.text.addEventListener('input', later);
    form.addEventListener('submit', function (event) { // Enter in the search box: no page load, filter at once
      event.preventDefault();
      now();
    });
    form.addEventListener('reset', function (event) {
      event.preventDefault(); // a reset would restore the values read from the address, not clear them
      KEYS.forEach(function (key) {
        if (controls[key]) controls[key].value = '';
      });
      now();
    });

    if (pager) {
      pager.querySelector('[data-pp-prev]').addEventListener('click', function () { turn(-1); });
      pager.querySelector('[data-pp-next]').addEventListener('click', function () { turn(1); });
    }
    table.addEventListener('afterSort', function () { page = 0; apply(); }); // tablesort reordered the rows

    form.ppFilters = { apply: now, rows: rows };
    readQuery();
    form.hidden = false;
    apply();
  }

  // --- start --------------------------------------------------------------------------------------------------

  function init() {
    initSorting(document);
    initFilters(document);
  }

  if (window.document$ && typeof window.document$.subscribe === 'function') {
    window.document$.subscribe(init); // Material: on load, and after each instant navigation
  } else if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
