/*
 * relto operator console (docs/console.md).  Reads the admin API of the
 * server that served it (same origin; the browser's own HTTP Basic login
 * is reused for every request) and builds the page with DOM calls only:
 * no framework, no innerHTML, nothing loaded from elsewhere.
 *
 * Deep link: /console/#partner=ID selects a partner.
 */
(function () {
  'use strict';

  var LEVEL_ORDER = ['UNCLASSIFIED', 'CONFIDENTIAL', 'SECRET', 'TOP_SECRET'];

  var state = {
    index: null,      // GET /admin/
    receiving: null,  // GET /admin/receiving
    partners: null,   // GET /admin/partners
    vendors: null,    // GET /admin/vendors
    versions: null,   // GET /admin/posture/versions
    selected: null,   // partner id shown in the detail panel
    changes: [],      // queued what-if operations
    tried: null       // {changes, base} of the last what-if shown
  };

  // ---- small helpers ----

  function $(id) { return document.getElementById(id); }

  // h('td', {class: 'num'}, 'text', node, ...): an element.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }

  function add(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  function fmt(n) { return Number(n || 0).toLocaleString('en'); }

  function setStatus(text, isError) {
    var s = $('status');
    s.textContent = text;
    s.className = 'status' + (isError ? ' error' : '');
  }

  // A request to the admin API: the parsed JSON answer, or an Error whose
  // message is the server's description.
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', cache: 'no-store',
                 headers: { 'Accept': 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    // From the origin, not relative to the page: a page opened as
    // http://user:pass@host/console/ would otherwise make URLs that carry
    // the credentials, which fetch() refuses.
    return fetch(location.origin + path, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var doc = null;
        try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
        if (!resp.ok) {
          var why = doc && doc.description ? doc.description : resp.statusText;
          throw new Error(method + ' ' + path + ': ' + resp.status + ' ' + why);
        }
        return doc;
      });
    });
  }

  function levelsOf(receiving) {
    var seen = [];
    receiving.partners.forEach(function (p) {
      (p.levels || []).forEach(function (l) { if (seen.indexOf(l.level) < 0) seen.push(l.level); });
    });
    var known = LEVEL_ORDER.filter(function (l) { return seen.indexOf(l) >= 0; });
    return known.concat(seen.filter(function (l) { return LEVEL_ORDER.indexOf(l) < 0; }));
  }

  function vendorById(id) {
    var list = (state.vendors && state.vendors.vendors) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }

  function isHighRisk(id) {
    var v = vendorById(id);
    return !!(v && v.risk === 'high');
  }

  function postureOf(id) {
    var list = (state.partners && state.partners.partners) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }

  function receivingOf(id) {
    var list = (state.receiving && state.receiving.partners) || [];
    for (var i = 0; i < list.length; i++) if (list[i].partner === id) return list[i];
    return null;
  }

  // "all" | "part" | "none" | "empty": the share of the objects received.
  function shareClass(received, withheld) {
    if (!received && !withheld) return 'empty';
    if (!withheld) return 'all';
    if (!received) return 'none';
    return 'part';
  }

  function shareWidth(received, withheld) {
    var total = received + withheld;
    return total ? 'w' + Math.round(10 * received / total) * 10 : 'w0';
  }

  // ---- header ----

  function renderHeader() {
    var ix = state.index || {};
    $('v-posture').textContent = ix.posture ? 'v' + ix.posture.version : '?';
    $('v-policy').textContent = ix.policy ? 'v' + ix.policy.version : '?';
    $('v-snapshot').textContent = ix.snapshot !== undefined ? String(ix.snapshot) : '?';
  }

  // ---- the matrix ----

  function renderMatrix() {
    var levels = levelsOf(state.receiving);
    var head = clear($('matrix-head'));
    add(head, h('th', { scope: 'col' }, 'Partner'));
    levels.forEach(function (l) { add(head, h('th', { scope: 'col' }, l.replace(/_/g, ' '))); });
    add(head, h('th', { scope: 'col', class: 'num' }, 'Total'));
    var body = clear($('matrix-body'));
    state.receiving.partners.forEach(function (p) {
      var byLevel = {};
      (p.levels || []).forEach(function (l) { byLevel[l.level] = l; });
      var tr = h('tr', { 'data-partner': p.partner, class: p.partner === state.selected ? 'selected' : null },
        h('th', { scope: 'row' },
          h('button', { type: 'button', 'aria-pressed': p.partner === state.selected ? 'true' : 'false',
                        onclick: function () { select(p.partner); } }, p.partner)));
      levels.forEach(function (level) {
        var l = byLevel[level] || { receives: 0, withheld: 0 };
        var cls = shareClass(l.receives, l.withheld);
        var label = p.partner + ', ' + level + ': ' + fmt(l.receives) + ' received, ' + fmt(l.withheld) + ' withheld';
        add(tr, h('td', { class: 'cell c-' + cls, 'data-level': level, 'data-share': cls,
                          'data-received': l.receives, 'data-withheld': l.withheld, title: label },
          h('span', { class: 'recv' }, fmt(l.receives)),
          h('span', { class: 'held' }, fmt(l.withheld) + ' withheld'),
          h('span', { class: 'bar', 'aria-hidden': 'true' },
            h('span', { class: shareWidth(l.receives, l.withheld) }))));
      });
      add(tr, h('td', { class: 'total' }, fmt(p.receives) + ' / ' + fmt(p.withheld)));
      add(body, tr);
    });
  }

  // ---- one partner ----

  function select(id) {
    state.selected = id;
    if (window.history && history.replaceState) history.replaceState(null, '', '#partner=' + encodeURIComponent(id));
    renderMatrix();
    renderPartner();
    formFor(id);
  }

  // Point the what-if form at partner id, at its first high-risk equipment
  // if it has any (the change most often tried).
  function formFor(id) {
    var pos = postureOf(id);
    if (!pos) return;
    $('w-partner').value = id;
    fillOperators();
    var ops = pos.operators || [];
    for (var i = 0; i < ops.length; i++) {
      var segs = ops[i].segments || {};
      var names = Object.keys(segs);
      for (var j = 0; j < names.length; j++) {
        var eq = (segs[names[j]] || []).filter(function (e) { return isHighRisk(e.vendor); })[0];
        if (!eq) continue;
        $('w-operator').value = ops[i].name;
        fillSegments();
        $('w-segment').value = names[j];
        fillEquipment();
        $('w-vendor').value = eq.vendor;
        $('w-deadline').value = eq.removal_deadline || '';
        return;
      }
    }
  }

  function renderPartner() {
    var box = clear($('partner-detail'));
    var id = state.selected;
    $('partner-h').textContent = id ? 'Partner ' + id : 'Partner';
    if (!id) { add(box, h('p', { class: 'hint' }, 'Select a partner in the table.')); return; }
    var pos = postureOf(id);
    var rec = receivingOf(id);
    if (pos) {
      add(box, h('dl', { class: 'facts' },
        h('dt', null, 'Name'), h('dd', null, pos.name || id),
        h('dt', null, 'Country'), h('dd', null, pos.country || ''),
        h('dt', null, 'Agreement'), h('dd', null, pos.agreement_level || ''),
        h('dt', null, 'Groups'), h('dd', null, (pos.groups || []).join(', ') || 'none'),
        pos.hub ? [h('dt', null, 'Role'), h('dd', null, 'the hub')] : null));
    } else {
      add(box, h('p', { class: 'hint' }, 'No posture entry: this login receives only what it posted itself.'));
    }
    if (rec) {
      add(box, h('p', null, 'Receives ', h('strong', null, fmt(rec.receives)), ' objects; ',
        h('strong', null, fmt(rec.withheld)), ' withheld.'));
    }
    add(box, h('h3', null, 'Networks and vendors'));
    add(box, equipmentTable(id, pos));
    add(box, h('h3', null, 'Rules that withhold'));
    if (!rec || !rec.reasons || !rec.reasons.length) {
      add(box, h('p', { class: 'hint' }, 'Nothing is withheld from this partner.'));
    } else {
      add(box, h('table', { class: 'reasons', id: 'reasons' },
        h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'num' }, 'Line'),
          h('th', { scope: 'col' }, 'Rule'), h('th', { scope: 'col', class: 'num' }, 'Objects'))),
        h('tbody', null, rec.reasons.slice(0, 8).map(function (r) {
          return h('tr', null, h('td', { class: 'num' }, r.line ? String(r.line) : '—'),
            h('td', null, r.rule), h('td', { class: 'num' }, fmt(r.objects)));
        }))));
    }
  }

  function equipmentTable(id, pos) {
    var ops = (pos && pos.operators) || [];
    if (!ops.length) return h('p', { class: 'hint' }, 'No operators recorded.');
    var rows = [];
    ops.forEach(function (op) {
      var segs = Object.keys(op.segments || {});
      if (!segs.length) rows.push(h('tr', null, h('td', null, op.name), h('td', { colspan: 3, class: 'hint' }, 'no segments')));
      segs.forEach(function (seg) {
        (op.segments[seg] || []).forEach(function (eq) {
          var high = isHighRisk(eq.vendor);
          var v = vendorById(eq.vendor);
          rows.push(h('tr', { class: high ? 'high-risk' : null, 'data-vendor': eq.vendor },
            h('td', null, op.name),
            h('td', null, seg),
            h('td', null, h('span', { class: 'vendor' + (high ? ' high-risk' : ''), title: v ? v.name + ' (' + v.country + ')' : null },
              eq.vendor), high ? h('span', { class: 'badge risk' }, 'high risk') : null),
            h('td', null, eq.removal_deadline
              ? h('span', { class: 'deadline' }, 'removal by ' + eq.removal_deadline)
              : (high ? h('span', { class: 'deadline none' }, 'no removal decided') : ''))));
        });
      });
    });
    return h('table', { class: 'equipment', id: 'equipment', 'data-partner': id },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Operator'), h('th', { scope: 'col' }, 'Segment'),
        h('th', { scope: 'col' }, 'Vendor'), h('th', { scope: 'col' }, 'Deadline'))),
      h('tbody', null, rows));
  }

  // ---- the what-if form ----

  function options(sel, items, keep) {
    var old = keep ? sel.value : null;
    clear(sel);
    items.forEach(function (it) { add(sel, h('option', { value: it.value }, it.label)); });
    if (old !== null && items.some(function (it) { return it.value === old; })) sel.value = old;
  }

  function currentOperator() {
    var pos = postureOf($('w-partner').value);
    var name = $('w-operator').value;
    var ops = (pos && pos.operators) || [];
    for (var i = 0; i < ops.length; i++) if (ops[i].name === name) return ops[i];
    return null;
  }

  function fillPartners() {
    var list = (state.partners && state.partners.partners) || [];
    options($('w-partner'), list.map(function (p) { return { value: p.id, label: p.id + ' (' + p.name + ')' }; }), true);
    fillOperators();
  }

  function fillOperators() {
    var pos = postureOf($('w-partner').value);
    options($('w-operator'), ((pos && pos.operators) || []).map(function (o) { return { value: o.name, label: o.name }; }), true);
    fillSegments();
  }

  function fillSegments() {
    var op = currentOperator();
    options($('w-segment'), Object.keys((op && op.segments) || {}).map(function (s) { return { value: s, label: s }; }), true);
    fillEquipment();
  }

  function fillEquipment() {
    var op = currentOperator();
    var eqs = (op && op.segments && op.segments[$('w-segment').value]) || [];
    options($('w-vendor'), eqs.map(function (e) {
      return { value: e.vendor, label: e.vendor + (isHighRisk(e.vendor) ? ' (high risk)' : '') +
               (e.removal_deadline ? ', removal by ' + e.removal_deadline : '') };
    }), true);
    var eq = eqs.filter(function (e) { return e.vendor === $('w-vendor').value; })[0];
    $('w-deadline').value = eq && eq.removal_deadline ? eq.removal_deadline : '';
  }

  function fillVendors() {
    var list = (state.vendors && state.vendors.vendors) || [];
    options($('w-rvendor'), list.map(function (v) {
      return { value: v.id, label: v.id + ' (' + v.name + ', risk ' + v.risk + ')' };
    }), true);
    var risks = ['high', 'none'];
    list.forEach(function (v) { if (risks.indexOf(v.risk) < 0) risks.push(v.risk); });
    options($('w-risk'), risks.map(function (r) { return { value: r, label: r }; }), true);
    pickOtherRisk();
  }

  // Offer the risk the chosen vendor does not have.
  function pickOtherRisk() {
    var v = vendorById($('w-rvendor').value);
    var sel = $('w-risk');
    if (!v) return;
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].value !== v.risk) { sel.value = sel.options[i].value; return; }
    }
  }

  function showOpFields() {
    var op = $('op').value;
    $('fs-equipment').hidden = op === 'set-vendor';
    $('fs-vendor').hidden = op !== 'set-vendor';
    $('row-deadline').hidden = op !== 'set-deadline';
  }

  // The operation the form describes, or an Error.
  function formChange() {
    var op = $('op').value;
    if (op === 'set-vendor') {
      if (!$('w-rvendor').value) throw new Error('choose a vendor');
      return { op: 'set-vendor', vendor: $('w-rvendor').value, risk: $('w-risk').value };
    }
    var c = { op: op, partner: $('w-partner').value, operator: $('w-operator').value,
              segment: $('w-segment').value, vendor: $('w-vendor').value };
    if (!c.partner || !c.operator || !c.segment || !c.vendor)
      throw new Error('choose a partner, an operator, a segment and a vendor');
    if (op === 'set-deadline') c.deadline = $('w-deadline').value || null;
    return c;
  }

  function describe(c) {
    switch (c.op) {
      case 'remove-equipment': return 'remove ' + c.vendor + ' from ' + c.partner + ' / ' + c.operator + ' / ' + c.segment;
      case 'set-deadline': return (c.deadline ? 'set removal of ' + c.vendor + ' by ' + c.deadline : 'clear the removal deadline of ' + c.vendor) +
        ' in ' + c.partner + ' / ' + c.operator + ' / ' + c.segment;
      case 'set-vendor': return 'vendor ' + c.vendor + ': risk ' + c.risk;
      default: return JSON.stringify(c);
    }
  }

  function renderChangeList() {
    var ol = clear($('change-list'));
    state.changes.forEach(function (c) { add(ol, h('li', null, describe(c))); });
  }

  function addChange() {
    try {
      state.changes.push(formChange());
      renderChangeList();
      setStatus(state.changes.length + ' change(s) in the list.');
    } catch (e) { setStatus(e.message, true); }
  }

  function clearChanges() {
    state.changes = [];
    state.tried = null;
    renderChangeList();
    clear($('impact'));
    $('apply-form').hidden = true;
  }

  function runWhatIf(ev) {
    ev.preventDefault();
    var changes;
    try {
      changes = state.changes.length ? state.changes.slice() : [formChange()];
    } catch (e) { setStatus(e.message, true); return; }
    var base = state.index && state.index.posture ? state.index.posture.version : undefined;
    $('run-whatif').disabled = true;
    setStatus('Computing the impact…');
    api('POST', '/admin/whatif', { changes: changes }).then(function (doc) {
      state.tried = { changes: changes, base: base };
      renderImpact(doc.impact, changes, false);
      $('apply-form').hidden = false;
      setStatus('What-if computed; nothing has changed.');
    }).catch(function (e) {
      setStatus(e.message, true);
    }).then(function () { $('run-whatif').disabled = false; });
  }

  function signed(n, cls) {
    return n ? h('span', { class: cls }, (cls === 'gain' ? '+' : '−') + fmt(n)) : '0';
  }

  function renderImpact(report, changes, applied, version) {
    var box = clear($('impact'));
    add(box, h('h3', null, applied ? 'Applied: posture version ' + version + ' is in force' : 'Impact (not applied)'));
    add(box, h('ul', { class: 'note' }, changes.map(function (c) { return h('li', null, describe(c)); })));
    var rows = (report.partners || []).map(function (p) {
      var moved = p.gained || p.lost || p.changed;
      return h('tr', { class: moved ? null : 'unchanged', 'data-partner': p.partner },
        h('th', { scope: 'row' }, p.partner),
        h('td', { class: 'num' }, signed(p.gained, 'gain')),
        h('td', { class: 'num' }, signed(p.lost, 'loss')),
        h('td', { class: 'num' }, fmt(p.changed)),
        h('td', null, (p.levels || []).length ? h('ul', null, p.levels.map(function (l) {
          return h('li', null, l.level + ': ', l.gained ? '+' + fmt(l.gained) + ' ' : '',
            l.lost ? '−' + fmt(l.lost) + ' ' : '', l.changed ? '~' + fmt(l.changed) : '');
        })) : ''),
        h('td', null, (p.rules || []).length ? h('ul', null, p.rules.map(function (r) {
          return h('li', null, h('span', { class: r.effect === 'gained' ? 'gain' : 'loss' }, r.effect),
            ' ' + fmt(r.objects) + ': ' + r.rule + (r.line ? ' (line ' + r.line + ')' : ''));
        })) : ''));
    });
    add(box, h('table', { id: 'impact-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Partner'), h('th', { scope: 'col', class: 'num' }, 'Gained'),
        h('th', { scope: 'col', class: 'num' }, 'Lost'), h('th', { scope: 'col', class: 'num' }, 'Changed'),
        h('th', { scope: 'col' }, 'By level'), h('th', { scope: 'col' }, 'Rules'))),
      h('tbody', null, rows)));
    add(box, h('p', { class: 'note' }, (report.exact ? 'Exact counts' : 'Counts by marking set') +
      '; before: posture v' + report.before.posture + ', policy v' + report.before.policy + '.'));
  }

  function apply(ev) {
    ev.preventDefault();
    var reason = $('reason').value.trim();
    if (!state.tried) { setStatus('Run "What if?" first.', true); return; }
    if (!reason) { setStatus('A reason is required to apply a change.', true); $('reason').focus(); return; }
    var tried = state.tried;
    var body = { reason: reason, changes: tried.changes };
    if (tried.base !== undefined) body.base = tried.base;
    $('apply').disabled = true;
    setStatus('Applying…');
    api('POST', '/admin/posture/changes', body).then(function (doc) {
      renderImpact(doc.impact, tried.changes, true, doc.version);
      state.changes = [];
      state.tried = null;
      renderChangeList();
      $('reason').value = '';
      $('apply-form').hidden = true;
      return load().then(function () { setStatus('Posture version ' + doc.version + ' is in force.'); });
    }).catch(function (e) {
      setStatus(e.message, true);
    }).then(function () { $('apply').disabled = false; });
  }

  // ---- the audit panel ----

  function renderAudit() {
    var a = state.audit || {};
    var p = clear($('audit-state'));
    if (!a.enabled) {
      p.className = 'audit-none';
      add(p, h('strong', null, 'Audit trail off.'));
      add(p, ' This server does not record releases (audit.enabled is false in its configuration).');
      return;
    }
    var cp = a.checkpoint;
    if (!cp) {
      p.className = 'audit-none';
      add(p, h('strong', null, 'No checkpoint yet.'));
      add(p, ' ' + a.records + ' records; the first checkpoint is signed within seconds of the first record.');
      return;
    }
    p.className = cp.valid ? 'audit-ok' : 'audit-bad';
    add(p, h('strong', null, cp.valid ? 'Last checkpoint verified.' : 'Last checkpoint does NOT verify.'));
    add(p, ' Record ' + cp.seq + ' of ' + a.records + ', signed ' + cp.at + ' (' + a.checkpoints + ' checkpoints).');
    add(p, h('br'));
    add(p, h('span', { class: 'audit-key' }, 'Signing key: ' + a.pubkey));
  }

  function renderLog() {
    var ol = clear($('posture-log'));
    var list = (state.versions && state.versions.versions) || [];
    if (!list.length) {
      add(ol, h('li', { class: 'hint' }, 'No stored posture version: version 0 (the configured file) is in force.'));
      return;
    }
    list.slice(-5).reverse().forEach(function (v) {
      add(ol, h('li', null, h('strong', null, 'v' + v.version), ' ' + v.at + ' by ' + v.author + ': ' + v.reason));
    });
  }

  // ---- loading ----

  function load() {
    setStatus('Loading…');
    return Promise.all([
      api('GET', '/admin/'), api('GET', '/admin/receiving'), api('GET', '/admin/partners'),
      api('GET', '/admin/vendors'), api('GET', '/admin/posture/versions'), api('GET', '/admin/audit')
    ]).then(function (d) {
      state.index = d[0];
      state.receiving = d[1];
      state.partners = d[2];
      state.vendors = d[3];
      state.versions = d[4];
      state.audit = d[5];
      var fromHash = /(?:^#|&)partner=([^&]+)/.exec(location.hash);
      var wanted = fromHash ? decodeURIComponent(fromHash[1]) : state.selected;
      if (!wanted || !receivingOf(wanted)) wanted = state.receiving.partners.length ? state.receiving.partners[0].partner : null;
      state.selected = wanted;
      renderHeader();
      renderMatrix();
      renderPartner();
      fillPartners();
      fillVendors();
      formFor(wanted);
      renderLog();
      renderAudit();
      document.body.setAttribute('data-loaded', 'true');
      setStatus('Loaded at ' + new Date().toLocaleTimeString('en-GB') + '.');
    }).catch(function (e) {
      setStatus(e.message, true);
    });
  }

  function init() {
    $('refresh').addEventListener('click', function () { load(); });
    $('op').addEventListener('change', showOpFields);
    $('w-partner').addEventListener('change', fillOperators);
    $('w-operator').addEventListener('change', fillSegments);
    $('w-segment').addEventListener('change', fillEquipment);
    $('w-vendor').addEventListener('change', function () {
      var op = currentOperator();
      var eq = ((op && op.segments && op.segments[$('w-segment').value]) || [])
        .filter(function (e) { return e.vendor === $('w-vendor').value; })[0];
      $('w-deadline').value = eq && eq.removal_deadline ? eq.removal_deadline : '';
    });
    $('w-rvendor').addEventListener('change', pickOtherRisk);
    $('add-change').addEventListener('click', addChange);
    $('clear-changes').addEventListener('click', clearChanges);
    $('whatif-form').addEventListener('submit', runWhatIf);
    $('apply-form').addEventListener('submit', apply);
    window.addEventListener('hashchange', function () {
      var m = /(?:^#|&)partner=([^&]+)/.exec(location.hash);
      if (m && decodeURIComponent(m[1]) !== state.selected && receivingOf(decodeURIComponent(m[1])))
        select(decodeURIComponent(m[1]));
    });
    showOpFields();
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
