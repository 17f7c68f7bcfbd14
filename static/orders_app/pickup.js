/* Pass pickup screen: the chime when a number becomes ready, the "just ready" highlight,
 * freshness, the lost-connection banner, overflow, burn-in, the periodic reload.
 *
 * htmx polls /pickup/poll/ (see #pickup-live) and swaps the live region when the data version
 * changes; everything time-based happens here, every second, from ISO timestamps and the
 * server's clock, as on the wall (wall.js: the same rules, the same words). Configured by
 * data-* attributes on <body>; no inline script (CSP: script-src 'self'). Every word shown
 * comes from Django's JavaScript catalogue (djangojs, loaded before this script); if it failed
 * to load, the English fallbacks below keep the screen working.
 */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var interpolate = window.interpolate || function (fmt, obj, named) {
    return named
      ? fmt.replace(/%\(\w+\)s/g, function (m) { return String(obj[m.slice(2, -2)]); })
      : fmt.replace(/%s/g, function () { return String(obj.shift()); });
  };
  function counted(fmt, n) { return interpolate(fmt, { count: n }, true); }

  var body = document.body;
  var cfg = body.dataset;
  var pollMs = (parseFloat(cfg.pollSeconds) || 5) * 1000;
  var pollTimeoutMs = parseFloat(cfg.pollTimeoutMs) || 4000;
  var reloadMs = (parseFloat(cfg.reloadHours) || 4) * 3600000;
  var highlightMs = (parseFloat(cfg.highlightSeconds) || 60) * 1000;
  var tzOffsetMin = parseInt(cfg.tzOffset, 10) || 0;
  var STORE_READY = "pass.pickup.ready";
  var STORE_MUTED = "pass.wall.muted"; // one mute for every screen of this browser
  var reloadRetryMs = Math.min(60000, Math.max(pollMs * 2, 5000));

  var serverOffsetMs = 0; // server now - browser now
  var headerClock = false; // true once a poll answer carried X-Wall-Now (more exact than data-now)
  var syncedAt = null; // last Clopos success (server ms)
  var lastOkAt = Date.now();
  var failures = 0;
  var offlineSince = null;
  var readySeen = loadReady(); // order id -> true: in Ready when this screen last looked
  var firstLoad = readySeen === null;
  if (firstLoad) { readySeen = {}; }

  function now() { return Date.now() + serverOffsetMs; }
  function parseIso(value) { var t = Date.parse(value || ""); return isNaN(t) ? null : t; }
  function live() { return document.getElementById("pickup-live"); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function loadReady() {
    try {
      var raw = sessionStorage.getItem(STORE_READY);
      return raw === null ? null : (JSON.parse(raw) || {});
    } catch (e) { return null; }
  }
  function saveReady() {
    try { sessionStorage.setItem(STORE_READY, JSON.stringify(readySeen)); } catch (e) { /* full or off */ }
  }

  /* ---------- Sound ---------- */
  var chime = new Audio(cfg.chimeUrl);
  chime.preload = "auto";
  var muted = false;
  try { muted = localStorage.getItem(STORE_MUTED) === "1"; } catch (e) { muted = false; }
  var blocked = false;
  var enableBtn = document.getElementById("sound-enable");
  var testBtn = document.getElementById("sound-test");
  var muteBtn = document.getElementById("sound-mute");

  function soundState() {
    body.dataset.sound = muted ? "muted" : (blocked ? "blocked" : "on");
    enableBtn.hidden = muted || !blocked;
    muteBtn.setAttribute("aria-pressed", muted ? "true" : "false");
    muteBtn.textContent = muted ? gettext("Sound muted: tap to unmute") : gettext("Mute");
  }

  function play() {
    if (muted) { return; }
    body.dataset.chimes = String((parseInt(body.dataset.chimes, 10) || 0) + 1);
    try {
      chime.currentTime = 0;
      var p = chime.play();
      if (p && p.then) {
        p.then(function () { if (blocked) { blocked = false; soundState(); } })
          .catch(function (err) {
            if (err && err.name === "NotAllowedError") { blocked = true; soundState(); }
          });
      }
    } catch (e) { blocked = true; soundState(); }
  }

  function detectAutoplay() {
    if (navigator.getAutoplayPolicy) {
      try {
        blocked = navigator.getAutoplayPolicy("mediaelement") !== "allowed";
        soundState();
        return;
      } catch (e) { /* fall through */ }
    }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) {
      try {
        var ctx = new Ctx();
        blocked = ctx.state === "suspended";
        ctx.close();
      } catch (e) { blocked = false; }
    }
    soundState();
  }

  enableBtn.addEventListener("click", function () { blocked = false; soundState(); play(); });
  testBtn.addEventListener("click", function () {
    if (muted) { muted = false; try { localStorage.setItem(STORE_MUTED, "0"); } catch (e) { /* */ } soundState(); }
    play();
  });
  muteBtn.addEventListener("click", function () {
    muted = !muted;
    try { localStorage.setItem(STORE_MUTED, muted ? "1" : "0"); } catch (e) { /* */ }
    soundState();
  });
  function unlock() { if (blocked && !muted) { play(); } }
  document.addEventListener("pointerdown", unlock);
  document.addEventListener("keydown", unlock);

  /* ---------- The live fragment arrived: chime for a number that entered Ready ---------- */
  function onLive() {
    var el = live();
    if (!el) { return; }
    var serverNow = parseIso(el.dataset.now);
    if (serverNow !== null && !headerClock) { serverOffsetMs = serverNow - Date.now(); }
    var last = parseIso(el.dataset.lastSuccess);
    if (last !== null && (syncedAt === null || last > syncedAt)) { syncedAt = last; }
    var fresh = false;
    var present = {};
    (el.dataset.readyIds || "").split(",").forEach(function (id) {
      if (!id) { return; }
      present[id] = true;
      if (!readySeen[id] && !firstLoad) { fresh = true; }
    });
    // The screen's first render: what is ready already is not news.
    firstLoad = false;
    readySeen = present;
    saveReady();
    if (fresh) { play(); }
    tick();
    fitAll();
  }

  /* ---------- Every second ---------- */
  // The same words as wall.js, board.js and orders_app/formatting.py say for the same value.
  function fmtAgo(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 5) { return gettext("just now"); }
    if (s < 60) { return counted(ngettext("%(count)s s ago", "%(count)s s ago", s), s); }
    var m = Math.floor(s / 60);
    if (m < 60) { return counted(ngettext("%(count)s min ago", "%(count)s min ago", m), m); }
    var h = Math.floor(m / 60);
    if (h < 24) { return counted(ngettext("%(count)s h ago", "%(count)s h ago", h), h); }
    var d = Math.floor(h / 24);
    return counted(ngettext("%(count)s day ago", "%(count)s days ago", d), d);
  }
  function clockText(ms) {
    var d = new Date(ms + tzOffsetMin * 60000);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function tick() {
    var t = now();
    var el = live();
    document.getElementById("clock").textContent = clockText(t);
    if (el) {
      el.querySelectorAll(".pcol-ready .number[data-order]").forEach(function (number) {
        var since = parseIso(number.dataset.since);
        number.classList.toggle("is-fresh", since !== null && t - since < highlightMs);
      });
    }
    freshness(t, el);
  }

  function freshness(t, el) {
    var label = document.getElementById("sync-age");
    var offline = failures >= 2 || Date.now() - lastOkAt > pollMs * 2 + pollTimeoutMs;
    if (offline && offlineSince === null) { offlineSince = lastOkAt; }
    if (!offline) { offlineSince = null; }
    body.classList.toggle("is-offline", offline);
    var banner = document.getElementById("conn-banner");
    banner.hidden = !offline;
    if (offline) {
      document.getElementById("conn-banner-detail").textContent = interpolate(
        gettext("since %(time)s. This screen is not live; it reconnects by itself."),
        { time: clockText(offlineSince + serverOffsetMs) }, true);
    }
    if (!el) { return; }
    var status = el.dataset.syncStatus;
    var text = syncedAt === null ? gettext("Clopos: not synced yet")
      : interpolate(gettext("Clopos synced %(ago)s"), { ago: fmtAgo(t - syncedAt) }, true);
    if (status === "failing") { text += " · " + gettext("sync failing"); }
    if (offline) { text = gettext("Pass server unreachable"); }
    label.textContent = text;
    label.classList.toggle("is-bad", offline || status !== "ok");
  }

  /* ---------- Overflow: "+N more", never a scroll bar, never a number cut silently ---------- */
  function overflows(list) { return list.scrollHeight > list.clientHeight + 1; }
  function fit(list) {
    var marker = list.querySelector(".more");
    var omitted = parseInt(list.dataset.omitted, 10) || 0;
    var numbers = Array.prototype.filter.call(list.children, function (c) { return c !== marker; });
    numbers.forEach(function (c) { c.hidden = false; });
    function mark(hidden) {
      var n = hidden + omitted;
      marker.hidden = n === 0;
      marker.textContent = counted(ngettext("+%(count)s more", "+%(count)s more", n), n);
      list.dataset.hidden = String(n);
    }
    mark(0);
    var hidden = 0;
    for (var i = numbers.length - 1; i >= 0 && overflows(list); i--) {
      numbers[i].hidden = true;
      hidden += 1;
      mark(hidden);
    }
  }
  function fitAll() { document.querySelectorAll("#pickup-live .numbers").forEach(fit); }
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(fitAll, 150);
  });
  // Web fonts change text metrics when they arrive: fit again then.
  if (document.fonts) {
    if (document.fonts.ready) { document.fonts.ready.then(fitAll); }
    document.fonts.addEventListener("loadingdone", fitAll);
  }

  /* ---------- Connection: every poll's outcome ---------- */
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (event.detail && event.detail.successful === true && (status === 200 || status === 204)) {
      var stamp = parseIso(xhr.getResponseHeader("X-Wall-Now"));
      if (stamp !== null) { serverOffsetMs = stamp - Date.now(); headerClock = true; }
      var synced = parseIso(xhr.getResponseHeader("X-Wall-Synced"));
      if (synced !== null) { syncedAt = synced; }
      lastOkAt = Date.now();
      failures = 0;
      hideDenied();
    } else if (status === 403) {
      lastOkAt = Date.now();
      failures = 0;
      showDenied(xhr.getResponseHeader("X-Wall-Denied"));
    } else {
      failures += 1;
    }
    tick();
  });
  document.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.id === "pickup-live") { onLive(); }
  });

  function showDenied(state) {
    var title = gettext("This screen's key was revoked");
    var hint = gettext("Ask a manager for a new kiosk link.");
    if (state === "signed-out") {
      title = gettext("This screen is signed out");
      hint = gettext("Open this screen again with a kiosk link or log in.");
    }
    if (state === "unknown") { title = gettext("This screen's key is no longer valid"); }
    document.getElementById("denied-title").textContent = title;
    document.getElementById("denied-hint").textContent = hint;
    document.getElementById("denied-overlay").hidden = false;
    body.dataset.denied = state || "revoked";
  }
  function hideDenied() {
    document.getElementById("denied-overlay").hidden = true;
    delete body.dataset.denied;
  }

  /* ---------- Burn-in: a slow orbit of a few pixels ---------- */
  var orbit = [[0, 0], [3, 1], [5, 4], [3, 6], [0, 5], [-3, 6], [-5, 3], [-3, 1]];
  var orbitStep = 0;
  function shift() {
    orbitStep = (orbitStep + 1) % orbit.length;
    var root = document.getElementById("pickup-root");
    root.style.setProperty("--shift-x", orbit[orbitStep][0] + "px");
    root.style.setProperty("--shift-y", orbit[orbitStep][1] - 3 + "px");
  }

  /* ---------- Safety valve: a full reload every few hours, only when the server answers ---- */
  function reloadWhenReachable() {
    var el = live();
    var url = el ? el.getAttribute("hx-get").replace(/([?&])token=[^&]*/, "$1token=") : location.href;
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (resp) {
        if (resp.ok) { location.reload(); } else { setTimeout(reloadWhenReachable, reloadRetryMs); }
      })
      .catch(function () { setTimeout(reloadWhenReachable, reloadRetryMs); });
  }

  /* ---------- Keep the screen awake; double-click toggles full screen ---------- */
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () { /* not allowed here: fine */ });
    }
  }
  document.addEventListener("visibilitychange", keepAwake);
  document.addEventListener("dblclick", function () {
    if (document.fullscreenElement) { document.exitFullscreen().catch(function () { /* */ }); }
    else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* */ });
    }
  });

  keepAwake();
  detectAutoplay();
  onLive();
  setInterval(tick, 1000);
  setInterval(shift, 90000);
  setTimeout(reloadWhenReachable, reloadMs);
})();
