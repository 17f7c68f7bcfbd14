/* Pass: the manager board and order pages.
 *
 * - keeps "synced 8 s ago", "5 min ago" and row ages ticking from ISO timestamps;
 * - polls the list (every data-poll-seconds, never in a hidden tab) with the poll token: the
 *   server answers 204 while nothing changed, otherwise only the list is swapped;
 * - opens a row into its detail panel on click, Enter or Space (the list is a treegrid: the
 *   arrow keys open, close and move between rows), and keeps open rows open across
 *   refreshes; briefly highlights orders that a refresh brought in;
 * - tidies the filter form's URL (no empty parameters), quick date picks, print button;
 * - submits the language menu as soon as a language is picked (its button is for no-JS).
 * No inline scripts or styles anywhere (CSP): everything is wired here from data-* attributes.
 * Every word shown comes from Django's JavaScript catalogue (djangojs, loaded before this
 * script); if it failed to load, the English fallbacks below keep the page working.
 */
(function () {
  "use strict";
  if (window.PassBoard) return; // loaded once, even if a history restore re-runs scripts
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var pgettext = window.pgettext || function (c, s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named
      ? fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); })
      : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
  function counted(fmt, n) { return interpolate(fmt, { count: n }, true); }
  var state = {
    expanded: new Set(),
    busySince: 0,
    pollPending: false,
    pollSwaps: 0, // list swaps so far (a poll that brought a new list polls again at once)
    swapFromPoll: false,
    previousIds: null,
    stash: new Map(),
    timer: null,
    pollSeconds: 0,
  };
  window.PassBoard = state;

  /* ---- Relative times --------------------------------------------------------------------- */
  function secondsSince(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return null;
    return Math.max(0, Math.floor((Date.now() - t) / 1000));
  }
  // The same words as orders_app/formatting.py says for the same value (same msgids).
  function agoText(s) {
    if (s < 5) return gettext("just now");
    if (s < 60) return counted(ngettext("%(count)s s ago", "%(count)s s ago", s), s);
    var m = Math.floor(s / 60);
    if (s < 3600) return counted(ngettext("%(count)s min ago", "%(count)s min ago", m), m);
    var h = Math.floor(s / 3600);
    if (s < 86400) return counted(ngettext("%(count)s h ago", "%(count)s h ago", h), h);
    var d = Math.floor(s / 86400);
    return counted(ngettext("%(count)s day ago", "%(count)s days ago", d), d);
  }
  // Compact age units: 45s, 12m, 2h, 3d (two units joined by a space).
  function ageS(n) { return counted(pgettext("compact age", "%(count)ss"), n); }
  function ageM(n) { return counted(pgettext("compact age", "%(count)sm"), n); }
  function ageH(n) { return counted(pgettext("compact age", "%(count)sh"), n); }
  function ageD(n) { return counted(pgettext("compact age", "%(count)sd"), n); }
  function ageText(s) {
    if (s < 60) return ageS(s);
    var m = Math.floor(s / 60);
    if (m < 60) return ageM(m);
    var h = Math.floor(m / 60);
    m = m % 60;
    if (h < 24) return m ? ageH(h) + " " + ageM(m) : ageH(h);
    var d = Math.floor(h / 24);
    h = h % 24;
    return h ? ageD(d) + " " + ageH(h) : ageD(d);
  }
  function tick() {
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var s = secondsSince(el.getAttribute("datetime"));
      if (s !== null) el.textContent = agoText(s);
    });
    document.querySelectorAll("time[data-age]").forEach(function (el) {
      var s = secondsSince(el.getAttribute("datetime"));
      if (s !== null) el.textContent = ageText(s);
    });
  }
  setInterval(tick, 1000);

  /* ---- Helpers ---------------------------------------------------------------------------- */
  function results() { return document.getElementById("board-results"); }
  function filtersForm() { return document.getElementById("board-filters"); }
  function isResults(el) { return el && el.id === "board-results"; }
  function orderIds(root) {
    var ids = new Set();
    if (!root) return ids;
    root.querySelectorAll("tbody.order[data-order-id]").forEach(function (tb) {
      ids.add(tb.getAttribute("data-order-id"));
    });
    return ids;
  }
  function bodyFor(id) {
    var root = results();
    return root ? root.querySelector('tbody.order[data-order-id="' + CSS.escape(id) + '"]') : null;
  }

  /* ---- Polling ---------------------------------------------------------------------------- */
  // Held polls (data-poll-hold > 0, SCREEN_UPDATES=longpoll): the server keeps each poll until
  // the list changes or the hold passes, and the next one goes out at once; the interval below
  // stays as the retry after a failure and the watchdog should the chain ever break.
  function poll() {
    var root = results();
    if (!root || document.hidden || !window.htmx || state.pollPending) return;
    if (state.busySince && Date.now() - state.busySince < 15000) return;
    var url = root.getAttribute("data-poll-url");
    if (!url) return;
    var holdMs = (parseFloat(root.getAttribute("data-poll-hold")) || 0) * 1000;
    var started = Date.now();
    var swaps = state.pollSwaps;
    var answered = false;
    state.pollPending = true;
    htmx.ajax("GET", url, { source: root, target: root, swap: "outerHTML" })
      .then(function () { answered = true; })
      .finally(function () {
        state.pollPending = false;
        // Again at once after a held 204 or a new list; after a failure, the interval retries.
        var again = answered && (state.pollSwaps !== swaps || Date.now() - started >= holdMs / 2);
        if (holdMs && again) setTimeout(poll, 50);
      });
  }
  function schedulePolling() {
    var root = results();
    var seconds = root ? parseInt(root.getAttribute("data-poll-seconds"), 10) : 0;
    if (!seconds || seconds < 1) seconds = 0;
    if (root && parseFloat(root.getAttribute("data-poll-hold")) > 0 && !state.pollPending) {
      setTimeout(poll, 0); // a held poll waits on the server from the start
    }
    if (seconds === state.pollSeconds && state.timer) return;
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    state.pollSeconds = seconds;
    if (seconds) state.timer = setInterval(poll, seconds * 1000);
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) poll(); // catch up at once when the tab comes back
  });

  /* ---- Row panels ------------------------------------------------------------------------- */
  function loadingMarkup(slot) {
    slot.replaceChildren();
    var p = document.createElement("div");
    p.className = "panel-loading";
    p.setAttribute("role", "status");
    var sp = document.createElement("span");
    sp.className = "spinner";
    sp.setAttribute("aria-hidden", "true");
    p.appendChild(sp);
    p.appendChild(document.createTextNode(gettext("Loading order…")));
    slot.appendChild(p);
  }
  function loadPanel(row, slot, quiet) {
    var url = row.getAttribute("data-panel-url");
    if (!url || !window.htmx) return;
    if (!quiet) loadingMarkup(slot);
    htmx.ajax("GET", url, { source: row, target: slot, swap: "innerHTML" });
  }
  function setOpen(tbody, open, opts) {
    var row = tbody.querySelector(".order-row");
    var panel = tbody.querySelector(".order-panel");
    if (!row || !panel) return;
    var id = tbody.getAttribute("data-order-id");
    row.setAttribute("aria-expanded", open ? "true" : "false");
    panel.hidden = !open;
    if (open) {
      state.expanded.add(id);
      var slot = panel.querySelector("[data-panel-slot]");
      if (slot && !(opts && opts.keepContent)) loadPanel(row, slot, false);
    } else {
      state.expanded.delete(id);
    }
  }
  function toggle(tbody) {
    var row = tbody.querySelector(".order-row");
    setOpen(tbody, row.getAttribute("aria-expanded") !== "true");
  }
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest(".order-row");
    if (!row) return;
    if (event.target.closest("a, button, input, select, label, textarea")) return;
    var selection = window.getSelection && window.getSelection();
    if (selection && String(selection).length > 0) return; // let people copy a phone number
    toggle(row.closest("tbody.order"));
  });
  // The orders table is a treegrid: each order row is focusable and expandable. Enter and
  // Space toggle it, Right opens and Left closes it, Up/Down/Home/End move between rows.
  function moveFocus(row, key) {
    var root = results();
    if (!root) return;
    var rows = Array.prototype.slice.call(root.querySelectorAll(".order-row"));
    var at = rows.indexOf(row);
    var to = key === "Home" ? 0 : key === "End" ? rows.length - 1
      : key === "ArrowDown" ? at + 1 : at - 1;
    if (to >= 0 && to < rows.length) rows[to].focus();
  }
  document.addEventListener("keydown", function (event) {
    var row = event.target;
    if (!row.classList || !row.classList.contains("order-row")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    var open = row.getAttribute("aria-expanded") === "true";
    if (key === "Enter" || key === " " || key === "Spacebar") {
      toggle(row.closest("tbody.order"));
    } else if (key === "ArrowRight") {
      if (!open) setOpen(row.closest("tbody.order"), true);
    } else if (key === "ArrowLeft") {
      if (open) setOpen(row.closest("tbody.order"), false);
    } else if (key === "ArrowDown" || key === "ArrowUp" || key === "Home" || key === "End") {
      moveFocus(row, key);
    } else {
      return;
    }
    event.preventDefault();
  });

  /* ---- htmx lifecycle --------------------------------------------------------------------- */
  // While a filter or page change is on its way, polls wait (they would bring the old view).
  // A timestamp rather than a counter: an aborted request can never leave polling stuck off.
  function isFilterRequest(elt) {
    return elt && (elt.id === "board-filters" || (elt.closest && elt.closest(".pager")));
  }
  function filterDone() {
    state.busySince = 0;
    document.body.classList.remove("is-filtering");
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isFilterRequest(event.detail.elt)) {
      state.busySince = Date.now();
      document.body.classList.add("is-filtering");
    }
  });
  ["htmx:afterRequest", "htmx:abort", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (isFilterRequest(event.detail && event.detail.elt)) filterDone();
    });
  });

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "board-filters") {
      // The URL is the state: keep it short and readable (no empty or default values).
      var params = event.detail.parameters;
      Object.keys(params).forEach(function (key) {
        var value = params[key];
        if (value === "" || (key === "sort" && value === "created")) delete params[key];
      });
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 400 && isResults(event.detail.target)) {
      // An invalid filter: show the form errors the server rendered in place of the list.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    if (isResults(event.detail.target) && event.detail.shouldSwap) {
      var root = event.detail.target;
      state.previousIds = orderIds(root);
      state.swapFromPoll = state.pollPending;
      if (state.pollPending) state.pollSwaps += 1;
      state.stash = new Map();
      state.expanded.forEach(function (id) {
        var tb = root.querySelector('tbody.order[data-order-id="' + CSS.escape(id) + '"]');
        var slot = tb && tb.querySelector("[data-panel-slot]");
        if (slot) state.stash.set(id, { slot: slot, updated: tb.getAttribute("data-updated") });
      });
    }
  });

  // The header's 86 strip comes out of band with every list: keep "+N more" open across it.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var old = event.detail.target;
    if (!old || old.id !== "stop-strip" || !old.querySelector(".stop-more details[open]")) return;
    var more = event.detail.fragment && event.detail.fragment.querySelector(".stop-more details");
    if (more) more.open = true;
  });

  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-panel-slot")) {
      target.replaceChildren();
      var p = document.createElement("p");
      p.className = "panel-error";
      p.setAttribute("role", "alert");
      p.textContent = event.detail.xhr.status === 404
        ? gettext("This order is no longer in the cache.")
        : gettext("Could not load this order. Close and open the row to try again.");
      target.appendChild(p);
    }
  });

  function afterResultsSwap() {
    var root = results();
    if (!root) return;
    // Re-open the rows that were open, moving their panels across so nothing flickers.
    state.expanded.forEach(function (id) {
      var tb = bodyFor(id);
      if (!tb) return;
      var kept = state.stash.get(id);
      var panel = tb.querySelector(".order-panel");
      var freshSlot = panel && panel.querySelector("[data-panel-slot]");
      if (kept && freshSlot) {
        freshSlot.replaceWith(kept.slot);
        setOpen(tb, true, { keepContent: true });
        if (kept.updated !== tb.getAttribute("data-updated")) {
          loadPanel(tb.querySelector(".order-row"), kept.slot, true);
        }
      } else {
        setOpen(tb, true);
      }
    });
    state.stash = new Map();
    if (state.swapFromPoll && state.previousIds) {
      var fresh = 0;
      orderIds(root).forEach(function (id) {
        if (!state.previousIds.has(id)) {
          var tb = bodyFor(id);
          if (tb) { tb.classList.add("is-new"); fresh += 1; }
        }
      });
      var announce = document.getElementById("board-announce");
      if (announce && fresh) {
        announce.textContent = counted(
          ngettext("%(count)s new order in the list.", "%(count)s new orders in the list.", fresh), fresh);
      }
    }
    state.swapFromPoll = false;
    state.previousIds = null;
    tick();
    schedulePolling();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    if (document.getElementById("board-results") && (isResults(event.detail.elt) ||
        isResults(event.detail.target) || (event.detail.elt && event.detail.elt.contains &&
        event.detail.elt.contains(results())))) {
      afterResultsSwap();
    }
  });
  document.addEventListener("htmx:historyRestore", function () {
    // A back/forward navigation re-rendered the page from the server.
    state.expanded = new Set();
    document.querySelectorAll('.order-row[aria-expanded="true"]').forEach(function (row) {
      state.expanded.add(row.closest("tbody.order").getAttribute("data-order-id"));
    });
    filterDone();
    langMenu();
    tick();
    schedulePolling();
  });

  /* ---- Filters: quick dates, reset ------------------------------------------------------- */
  document.addEventListener("click", function (event) {
    var form = filtersForm();
    if (!form || !window.htmx) return;
    var pick = event.target.closest && event.target.closest("[data-quick-from]");
    if (pick && form.contains(pick)) {
      event.preventDefault();
      form.elements["from"].value = pick.getAttribute("data-quick-from");
      form.elements["to"].value = pick.getAttribute("data-quick-to");
      form.querySelectorAll(".quick-pick").forEach(function (a) {
        a.classList.toggle("is-current", a === pick);
      });
      htmx.trigger(form, "submit");
      return;
    }
    var reset = event.target.closest && event.target.closest("[data-reset]");
    if (reset && form.contains(reset)) {
      event.preventDefault();
      form.reset();
      form.querySelectorAll("input[type=search], input[type=date]").forEach(function (i) { i.value = ""; });
      form.querySelectorAll("input[type=checkbox]").forEach(function (i) { i.checked = false; });
      form.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
      form.querySelectorAll(".quick-pick").forEach(function (a) {
        a.classList.toggle("is-current", a.getAttribute("data-quick-from") === "");
      });
      htmx.trigger(form, "submit");
    }
  });
  document.addEventListener("change", function (event) {
    var form = filtersForm();
    if (!form || !form.contains(event.target)) return;
    if (event.target.name === "from" || event.target.name === "to") {
      var from = form.elements["from"].value;
      var to = form.elements["to"].value;
      form.querySelectorAll(".quick-pick").forEach(function (a) {
        a.classList.toggle("is-current",
          a.getAttribute("data-quick-from") === from && a.getAttribute("data-quick-to") === to);
      });
    }
  });

  /* ---- Print ------------------------------------------------------------------------------ */
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  /* ---- Language menu: picking a language applies it (the button is there without JS) ----- */
  function langMenu() {
    document.querySelectorAll("form[data-lang-menu] [data-lang-apply]").forEach(function (b) {
      b.hidden = true;
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-lang-menu]");
    if (!form || event.target.tagName !== "SELECT") return;
    // Come back to the page as it is now (filters change the URL after the page rendered).
    var next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  function start() {
    langMenu();
    tick();
    schedulePolling();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
