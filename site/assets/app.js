/*
 * openvpn-status-web: the one client script. Every page works without it; it adds the
 * theme switch, auto-reload and the filter dropdowns.
 *
 * It is loaded in <head> WITHOUT defer (see layouts/base.njk): the first part runs before
 * the body is parsed, so the theme and the `js` class are in place before the first paint
 * (no flash, no inline script needed under the Content-Security-Policy). Everything that
 * needs the body waits for DOMContentLoaded.
 */
(function () {
  'use strict';

  var root = document.documentElement;

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: behave like a first visit
    }
  }
  function store(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      /* storage disabled or full: the choice lasts for this page only */
    }
  }

  // --- Before the first paint -----------------------------------------------------------
  root.classList.add('js');

  function initialTheme() {
    var saved = load('theme');
    if (saved === 'light' || saved === 'dark') return saved;
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  }
  root.setAttribute('data-theme', initialTheme());

  // --- Once the body is there -------------------------------------------------------------
  function showJsControls() {
    document.querySelectorAll('.needs-js[hidden]').forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll('.no-js').forEach(function (el) {
      el.hidden = true;
    });
  }

  function wireThemeToggle() {
    document.querySelectorAll('[data-theme-toggle]').forEach(function (button) {
      button.addEventListener('click', function () {
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
      timer = window.setTimeout(function () {
        window.location.reload();
      }, Number(select.value) * 1000);
    }
    box.addEventListener('change', function () {
      store('osw.autoReload', box.checked ? '1' : '0');
      schedule();
    });
    select.addEventListener('change', function () {
      store('osw.interval', select.value);
      schedule();
    });
    schedule();
  }

  function wireFilters() {
    document.querySelectorAll('select[data-nav]').forEach(function (select) {
      select.addEventListener('change', function () {
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
    if (window.CSS && CSS.supports && CSS.supports('selector(:has(*))')) return;
    function sync(tbody) {
      var more = tbody.querySelector('tr.head details.more');
      var groupOpen = !more || more.open;
      Array.prototype.forEach.call(tbody.rows, function (row) {
        var hidden = row.classList.contains('sub') && !groupOpen;
        if (row.classList.contains('info-row')) {
          var info = row.previousElementSibling && row.previousElementSibling.querySelector('details.info');
          hidden = hidden || !(info && info.open);
        }
        row.hidden = hidden;
      });
    }
    document.querySelectorAll('tbody').forEach(function (tbody) {
      if (!tbody.querySelector('details.more, details.info')) return;
      sync(tbody);
      // 'toggle' does not bubble: listen in the capture phase.
      tbody.addEventListener('toggle', function () {
        sync(tbody);
      }, true);
    });
  }

  function init() {
    showJsControls();
    wireThemeToggle();
    wireAutoReload();
    wireFilters();
    wireRowsWithoutHas();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
