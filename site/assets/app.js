/*
 * openvpn-status-web: the one client script. Every page works without it; it adds the
 * theme switch, auto-reload, the filter dropdowns and, where the delete endpoint answers
 * (GET api/health), the checkboxes and buttons that delete history entries and the trash
 * page's list with its restore buttons.
 *
 * It is loaded in <head> WITHOUT defer (see layouts/base.njk): the first part runs before
 * the body is parsed, so the theme and the `js` class are in place before the first paint
 * (no flash, no inline script needed under the Content-Security-Policy). Everything that
 * needs the body waits for DOMContentLoaded.
 */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script (in <head>, not a module): strict mode is not implied
  'use strict';

  var root = document.documentElement;
  // Only valid while this script first runs: its URL locates the site root (…/assets/app.js).
  var thisScript = document.currentScript;

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (_e) {
      return null; // storage disabled: behave like a first visit
    }
  }
  function store(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (_e) {
      /* storage disabled or full: the choice lasts for this page only */
    }
  }

  // --- Before the first paint -----------------------------------------------------------
  root.classList.add('js');

  function initialTheme() {
    var saved = load('theme');
    if (saved === 'light' || saved === 'dark') return saved;
    return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  }
  root.setAttribute('data-theme', initialTheme());

  // --- Once the body is there -------------------------------------------------------------
  function showJsControls() {
    document.querySelectorAll('.needs-js[hidden]').forEach((el) => {
      el.hidden = false;
    });
    document.querySelectorAll('.no-js').forEach((el) => {
      el.hidden = true;
    });
  }

  function wireThemeToggle() {
    document.querySelectorAll('[data-theme-toggle]').forEach((button) => {
      button.addEventListener('click', () => {
        var next = root.getAttribute('data-theme') === 'light' ? 'dark' : 'light';
        root.setAttribute('data-theme', next);
        store('theme', next);
      });
    });
  }

  var ALLOWED_INTERVALS = ['5', '10', '30', '60', '120'];
  var DEFAULT_INTERVAL = '10';

  function wireAutoReload() {
    var bar = document.querySelector('[data-reload]');
    if (!bar) return;
    var box = bar.querySelector('[data-reload-toggle]');
    var select = bar.querySelector('[data-reload-interval]');
    if (!box || !select) return;

    var interval = load('osw.interval');
    select.value = ALLOWED_INTERVALS.indexOf(interval) >= 0 ? interval : DEFAULT_INTERVAL;
    box.checked = load('osw.autoReload') === '1';

    var timer = null;
    function schedule() {
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
      if (!box.checked) return;
      // location.reload() keeps the URL, so the chosen filter stays.
      timer = window.setTimeout(() => {
        window.location.reload();
      }, Number(select.value) * 1000);
    }
    box.addEventListener('change', () => {
      store('osw.autoReload', box.checked ? '1' : '0');
      schedule();
    });
    select.addEventListener('change', () => {
      store('osw.interval', select.value);
      schedule();
    });
    schedule();
  }

  function wireFilters() {
    document.querySelectorAll('select[data-nav]').forEach((select) => {
      select.addEventListener('change', () => {
        var option = select.options[select.selectedIndex];
        var href = option ? option.getAttribute('data-href') : null;
        if (href === null) return; // "" is a valid href: this very page
        var target = new URL(href, window.location.href);
        if (target.origin !== window.location.origin) return; // our links are relative
        window.location.href = target.href;
      });
    });
  }

  /*
   * The disclosure rows (a group's other sessions, a row's info row) show and hide by CSS
   * `:has()`; browsers without it get the same from here. Without JS and without :has()
   * every row simply stays visible.
   */
  function wireRowsWithoutHas() {
    if (window.CSS && CSS.supports?.('selector(:has(*))')) return;
    function sync(tbody) {
      var more = tbody.querySelector('tr.head details.more');
      var groupOpen = !more || more.open;
      Array.prototype.forEach.call(tbody.rows, (row) => {
        var hidden = row.classList.contains('sub') && !groupOpen;
        if (row.classList.contains('info-row')) {
          const info = row.previousElementSibling?.querySelector('details.info');
          hidden = hidden || !info?.open;
        }
        row.hidden = hidden;
      });
    }
    document.querySelectorAll('tbody').forEach((tbody) => {
      if (!tbody.querySelector('details.more, details.info')) return;
      sync(tbody);
      // 'toggle' does not bubble: listen in the capture phase.
      tbody.addEventListener(
        'toggle',
        () => {
          sync(tbody);
        },
        true,
      );
    });
  }

  /*
   * The chart: the time and count of the stretch under the pointer, or of the one stepped to
   * with the arrow keys once the chart has focus, in a line under it (each stretch's <title>).
   */
  function wireChart() {
    document.querySelectorAll('svg.chart').forEach((svg) => {
      var hits = Array.prototype.slice.call(svg.querySelectorAll('.chart-hit'));
      if (hits.length === 0) return;
      var readout = document.createElement('p');
      readout.className = 'chart-readout';
      readout.setAttribute('role', 'status');
      svg.parentNode.insertBefore(readout, svg.nextSibling);
      var current = -1;
      function show(i) {
        if (hits[current]) hits[current].classList.remove('on');
        current = i;
        var hit = hits[i];
        var title = hit ? hit.querySelector('title') : null;
        if (hit) hit.classList.add('on');
        readout.textContent = title ? title.textContent : '';
      }
      svg.addEventListener('pointerover', (e) => {
        var i = hits.indexOf(e.target);
        if (i >= 0) show(i);
      });
      svg.addEventListener('focus', () => {
        show(current >= 0 ? current : hits.length - 1);
      });
      svg.addEventListener('keydown', (e) => {
        var step = { ArrowLeft: -1, ArrowRight: 1, Home: -hits.length, End: hits.length }[e.key];
        if (step === undefined) return;
        e.preventDefault();
        show(Math.min(hits.length - 1, Math.max(0, current + step)));
      });
    });
  }

  // --- Deleting history entries (only where the endpoint answers) --------------------------

  function siteBase() {
    var el = thisScript || document.querySelector('script[src*="assets/app.js"]');
    return el?.src ? new URL('../', el.src) : null;
  }

  /** "{n} entries" with {n} → 3; counts in the page's language. */
  function fill(text, values) {
    return String(text || '').replace(/\{(\w+)\}/g, (m, key) => {
      if (!(key in values)) return m;
      var v = values[key];
      return typeof v === 'number' ? v.toLocaleString(root.lang || undefined) : String(v);
    });
  }

  /** A counted phrase: the data-*-one text for exactly one (German and English agree on that), else the plural. */
  function counted(texts, key, n) {
    return fill(n === 1 ? texts[`${key}One`] : texts[key], { n: n });
  }

  /** The JSON answer of the endpoint; an error (with the endpoint's reason) unless 2xx. */
  function answer(res) {
    return res.json().then(
      (data) => {
        if (!res.ok) throw new Error(data?.error || `HTTP ${res.status}`);
        return data;
      },
      () => {
        throw new Error(`HTTP ${res.status}`);
      },
    );
  }

  function api(base, path, body) {
    var init = { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.method = 'POST';
      // JSON only: the endpoint refuses anything else, so a plain form can never delete.
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return window.fetch(new URL(path, base).href, init).then(answer);
  }

  /**
   * A labelled checkbox: `label` names what it selects (its accessible name and tooltip);
   * `visible`, when given, is shown beside the box, else the label is for screen readers only.
   */
  function checkbox(label, className, visible) {
    var wrap = document.createElement('label');
    wrap.className = `sel ${className}`;
    wrap.title = label;
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.setAttribute('aria-label', label);
    var text = document.createElement('span');
    text.className = visible ? 'sel-text' : 'vh';
    text.textContent = visible || label;
    wrap.appendChild(box);
    wrap.appendChild(text);
    return { label: wrap, box: box };
  }

  /** The text of the first `selector` in `row`, trimmed. */
  function cellText(row, selector) {
    var el = row.querySelector(selector);
    return el ? el.textContent.trim() : '';
  }

  /** Adds the checkbox column to the history table after `bar` and wires the bar's buttons. */
  function enableDelete(bar, base) {
    var table = bar.nextElementSibling?.querySelector('table.history');
    var headRow = table?.tHead?.rows[0];
    var button = bar.querySelector('[data-delete-selected]');
    var count = bar.querySelector('[data-delete-count]');
    var clear = bar.querySelector('[data-delete-all]');
    var status = bar.querySelector('[data-delete-status]');
    if (!headRow || !button || !count || !clear || !status) return;
    var text = bar.dataset;

    var all = checkbox(text.selectAll, 'sel-all');
    var th = document.createElement('th');
    th.scope = 'col';
    th.className = 'c-select';
    th.appendChild(all.label);
    headRow.insertBefore(th, headRow.firstChild);

    var sessions = [];
    var groups = [];
    // One checkbox per session row, named after the session; a day group with several ended
    // sessions also gets a "whole day" box under its expand control, named after the group.
    Array.prototype.forEach.call(table.tBodies, (tbody) => {
      var members = [];
      var moreCell = null;
      var user = '';
      var day = '';
      Array.prototype.forEach.call(tbody.rows, (row) => {
        var id = row.cells[0] ? row.cells[0].getAttribute('data-session-id') : null;
        if (id === null) {
          // Info rows and the "no history" row span the table: one column more now.
          if (row.cells[0]) row.cells[0].colSpan += 1;
          return;
        }
        var cell = document.createElement('td');
        cell.className = 'c-select';
        row.insertBefore(cell, row.firstChild);
        if (row.classList.contains('head')) {
          moreCell = row.cells[1];
          user = cellText(row, 'th a');
          day = cellText(row, 'td.c-start .d');
        }
        // A live session cannot be deleted: the next run would record it again.
        if (!row.classList.contains('ended')) return;
        var who = `${cellText(row, 'th a')}, ${cellText(row, 'td.c-start')}`;
        var c = checkbox(fill(text.selectSession, { who: who }), 'sel-session');
        c.box.value = id;
        cell.appendChild(c.label);
        members.push(c.box);
        sessions.push(c.box);
      });
      if (moreCell && members.length > 1) {
        const n = members.length;
        const name = fill(n === 1 ? text.selectGroupOne : text.selectGroup, { n: n, user: user, day: day });
        const g = checkbox(name, 'sel-group', text.selectGroupShort);
        moreCell.appendChild(g.label);
        groups.push({ box: g.box, members: members });
      }
    });

    var busy = false;
    function selected() {
      return sessions.filter((b) => b.checked);
    }
    function mirror(box, members) {
      var n = members.filter((m) => m.checked).length;
      box.checked = members.length > 0 && n === members.length;
      box.indeterminate = n > 0 && n < members.length;
    }
    function refresh() {
      groups.forEach((g) => {
        mirror(g.box, g.members);
      });
      mirror(all.box, sessions);
      all.box.disabled = sessions.length === 0;
      var n = selected().length;
      count.textContent = n > 0 ? `(${fill('{n}', { n: n })})` : '';
      button.disabled = busy || n === 0;
      clear.disabled = busy;
    }
    function settle(message) {
      busy = false;
      status.textContent = message;
      refresh();
    }
    function fail(err) {
      settle(fill(text.failed, { error: err?.message ? err.message : String(err) }));
    }
    function start() {
      busy = true;
      status.textContent = text.deleting;
      refresh();
    }
    function done() {
      // The endpoint answers after the pages are rebuilt: reloading shows the result.
      window.location.reload();
    }

    table.addEventListener('change', (e) => {
      var target = e.target;
      if (target === all.box) {
        sessions.forEach((b) => {
          b.checked = target.checked;
        });
      }
      groups.forEach((g) => {
        if (g.box !== target) return;
        g.members.forEach((m) => {
          m.checked = target.checked;
        });
      });
      refresh();
    });

    button.addEventListener('click', () => {
      var ids = selected().map((b) => b.value);
      if (busy || ids.length === 0) return;
      if (!window.confirm(counted(text, 'confirmDelete', ids.length))) return;
      var why = askReason(text);
      if (why === null) return;
      start();
      api(base, 'api/sessions/delete', withReason({ ids: ids }, why)).then(done, fail);
    });

    clear.addEventListener('click', () => {
      if (busy || !window.confirm(fill(text.confirmClear, {}))) return;
      start();
      // The second question names the count, and the endpoint deletes only if it still matches.
      api(base, 'api/sessions/count')
        .then((data) => {
          var n = data.count;
          if (n === 0) return settle(text.nothing);
          if (!window.confirm(counted(text, 'confirmClearCount', n))) return settle('');
          var why = askReason(text);
          if (why === null) return settle('');
          return api(base, 'api/sessions/clear', withReason({ confirm: 'DELETE ALL', expectedCount: n }, why)).then(
            done,
          );
        })
        .catch(fail);
    });

    table.classList.add('selectable');
    bar.hidden = false;
    refresh();
  }

  function wireDelete() {
    var bars = document.querySelectorAll('[data-delete-bar]');
    var base = siteBase();
    if (bars.length === 0 || !base || typeof window.fetch !== 'function') return;
    api(base, 'api/health')
      .then((health) => {
        if (health?.ok !== true) return;
        bars.forEach((bar) => {
          enableDelete(bar, base);
        });
      })
      .catch(() => {
        /* no endpoint (an auditor's site without /api/): the pages stay read-only, with no delete control */
      });
  }

  // --- The trash page: its list comes from the endpoint, never from the built site ------------

  /** "2026-11-25 14:03:09" in the site's zone, as the other pages show times. */
  function wallTime(zone) {
    var format = null;
    try {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
    } catch (_e) {
      format = null; // a zone this browser does not know: show the times as the endpoint sends them
    }
    return (iso) => {
      if (!iso) return '–';
      var d = new Date(iso);
      if (!format || Number.isNaN(d.getTime())) return String(iso);
      var p = {};
      format.formatToParts(d).forEach((x) => {
        p[x.type] = x.value;
      });
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
    };
  }

  /**
   * The optional reason for a delete, clear or restore, kept in the change log: '' for none,
   * null when the user cancelled (nothing is done). One line, at most 500 characters.
   */
  function askReason(text) {
    if (!text.reasonPrompt || typeof window.prompt !== 'function') return '';
    var answer = window.prompt(text.reasonPrompt, '');
    if (answer === null) return null;
    return (
      String(answer ?? '')
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is taken out
        .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
        .trim()
        .slice(0, 500)
    );
  }

  function withReason(body, why) {
    if (why) body.reason = why;
    return body;
  }

  /** Draws the trash list (text only: names are untrusted) and restores what is chosen. */
  function enableTrash(box, base) {
    var text = box.dataset;
    var status = box.querySelector('[data-trash-status]');
    var bar = box.querySelector('[data-trash-bar]');
    var list = box.querySelector('[data-trash-list]');
    var rows = box.querySelector('[data-trash-rows]');
    var all = box.querySelector('[data-trash-all]');
    var button = box.querySelector('[data-restore-selected]');
    var count = box.querySelector('[data-restore-count]');
    if (!status || !bar || !list || !rows || !all || !button || !count) return;
    var when = wallTime(text.timeZone);
    var limit = /^\d+$/.test(text.limit || '') ? text.limit : '100';
    var boxes = [];
    var busy = false;

    function selected() {
      return boxes.filter((b) => b.checked).map((b) => b.value);
    }
    function refresh() {
      var n = selected().length;
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
      all.disabled = busy || boxes.length === 0;
      count.textContent = n > 0 ? `(${fill('{n}', { n: n })})` : '';
      button.disabled = busy || n === 0;
      rows.querySelectorAll('button').forEach((b) => {
        b.disabled = busy;
      });
    }
    function cell(tr, tag, value) {
      var c = document.createElement(tag);
      c.textContent = value;
      tr.appendChild(c);
      return c;
    }
    function draw(data, before) {
      rows.textContent = '';
      boxes = [];
      data.entries.forEach((e) => {
        var tr = document.createElement('tr');
        var pick = document.createElement('td');
        pick.className = 'c-select';
        var c = checkbox(text.selectEntry, 'sel-entry');
        c.box.value = e.id;
        pick.appendChild(c.label);
        tr.appendChild(pick);
        boxes.push(c.box);
        cell(tr, 'th', e.user).scope = 'row';
        cell(tr, 'td', e.commonName);
        cell(tr, 'td', e.realAddress);
        cell(tr, 'td', when(e.connectedAt));
        cell(tr, 'td', when(e.endedAt));
        cell(tr, 'td', when(e.deletedAt));
        cell(tr, 'td', e.deletedBy === null ? '–' : e.deletedBy);
        var restore = document.createElement('button');
        restore.type = 'button';
        restore.className = 'btn';
        restore.value = e.id;
        restore.textContent = text.restore;
        restore.setAttribute('aria-label', `${text.restore}: ${e.user}, ${when(e.connectedAt)}`);
        restore.setAttribute('data-restore-one', '');
        cell(tr, 'td', '').appendChild(restore);
        rows.appendChild(tr);
      });
      var total = data.total;
      var says = total === 0 ? text.empty : counted(text, 'count', total);
      if (data.entries.length < total) says += ` ${fill(text.shown, { shown: data.entries.length })}`;
      status.textContent = before ? `${before} ${says}` : says;
      list.hidden = data.entries.length === 0;
      bar.hidden = data.entries.length === 0;
      busy = false;
      refresh();
    }
    function load(before) {
      return api(base, `api/trash?limit=${limit}`).then(
        (data) => {
          draw(data, before);
        },
        (err) => {
          busy = false;
          status.textContent =
            `${before} ${fill(text.loadFailed, { error: err?.message ? err.message : String(err) })}`.trim();
          refresh();
        },
      );
    }
    function restore(ids) {
      if (busy || ids.length === 0) return;
      var why = askReason(text);
      if (why === null) return;
      busy = true;
      status.textContent = text.restoring;
      refresh();
      // The endpoint answers once the pages show the restored rows again; a list that then
      // fails to load must not read as a failed restore (load reports its own failure).
      api(base, 'api/sessions/restore', withReason({ ids: ids }, why)).then(
        (done) => load(counted(text, 'restored', done.count)),
        (err) => {
          busy = false;
          status.textContent = fill(text.failed, { error: err?.message ? err.message : String(err) });
          refresh();
        },
      );
    }

    box.addEventListener('change', (e) => {
      if (e.target === all) {
        boxes.forEach((b) => {
          b.checked = all.checked;
        });
      }
      refresh();
    });
    box.addEventListener('click', (e) => {
      var target = e.target instanceof Element ? e.target.closest('button') : null;
      if (!target || !box.contains(target)) return;
      if (target === button) restore(selected());
      else if (target.hasAttribute('data-restore-one')) restore([target.value]);
    });
    load('');
  }

  function wireTrash() {
    var box = document.querySelector('[data-trash]');
    if (!box) return;
    var status = box.querySelector('[data-trash-status]');
    var base = siteBase();
    var unavailable = () => {
      if (status) status.textContent = box.dataset.unavailable;
    };
    if (!base || typeof window.fetch !== 'function') return unavailable();
    api(base, 'api/health')
      .then((health) => {
        if (health?.ok !== true) return unavailable();
        enableTrash(box, base);
      })
      .catch(unavailable); // no endpoint (an auditor's site): nothing to list, and it says why
  }

  function init() {
    showJsControls();
    wireThemeToggle();
    wireAutoReload();
    wireFilters();
    wireRowsWithoutHas();
    wireChart();
    wireDelete();
    wireTrash();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
