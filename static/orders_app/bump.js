/* Pass wall screen: bumping tickets (WALL_BUMP), undo, recall, the keyboard and bump bars.
 *
 * Loaded on every wall while WALL_BUMP is on. On every one of them it shows the outbox
 * banner ("3 changes waiting to reach Clopos") once the oldest waiting tap is older than its
 * data-after-seconds, by the server's clock. Only a screen that may bump (<body data-bump="1">)
 * does the rest: a tap (or Enter) on a card POSTs its next order_status to data-bump-url with
 * a key made here, so that sending it again is never a second change; the answer is the card
 * as this screen shows it, moved into the column holding its new stage. A tap is never lost
 * by the browser: it is kept in sessionStorage until Pass answered it (a reload sends it
 * again with its key) and retried with a capped backoff while Pass cannot be reached.
 *
 * The live region (#wall-live) is replaced after each poll: the selection (by data-id) and the
 * taps still in flight are put back on the new cards before the browser paints them.
 * Configured by data-* attributes on <body>; no inline script (CSP: script-src 'self').
 * Every word shown comes from Django's JavaScript catalogue (djangojs, loaded before this
 * script); the English fallbacks below keep the screen working if it failed to load.
 */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var pgettext = window.pgettext || function (c, s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named
      ? fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); })
      : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };

  var body = document.body;
  var cfg = body.dataset;

  /* ---------- The server's clock (a kiosk's own clock may be wrong) ---------- */
  var serverOffsetMs = 0; // server now - browser now
  var headerClock = false; // an answer's X-Wall-Now is more exact than the fragment's data-now

  function now() { return Date.now() + serverOffsetMs; }
  function parseIso(value) { var t = Date.parse(value || ""); return isNaN(t) ? null : t; }
  function live() { return document.getElementById("wall-live"); }
  function clockFrom(header) {
    var stamp = parseIso(header);
    if (stamp !== null) { serverOffsetMs = stamp - Date.now(); headerClock = true; }
  }
  function clockFromLive() {
    var el = live();
    var stamp = el && parseIso(el.dataset.now);
    if (stamp !== null && stamp !== undefined && !headerClock) { serverOffsetMs = stamp - Date.now(); }
  }

  /* ---------- The outbox banner: shown once a tap has waited data-after-seconds ---------- */
  function outboxBanner() {
    var banner = document.getElementById("outbox-banner");
    if (!banner) { return; }
    var oldest = parseIso(banner.dataset.oldest);
    var after = parseFloat(banner.dataset.afterSeconds);
    if (isNaN(after)) { after = 30; }
    var show = oldest !== null && now() - oldest >= after * 1000;
    if (banner.hidden === show) { banner.hidden = !show; }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && event.detail.successful === true && typeof xhr.getResponseHeader === "function") {
      clockFrom(xhr.getResponseHeader("X-Wall-Now"));
    }
    outboxBanner();
  });

  var canBump = cfg.bump === "1" && !!cfg.bumpUrl;
  var onSwap = [outboxBanner]; // what a new #wall-live needs, before it is painted

  function swapped(event) {
    if (!event.target || event.target.id !== "wall-live") { return; }
    clockFromLive();
    onSwap.forEach(function (fn) { fn(); });
  }
  // afterSwap runs before the browser paints the new region (no flicker of a hidden banner or
  // a lost selection); htmx:load, after it settles, once more for anything that moved then.
  body.addEventListener("htmx:afterSwap", swapped);
  body.addEventListener("htmx:load", swapped);
  clockFromLive();
  outboxBanner();
  setInterval(outboxBanner, 1000);

  // A read-only screen: nothing more (no controls, no keys, no storage).
  if (!canBump) { return; }

  /* ---------- Configuration and state ---------- */
  var bumpUrl = cfg.bumpUrl;
  var recallUrl = cfg.recallUrl;
  var csrf = cfg.csrf || "";
  var undoMs = Math.max(1, parseFloat(cfg.undoSeconds) || 5) * 1000;
  var STORE = "pass.wall.bumps"; // taps Pass has not answered yet
  var STORE_MAX_AGE_MS = 12 * 3600000; // older ones are dropped at load: no zombie taps
  var GUARD_MS = 600; // a second tap (or bump key) this soon is a bounce, not a wish
  var GUARD_PX = 60; // ... when it lands about where the first one did
  var REQUEST_TIMEOUT_MS = 10000;
  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_CAP_MS = 15000;
  var MESSAGE_MS = 4500;

  var inflight = {}; // receipt id -> the tap Pass has not answered yet (one per card)
  var lastTapAt = {}; // receipt id -> when it was last tapped (ms)
  var lastPointer = { t: 0, x: 0, y: 0 };
  var lastKeyBumpAt = 0;
  var selectedId = null; // data-id of the selected card
  var selectedAt = null; // {column, index} where it was: the selection's fallback
  var undo = null; // {receipt, to, label, timer} while the toast offers it
  // The selected card just bumped: once it leaves its column (by its answer or a poll, whichever
  // comes first), the selection goes to the card that took its place.
  var handoff = null; // {card, column, next}

  var toast = document.getElementById("bump-toast") || made("div", "bump-toast");
  var drawer = document.getElementById("recall-drawer") || made("aside", "recall-drawer");
  var opener = document.getElementById("recall-open");

  // The template gives both; should a page lack one, the taps still work.
  function made(tag, name) {
    var el = document.createElement(tag);
    el.id = name;
    el.className = name;
    el.hidden = true;
    if (tag === "div") { el.setAttribute("role", "status"); el.setAttribute("aria-live", "polite"); }
    body.appendChild(el);
    return el;
  }

  function esc(value) {
    return window.CSS && CSS.escape ? CSS.escape(String(value)) : String(value).replace(/["\\]/g, "\\$&");
  }
  function text(el) { return el ? el.textContent.replace(/\s+/g, " ").trim() : ""; }
  function cardFor(receipt) {
    return document.querySelector('#wall-live .card[data-receipt="' + esc(receipt) + '"]');
  }
  function cardById(id) {
    return id === null ? null : document.querySelector('#wall-live .card[data-id="' + esc(id) + '"]');
  }
  function cardLabel(card) { return text(card && card.querySelector(".card-id")); }
  function refit() { window.dispatchEvent(new Event("resize")); } // wall.js fits columns again

  /* ---------- Idempotency keys ---------- */
  function newKey() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* not a secure context: below */ }
    }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) { c.getRandomValues(bytes); }
    else { for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* ---------- Taps kept until answered ---------- */
  function save() {
    var list = Object.keys(inflight).map(function (receipt) {
      var tap = inflight[receipt];
      return { key: tap.key, receipt: tap.receipt, to: tap.to, kind: tap.kind, card: tap.card,
        label: tap.label, stage: tap.stage, at: tap.at };
    });
    try { sessionStorage.setItem(STORE, JSON.stringify(list)); } catch (e) { /* full or off */ }
  }
  function stored() {
    try {
      var list = JSON.parse(sessionStorage.getItem(STORE) || "[]");
      return Array.isArray(list) ? list : [];
    } catch (e) { return []; }
  }

  function markSending(tap) {
    var card = cardFor(tap.receipt);
    if (!card) { return; }
    card.classList.add("is-sending");
    var meta = card.querySelector(".card-meta");
    if (meta && !meta.querySelector(".sending")) {
      var label = document.createElement("span");
      label.className = "sending";
      label.dataset.local = "1";
      label.textContent = pgettext("wall: a bump on its way to Clopos", "Sending…");
      meta.insertBefore(label, meta.firstChild);
    }
  }
  function unmarkSending(receipt) {
    var card = cardFor(receipt);
    if (!card) { return; }
    var local = card.querySelector('.sending[data-local="1"]');
    if (local) {
      local.remove();
      if (!card.querySelector(".sending")) { card.classList.remove("is-sending"); }
    }
  }

  function start(tap) {
    inflight[tap.receipt] = tap;
    save();
    markSending(tap);
    send(tap);
  }
  function finish(tap) {
    if (inflight[tap.receipt] === tap) { delete inflight[tap.receipt]; }
    if (tap.timer) { clearTimeout(tap.timer); tap.timer = null; }
    save();
  }

  function send(tap) {
    tap.timer = null;
    var form = new URLSearchParams();
    form.set("receipt", tap.receipt);
    form.set("to", tap.to);
    form.set("key", tap.key);
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, REQUEST_TIMEOUT_MS) : null;
    fetch(bumpUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: form.toString(),
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (resp) {
      return resp.text().then(function (html) {
        clearTimeout(timer);
        answered(tap, resp, html);
      });
    }).catch(function () {
      clearTimeout(timer);
      retry(tap, null); // no answer: the same key again, later
    });
  }

  function retryAfterMs(value) {
    if (!value) { return null; }
    var seconds = parseFloat(value);
    if (!isNaN(seconds)) { return Math.max(0, seconds * 1000); }
    var at = Date.parse(value);
    return isNaN(at) ? null : Math.max(0, at - Date.now());
  }

  function retry(tap, waitMs) {
    if (inflight[tap.receipt] !== tap) { return; }
    tap.attempts = (tap.attempts || 0) + 1;
    var backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * Math.pow(2, tap.attempts - 1));
    backoff *= 0.8 + Math.random() * 0.4; // screens that lost Pass together do not return together
    var delay = waitMs === null ? backoff : Math.max(waitMs, 250);
    markSending(tap);
    tap.timer = setTimeout(function () { send(tap); }, delay);
  }
  // The network is back: whatever waits goes now.
  window.addEventListener("online", function () {
    Object.keys(inflight).forEach(function (receipt) {
      var tap = inflight[receipt];
      if (tap.timer) { clearTimeout(tap.timer); send(tap); }
    });
  });

  function answered(tap, resp, html) {
    if (inflight[tap.receipt] !== tap) { return; }
    clockFrom(resp.headers.get("X-Wall-Now"));
    var status = resp.status;
    if (resp.redirected) { // sent to a login page: the session is gone
      finish(tap);
      unmarkSending(tap.receipt);
      denied("signed-out");
      return;
    }
    if (status === 200) {
      finish(tap);
      succeeded(tap, resp, html);
      return;
    }
    // A refusal's answer is a short sentence to show as it is.
    var said = html && html.length <= 300 && html.indexOf("<") === -1 ? html.trim() : "";
    if (status === 429 || status === 503) {
      // Too many taps, or the database busy: the same key again after Retry-After.
      if (status === 429 && said) { message(said, true); }
      retry(tap, retryAfterMs(resp.headers.get("Retry-After")));
    } else if (status === 403) {
      finish(tap);
      unmarkSending(tap.receipt);
      var state = resp.headers.get("X-Wall-Denied");
      if (state) { denied(state); } else { message(said || gettext("This screen may not bump tickets."), true); }
      if (tap.kind === "recall") { loadDrawer(false); }
    } else if (status >= 400 && status < 500) {
      // 409 (the card changed meanwhile), 400, 404: this change cannot be made; the next
      // poll shows the card as it is.
      finish(tap);
      unmarkSending(tap.receipt);
      message(said || gettext("This change could not be made."), true);
      if (tap.kind === "recall") { loadDrawer(false); }
    } else {
      retry(tap, retryAfterMs(resp.headers.get("Retry-After"))); // 5xx, no answer: the same key again
    }
  }


  function succeeded(tap, resp, html) {
    var repeat = resp.headers.get("X-Bump-Repeat") === "1";
    var state = resp.headers.get("X-Bump-State") || "";
    var from = resp.headers.get("X-Bump-From");
    var placed = place(tap, html);
    if (tap.kind === "recall") { loadDrawer(true); }
    if (state === "superseded") { message(gettext("Changed in POS"), true); return; }
    if (state === "failed") { message(gettext("This change could not be made."), true); return; }
    if (repeat) { return; } // sent again after a reload: nothing new to say
    var label = tap.label || cardLabel(placed);
    if (tap.kind === "bump") {
      var stage = columnLabel(placed) || tap.stage; // the column it went to, else its button
      offerUndo({ receipt: tap.receipt, to: from || "", card: tap.card, label: label }, stage);
    } else if (tap.kind === "undo") {
      message(interpolate(gettext("%(card)s: undone"), { card: label }, true), false);
    } else {
      message(interpolate(gettext("%(card)s → %(stage)s"), { card: label, stage: columnLabel(placed) }, true), false);
    }
  }

  /* ---------- Moving a card into the column that holds its new stage ---------- */
  function parseCard(html) {
    if (!html || !html.trim()) { return null; }
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    return tpl.content.querySelector("article.card");
  }
  function columnFor(stage) {
    var found = null;
    document.querySelectorAll("#wall-live .column[data-stages]").forEach(function (column) {
      if (!found && column.dataset.stages.split(/\s+/).indexOf(stage) !== -1) { found = column; }
    });
    return found;
  }
  function columnLabel(card) {
    var column = card && card.closest(".column");
    return text(column && column.querySelector(".col-label"));
  }
  function count(column, delta) {
    var out = column && column.querySelector(".col-count");
    if (!out) { return; }
    var n = parseInt(out.textContent, 10);
    if (!isNaN(n) && String(n) === out.textContent.trim()) { out.textContent = String(Math.max(0, n + delta)); }
  }
  function insert(column, card) {
    var list = column.querySelector(".cards");
    if (!list) { return; }
    var empty = list.querySelector(":scope > .empty");
    if (empty) { empty.remove(); }
    // Where the server will put it: oldest first (finished columns: latest change first).
    var finished = column.classList.contains("col-done") || column.classList.contains("col-ignored");
    var key = finished ? card.dataset.updated || "" : card.dataset.created || "";
    var before = list.querySelector(":scope > .more");
    var cards = list.querySelectorAll(":scope > .card");
    for (var i = 0; i < cards.length; i++) {
      var other = finished ? cards[i].dataset.updated || "" : cards[i].dataset.created || "";
      if (finished ? other < key : other > key) { before = cards[i]; break; }
    }
    list.insertBefore(card, before);
    count(column, 1);
  }
  function remove(card) {
    count(card.closest(".column"), -1);
    card.remove();
  }

  // The answered card in place of the old one; returns it, or null when it left the screen.
  function place(tap, html) {
    var old = cardFor(tap.receipt) || cardById(tap.card);
    var oldColumn = old && old.closest(".column");
    var fresh = parseCard(html);
    var column = fresh && columnFor(fresh.dataset.stage);
    if (!fresh || !column) {
      if (old) { remove(old); }
    } else if (old && oldColumn === column) {
      old.replaceWith(fresh);
    } else {
      if (old) { remove(old); }
      insert(column, fresh);
    }
    if (handoff && handoff.card === tap.card && fresh && column && column === oldColumn) {
      handoff = null; // it stayed in its column: so does the selection
    }
    if (tap.kind === "undo" && fresh && column && body.classList.contains("is-keys")) {
      selectedId = fresh.dataset.id;
    }
    refit();
    decorate();
    return fresh && column ? fresh : null;
  }

  /* ---------- A tap or a bump key ---------- */
  function nudge(card) {
    card.classList.remove("is-nudged");
    void card.offsetWidth; // restart the animation
    card.classList.add("is-nudged");
  }

  function bump(card) {
    var receipt = card.dataset.receipt;
    var to = card.dataset.bumpTo;
    if (!receipt || !to) { nudge(card); return; } // not bumpable (not in Clopos yet, or done)
    if (inflight[receipt]) { nudge(card); return; } // its last tap is still on its way
    var t = Date.now();
    if (t - (lastTapAt[receipt] || 0) < GUARD_MS) { return; }
    lastTapAt[receipt] = t;
    var button = card.querySelector(".bump-btn");
    var next = selectedId === card.dataset.id ? nextTo(card) : null;
    var column = card.closest(".column");
    handoff = next && column ? { card: card.dataset.id, column: column.dataset.stage, next: next.dataset.id } : null;
    start({
      kind: "bump", key: newKey(), receipt: receipt, to: to, card: card.dataset.id,
      label: cardLabel(card), stage: text(button).replace(/[\s▸›>→]+$/, ""), at: now(), attempts: 0
    });
  }

  /* ---------- Undo: one touch for a few seconds ---------- */
  function clearToast() {
    if (undo && undo.timer) { clearTimeout(undo.timer); }
    undo = null;
    if (toast.dataset.timer) { clearTimeout(parseInt(toast.dataset.timer, 10)); delete toast.dataset.timer; }
    toast.hidden = true;
    toast.textContent = "";
    toast.className = "bump-toast";
  }
  function showToast(words, kind, ms) {
    clearToast();
    toast.className = "bump-toast " + kind;
    var line = document.createElement("span");
    line.className = "bump-toast-text";
    line.textContent = words;
    toast.appendChild(line);
    var bar = document.createElement("span");
    bar.className = "bump-toast-bar";
    bar.setAttribute("aria-hidden", "true");
    toast.style.setProperty("--toast-ms", ms + "ms");
    toast.hidden = false;
    toast.dataset.timer = String(setTimeout(clearToast, ms));
    return bar;
  }
  function message(words, isError) {
    var bar = showToast(words, isError ? "is-error" : "is-info", MESSAGE_MS);
    toast.appendChild(bar);
  }
  function offerUndo(entry, stage) {
    var words = interpolate(gettext("%(card)s → %(stage)s"), { card: entry.label, stage: stage }, true);
    var bar = showToast(words, "is-undo", undoMs);
    if (entry.to) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "bump-undo";
      button.textContent = gettext("Undo");
      var hint = document.createElement("kbd");
      hint.className = "bump-undo-key";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = "⌫";
      button.appendChild(hint);
      toast.appendChild(button);
      undo = entry;
    }
    toast.appendChild(bar);
  }
  function undoLast() {
    if (!undo || inflight[undo.receipt]) { return; }
    var entry = undo;
    clearToast();
    start({ kind: "undo", key: newKey(), receipt: entry.receipt, to: entry.to, card: entry.card,
      label: entry.label, stage: "", at: now(), attempts: 0 });
  }
  toast.addEventListener("click", function (event) {
    if (event.target.closest(".bump-undo")) { undoLast(); }
  });

  /* ---------- A refused screen: wall.js shows its overlay ---------- */
  function denied(state) {
    // wall.js's one place for the overlay reads every htmx answer: hand it this one.
    document.dispatchEvent(new CustomEvent("htmx:afterRequest", { detail: {
      elt: body, successful: false,
      xhr: { status: 403, getResponseHeader: function (name) { return /^x-wall-denied$/i.test(name) ? state : null; } }
    } }));
    var overlay = document.getElementById("denied-overlay");
    if (overlay && overlay.hidden) { overlay.hidden = false; }
  }

  /* ---------- Recall: the last bumps of this screen ---------- */
  var drawerSeq = 0;
  var returnFocus = null;

  function drawerOpen() { return drawer && !drawer.hidden; }
  function drawerNote(words) {
    drawer.textContent = "";
    var title = document.createElement("h2");
    title.id = "recall-title";
    title.textContent = gettext("Recall");
    var note = document.createElement("p");
    note.className = "recall-note";
    note.textContent = words;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "recall-close";
    close.textContent = gettext("Close");
    var head = document.createElement("div");
    head.className = "recall-head";
    head.appendChild(title);
    head.appendChild(close);
    drawer.appendChild(head);
    drawer.appendChild(note);
  }
  function drawerButtons() {
    return Array.prototype.filter.call(drawer.querySelectorAll("button"), function (b) { return !b.disabled; });
  }
  function focusInDrawer() {
    var first = drawer.querySelector(".recall-btn:not([disabled])") || drawer.querySelector(".recall-close");
    (first || drawer).focus({ preventScroll: true });
  }
  function loadDrawer(focus) {
    if (!drawerOpen()) { return; }
    var seq = ++drawerSeq;
    drawer.classList.add("is-loading");
    fetch(recallUrl, { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      if (resp.status === 403 && resp.headers.get("X-Wall-Denied")) {
        denied(resp.headers.get("X-Wall-Denied"));
        throw new Error("denied");
      }
      if (!resp.ok || resp.redirected) { throw new Error("status " + resp.status); }
      return resp.text();
    }).then(function (html) {
      if (seq !== drawerSeq || !drawerOpen()) { return; }
      drawer.classList.remove("is-loading");
      drawer.innerHTML = html;
      // A recall still on its way keeps its button busy.
      drawer.querySelectorAll(".recall-btn").forEach(function (b) {
        if (inflight[b.dataset.receipt]) { b.disabled = true; b.classList.add("is-sending"); }
      });
      if (focus) { focusInDrawer(); }
    }).catch(function () {
      if (seq !== drawerSeq || !drawerOpen()) { return; }
      drawer.classList.remove("is-loading");
      drawerNote(gettext("Could not load the last bumps. Close and open Recall to try again."));
      if (focus) { focusInDrawer(); }
    });
  }
  function openDrawer() {
    if (!drawer) { return; }
    var active = document.activeElement;
    returnFocus = active && active !== body && !drawer.contains(active) ? active : null;
    if (!drawer.firstElementChild) { drawerNote(gettext("Loading…")); }
    drawer.setAttribute("tabindex", "-1");
    drawer.hidden = false;
    if (opener) { opener.setAttribute("aria-expanded", "true"); }
    drawer.focus({ preventScroll: true });
    loadDrawer(true);
  }
  function closeDrawer() {
    if (!drawerOpen()) { return; }
    drawerSeq += 1; // an answer still on its way is not shown
    drawer.hidden = true;
    if (opener) { opener.setAttribute("aria-expanded", "false"); }
    var back = returnFocus && returnFocus.isConnected ? returnFocus : opener;
    returnFocus = null;
    if (back) { back.focus({ preventScroll: true }); }
  }
  function toggleDrawer() { if (drawerOpen()) { closeDrawer(); } else { openDrawer(); } }

  if (opener) { opener.addEventListener("click", toggleDrawer); }
  if (drawer) {
    drawer.addEventListener("click", function (event) {
      if (event.target.closest(".recall-close")) { closeDrawer(); return; }
      var button = event.target.closest(".recall-btn");
      if (!button || button.disabled) { return; }
      var receipt = button.dataset.receipt;
      var to = button.dataset.bumpTo;
      if (!receipt || !to || inflight[receipt]) { return; }
      button.disabled = true;
      button.classList.add("is-sending");
      var card = cardFor(receipt);
      start({ kind: "recall", key: newKey(), receipt: receipt, to: to, card: card ? card.dataset.id : null,
        label: card ? cardLabel(card) : "", stage: "", at: now(), attempts: 0 });
    });
  }

  /* ---------- The selection: arrows, digits; kept across each swap ---------- */
  function visible(card) { return !card.hidden && card.getClientRects().length > 0; }
  function columns() {
    return Array.prototype.filter.call(
      document.querySelectorAll("#wall-live .board > .column:not(.allday)"),
      function (column) { return cardsOf(column).length > 0; });
  }
  function cardsOf(column) {
    return Array.prototype.filter.call(column.querySelectorAll(".cards > .card[data-id]"), visible);
  }
  function readingOrder() {
    var all = [];
    columns().forEach(function (column) { all = all.concat(cardsOf(column)); });
    return all;
  }
  function nextTo(card) {
    var column = card.closest(".column");
    if (!column) { return null; }
    var list = cardsOf(column);
    var i = list.indexOf(card);
    return list[i + 1] || list[i - 1] || null;
  }

  function select(card) {
    selectedId = card ? card.dataset.id : null;
    var active = document.activeElement;
    // Keys now drive the wall, not a header button the mouse left focused.
    if (card && active && active !== body && !drawer.contains(active) && !toast.contains(active)) { active.blur(); }
    decorate();
  }
  function selectedCard() {
    var card = cardById(selectedId);
    return card && visible(card) ? card : null;
  }

  // Selection, sending marks and digit badges on whatever cards are there now.
  function decorate() {
    if (handoff) {
      var bumped = cardById(handoff.card);
      var nowIn = bumped && bumped.closest(".column");
      if (!bumped || (nowIn && nowIn.dataset.stage !== handoff.column)) {
        var next = cardById(handoff.next);
        if (selectedId === handoff.card && next && visible(next)) { selectedId = handoff.next; }
        handoff = null;
      }
    }
    var card = selectedId === null ? null : cardById(selectedId);
    if (selectedId !== null && (!card || !visible(card))) {
      // It left the screen: the card now where it was, if any.
      card = null;
      if (selectedAt) {
        var cols = columns();
        var column = cols[Math.min(selectedAt.column, cols.length - 1)];
        var list = column ? cardsOf(column) : [];
        card = list[Math.min(selectedAt.index, list.length - 1)] || null;
      }
      selectedId = card ? card.dataset.id : null;
    }
    document.querySelectorAll("#wall-live .card.is-selected").forEach(function (c) {
      if (c !== card) { c.classList.remove("is-selected"); c.removeAttribute("aria-current"); }
    });
    if (card) {
      card.classList.add("is-selected");
      card.setAttribute("aria-current", "true");
      var cols2 = columns();
      var col = card.closest(".column");
      selectedAt = { column: Math.max(0, cols2.indexOf(col)), index: Math.max(0, cardsOf(col).indexOf(card)) };
    }
    Object.keys(inflight).forEach(function (receipt) { markSending(inflight[receipt]); });
    var order = readingOrder();
    document.querySelectorAll("#wall-live .card[data-kbd]").forEach(function (c) {
      var n = order.indexOf(c);
      if (n < 0 || n >= 9) { c.removeAttribute("data-kbd"); }
    });
    order.slice(0, 9).forEach(function (c, i) {
      if (c.dataset.kbd !== String(i + 1)) { c.dataset.kbd = String(i + 1); }
    });
  }
  onSwap.push(decorate);
  setInterval(decorate, 1000); // cards hidden or shown by wall.js's fitting and expiry

  function move(key) {
    var current = selectedCard();
    var cols = columns();
    if (!cols.length) { return; }
    if (!current) { select(readingOrder()[0]); return; }
    var column = current.closest(".column");
    var c = cols.indexOf(column);
    var list = cardsOf(column);
    var i = list.indexOf(current);
    if (key === "ArrowUp") { select(list[Math.max(0, i - 1)]); return; }
    if (key === "ArrowDown") { select(list[Math.min(list.length - 1, i + 1)]); return; }
    var target = cols[key === "ArrowLeft" ? c - 1 : c + 1];
    if (!target) { return; }
    // The card of that column nearest the same height.
    var y = current.getBoundingClientRect().top;
    var best = null;
    var bestDistance = Infinity;
    cardsOf(target).forEach(function (other) {
      var d = Math.abs(other.getBoundingClientRect().top - y);
      if (d < bestDistance) { best = other; bestDistance = d; }
    });
    select(best);
  }

  function moveInDrawer(delta) {
    var buttons = drawerButtons();
    if (!buttons.length) { return; }
    var i = buttons.indexOf(document.activeElement);
    var next = i < 0 ? 0 : Math.max(0, Math.min(buttons.length - 1, i + delta));
    buttons[next].focus({ preventScroll: true });
  }

  function keysMode(on) { body.classList.toggle("is-keys", on); }

  /* ---------- Keys (a bump bar is a keyboard) ---------- */
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (body.dataset.denied) { return; }
    var key = event.key;
    var active = document.activeElement;
    // Two bump presses with nothing between them this soon are a bounce; any other key
    // between them (a digit, an arrow) makes the second one meant.
    if (key !== "Enter" && key !== " " && key !== "Spacebar") { lastKeyBumpAt = 0; }
    if (key === "Escape") {
      if (drawerOpen()) { event.preventDefault(); closeDrawer(); }
      return;
    }
    if (key === "r" || key === "R" || event.code === "KeyR") {
      event.preventDefault();
      if (!event.repeat) { keysMode(true); toggleDrawer(); }
      return;
    }
    if (drawerOpen()) {
      // In the drawer: up and down between its buttons, a digit picks a row; Enter and
      // Space press the focused button as usual.
      if (key === "ArrowDown" || key === "ArrowUp") { event.preventDefault(); moveInDrawer(key === "ArrowDown" ? 1 : -1); }
      if (/^[1-9]$/.test(key)) {
        var rows = drawer.querySelectorAll(".recall-btn:not([disabled])");
        var row = rows[parseInt(key, 10) - 1];
        if (row) { event.preventDefault(); row.focus({ preventScroll: true }); }
      }
      return;
    }
    if (key === "Backspace") {
      if (undo) { event.preventDefault(); if (!event.repeat) { undoLast(); } }
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var card = readingOrder()[parseInt(key, 10) - 1];
      event.preventDefault();
      keysMode(true);
      if (card) { select(card); }
      return;
    }
    if (key === "ArrowLeft" || key === "ArrowRight" || key === "ArrowUp" || key === "ArrowDown") {
      event.preventDefault();
      keysMode(true);
      move(key);
      return;
    }
    if (key === "Enter" || key === " " || key === "Spacebar") {
      if (active && toast.contains(active)) { return; } // the toast's Undo pressed as usual
      var selected = selectedCard();
      if (!selected) {
        if (active && active !== body) { return; } // a focused button pressed as usual
        event.preventDefault();
        keysMode(true);
        select(readingOrder()[0]); // the first press shows where the keys are
        return;
      }
      event.preventDefault();
      keysMode(true);
      if (event.repeat) { return; }
      var t = Date.now();
      if (t - lastKeyBumpAt < GUARD_MS) { return; }
      lastKeyBumpAt = t;
      if (active && active !== body) { active.blur(); }
      bump(selected);
    }
  });
  // Space on a blurred button must not press it on key up either.
  document.addEventListener("keyup", function (event) {
    if ((event.key === " " || event.key === "Spacebar") && selectedCard() && !drawerOpen()) {
      var active = document.activeElement;
      if (!active || active === body || !toast.contains(active)) { event.preventDefault(); }
    }
  });

  /* ---------- Pointer: a tap anywhere on a card ---------- */
  document.addEventListener("pointerdown", function () { keysMode(false); });
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    if (drawerOpen() && !drawer.contains(target) && !toast.contains(target) && !(opener && opener.contains(target))) {
      // A tap beside the open drawer closes it; it does not bump what was under it.
      var under = target.closest("#wall-live .card");
      closeDrawer();
      if (under) { event.preventDefault(); }
      return;
    }
    var card = target.closest("#wall-live .card[data-id]");
    if (!card || target.closest("a")) { return; }
    var t = Date.now();
    var dx = event.clientX - lastPointer.x;
    var dy = event.clientY - lastPointer.y;
    var bounce = t - lastPointer.t < GUARD_MS && dx * dx + dy * dy < GUARD_PX * GUARD_PX;
    lastPointer = { t: t, x: event.clientX, y: event.clientY };
    if (bounce) { return; } // a double tap: the card under the finger may be another one now
    if (event.detail === 0 && target.closest(".bump-btn")) {
      // A click made by a key on a focused bump button: the keys above handle those.
      return;
    }
    selectedId = card.dataset.id;
    decorate();
    bump(card);
  });
  // A double tap on the board is two taps, not wall.js's full-screen toggle.
  body.addEventListener("dblclick", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("#wall-live .board, #bump-toast, #recall-drawer")) {
      event.stopPropagation();
    }
  });

  /* ---------- Taps made before a reload go again, with their keys ---------- */
  stored().forEach(function (saved) {
    if (!saved || !saved.key || !saved.receipt || !saved.to || inflight[saved.receipt]) { return; }
    if (typeof saved.at === "number" && now() - saved.at > STORE_MAX_AGE_MS) { return; }
    saved.attempts = 0;
    start(saved);
  });
  save();
  decorate();
})();
