// cutover report: renders the device table, the certification matrix and the
// failure list from the JSON blobs embedded in the page. Only one page of rows
// is in the DOM at a time, so 50,000 devices stay responsive; filtering is
// debounced and sorting compares precomputed typed keys.
(function () {
  'use strict';

  function blob(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function debounce(fn, ms) {
    var t = 0;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  // grid wires one <table> to its rows. cfg: id (the table and the prefix of
  // its controls), cols [{name, type: 'str'|'num', cls(value) -> class}],
  // rows [[...]], pageSize, filters [{select id, col}].
  function grid(cfg) {
    var table = document.getElementById(cfg.id);
    if (!table) return;
    var rows = cfg.rows, cols = cfg.cols, n = rows.length;
    var search = document.getElementById(cfg.id + '-search');
    var total = document.getElementById(cfg.id + '-total');
    var pageInfo = document.getElementById(cfg.id + '-page');
    var sizeSel = document.getElementById(cfg.id + '-size');
    var prev = document.getElementById(cfg.id + '-prev');
    var next = document.getElementById(cfg.id + '-next');
    var filters = (cfg.filters || []).map(function (f) {
      return { el: document.getElementById(f.select), col: f.col, key: f.key };
    }).filter(function (f) { return f.el; });

    // Lower-cased text of every row, built once, searched on each filter.
    var hay = new Array(n);
    for (var i = 0; i < n; i++) hay[i] = rows[i].join('\u0001').toLowerCase();

    var state = { order: null, view: null, sortCol: -1, dir: 1, page: 0, size: cfg.pageSize || 100 };
    var keys = {};

    function sortKeys(c) {
      if (keys[c]) return keys[c];
      var k = new Array(n);
      for (var i = 0; i < n; i++) {
        var v = rows[i][c];
        k[i] = cols[c].type === 'num' ? (typeof v === 'number' ? v : -Infinity) : String(v == null ? '' : v).toLowerCase();
      }
      keys[c] = k;
      return k;
    }

    function applySort() {
      var order = new Array(n);
      for (var i = 0; i < n; i++) order[i] = i;
      if (state.sortCol >= 0) {
        var k = sortKeys(state.sortCol), dir = state.dir;
        order.sort(function (a, b) {
          var x = k[a], y = k[b];
          if (x < y) return -dir;
          if (x > y) return dir;
          return a - b;
        });
      }
      state.order = order;
    }

    function applyFilter() {
      var q = search ? search.value.trim().toLowerCase() : '';
      var terms = q ? q.split(/\s+/) : [];
      var fs = filters.map(function (f) { return { col: f.col, v: f.el.value }; }).filter(function (f) { return f.v !== ''; });
      var out = [];
      var order = state.order;
      outer: for (var i = 0; i < n; i++) {
        var r = order[i];
        for (var j = 0; j < fs.length; j++) {
          if (String(rows[r][fs[j].col]) !== fs[j].v) continue outer;
        }
        for (var t = 0; t < terms.length; t++) {
          if (hay[r].indexOf(terms[t]) < 0) continue outer;
        }
        out.push(r);
      }
      state.view = out;
    }

    function render() {
      var view = state.view, size = state.size;
      var pages = Math.max(1, Math.ceil(view.length / size));
      state.page = Math.min(state.page, pages - 1);
      var start = state.page * size, end = Math.min(view.length, start + size);
      var body = document.createElement('tbody');
      for (var i = start; i < end; i++) {
        var r = rows[view[i]], tr = document.createElement('tr');
        for (var c = 0; c < cols.length; c++) {
          var td = document.createElement('td'), v = r[c];
          td.textContent = cols[c].fmt ? cols[c].fmt(v) : (v == null ? '' : v);
          if (cols[c].cls) td.className = cols[c].cls(v);
          if (cols[c].type === 'num') td.classList.add('num');
          tr.appendChild(td);
        }
        if (cfg.onRow) cfg.onRow(tr, view[i]);
        body.appendChild(tr);
      }
      var old = table.tBodies[0];
      if (old) table.replaceChild(body, old); else table.appendChild(body);
      if (total) total.textContent = String(view.length);
      table.setAttribute('data-rows', String(view.length));
      if (pageInfo) pageInfo.textContent = view.length ? (start + 1) + '–' + end + ' of ' + view.length + ' (page ' + (state.page + 1) + ' of ' + pages + ')' : 'no rows';
      if (prev) prev.disabled = state.page === 0;
      if (next) next.disabled = state.page >= pages - 1;
    }

    function refilter() { applyFilter(); state.page = 0; render(); }

    var ths = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(ths, function (th, c) {
      th.tabIndex = 0;
      function onSort() {
        if (state.sortCol === c) state.dir = -state.dir; else { state.sortCol = c; state.dir = 1; }
        Array.prototype.forEach.call(ths, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
        applySort(); applyFilter(); render();
      }
      th.addEventListener('click', onSort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSort(); } });
    });
    if (search) search.addEventListener('input', debounce(refilter, 200));
    filters.forEach(function (f) { f.el.addEventListener('change', refilter); });
    if (sizeSel) sizeSel.addEventListener('change', function () { state.size = parseInt(sizeSel.value, 10) || 100; state.page = 0; render(); });
    if (prev) prev.addEventListener('click', function () { state.page--; render(); });
    if (next) next.addEventListener('click', function () { state.page++; render(); });

    // A link may carry a starting view: report.html#status=failed&sort=MAC&dir=desc&q=yealink.
    var init = cfg.initial || {};
    if (init.q && search) search.value = init.q;
    filters.forEach(function (f) { if (init[f.key]) f.el.value = init[f.key]; });
    if (init.sort) {
      var sc = cols.map(function (c) { return c.name.toLowerCase(); }).indexOf(init.sort.toLowerCase());
      if (sc >= 0) {
        state.sortCol = sc;
        state.dir = init.dir === 'desc' ? -1 : 1;
        if (ths[sc]) ths[sc].setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      }
    }
    applySort(); applyFilter(); render();
  }

  function hashParams() {
    var p = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) p[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return p;
  }

  function cls(prefix) { return function (v) { return v ? prefix + String(v).replace(/ /g, '-') : ''; }; }
  function msText(v) { return typeof v !== 'number' ? '' : v < 1000 ? v + ' ms' : (v / 1000).toFixed(2) + ' s'; }
  function secs(v) { return typeof v === 'number' ? (v / 1000).toFixed(1) : ''; }
  var outcomeMark = { pass: '✓', fail: '✗', skip: '–', blocked: '⊘' };
  var full = { p: 'pass', f: 'fail', s: 'skip', b: 'blocked', '-': '' };
  var mx = blob('matrix-data');

  // caseList is what a click on a device row opens: every case it ran,
  // its outcome, time and, for what did not pass, the reason.
  function caseList(c, cases) {
    var t = document.createElement('table'), head = t.createTHead().insertRow();
    ['Case', 'Outcome', 'Time', 'Reason'].forEach(function (h) { var th = document.createElement('th'); th.textContent = h; head.appendChild(th); });
    var b = t.createTBody();
    for (var i = 0; i < c.o.length; i++) {
      var o = full[c.o.charAt(i)];
      if (!o) continue;
      var tr = b.insertRow();
      [cases[i], o, c.ms ? msText(c.ms[i]) : '', (c.r && c.r[i]) || ''].forEach(function (v, k) {
        var td = tr.insertCell(); td.textContent = v;
        if (k === 1) td.className = 'o-' + o;
      });
    }
    return t;
  }

  var dev = blob('devices-data');
  if (dev) {
    grid({
      id: 'devices', rows: dev.rows, pageSize: 100, initial: hashParams(),
      onRow: function (tr, r) {
        tr.className = 'dev';
        tr.tabIndex = 0;
        tr.setAttribute('data-row', String(r));
        function toggle() {
          var nx = tr.nextSibling;
          if (nx && nx.className === 'detail') { nx.parentNode.removeChild(nx); tr.removeAttribute('aria-expanded'); return; }
          var d = document.createElement('tr'), cell = document.createElement('td'), td = document.createElement('div');
          // The box is 0 wide to the table's sizing and as wide as the row
          // when drawn: the case list never widens the table.
          td.className = 'detail-box';
          cell.appendChild(td);
          d.className = 'detail';
          cell.colSpan = dev.cols.length;
          var c = dev.cases && dev.cases[r];
          if (c && c.o && mx) td.appendChild(caseList(c, mx.cases));
          else { var p = document.createElement('p'); p.textContent = 'Not certified.'; td.appendChild(p); }
          var cause = dev.rows[r][dev.cols.length - 1];
          if (cause) { var q = document.createElement('p'); q.textContent = 'First cause: ' + cause; td.insertBefore(q, td.firstChild); }
          if (dev.connected) {
            var w = document.createElement('p');
            w.textContent = dev.connected[r] ? 'Webex: first connected ' + dev.connected[r] : 'Webex: not seen connected by cutover watch';
            td.insertBefore(w, td.firstChild);
          }
          d.appendChild(cell);
          tr.parentNode.insertBefore(d, tr.nextSibling);
          tr.setAttribute('aria-expanded', 'true');
        }
        tr.addEventListener('click', toggle);
        tr.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); toggle(); } });
      },
      cols: dev.cols.map(function (c) {
        var col = { name: c.name, type: c.type };
        if (c.name === 'Status') col.cls = cls('st-');
        if (c.name === 'Cert') col.cls = cls('o-');
        if (c.name === 'Time (s)') col.fmt = secs;
        return col;
      }),
      filters: [{ select: 'devices-status', key: 'status', col: dev.cols.findIndex(function (c) { return c.name === 'Status'; }) },
                { select: 'devices-cert', key: 'cert', col: dev.cols.findIndex(function (c) { return c.name === 'Cert'; }) }]
    });
  }

  if (mx) {
    var mcols = [{ name: 'MAC', type: 'str' }, { name: 'Model', type: 'str' }, { name: 'Verdict', type: 'str', cls: cls('o-') }];
    // Each row arrives as [mac, model, verdict, 'pfs-...'] (one letter per
    // case, to keep the page small) and is widened here once.
    mx.rows = mx.rows.map(function (r) {
      var out = [r[0], r[1], r[2]];
      for (var i = 0; i < r[3].length; i++) out.push(full[r[3].charAt(i)]);
      return out;
    });
    mx.cases.forEach(function (c) { mcols.push({ name: c, type: 'str', cls: cls('o-'), fmt: function (v) { return outcomeMark[v] || ''; } }); });
    grid({ id: 'matrix', rows: mx.rows, cols: mcols, pageSize: 50, filters: [{ select: 'matrix-verdict', col: 2 }] });
  }

  var fl = blob('failures-data');
  if (fl) {
    grid({
      id: 'failures', rows: fl.rows, pageSize: 50,
      cols: fl.cols.map(function (c) { return { name: c.name, type: c.type }; }),
      filters: [{ select: 'failures-source', col: 0 }]
    });
  }
  document.documentElement.setAttribute('data-rendered', 'true');
})();
