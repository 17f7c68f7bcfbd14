/* Pass wall screen: timers, ageing, watchdog, sound, freshness, overflow, burn-in, reload.
 *
 * htmx polls /wall/poll/ (see #wall-live) and swaps the live region when the data version
 * changes; everything time-based happens here, every second, from ISO timestamps and the
 * server's clock (data-now) so a kiosk with a wrong clock still shows true ages.
 * Configured by data-* attributes on <body>; no inline script (CSP: script-src 'self').
 * Every word shown comes from Django's JavaScript catalogue (djangojs, loaded before this
 * script); if it failed to load, the English fallbacks below keep the screen working.
 */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var ngettext = window.ngettext || function (s, p, n) { return n === 1 ? s : p; };
  var pgettext = window.pgettext || function (c, s) { return s; };
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
  var watchdogMs = (parseFloat(cfg.watchdogMinutes) || 3) * 60000;
  var reloadMs = (parseFloat(cfg.reloadHours) || 4) * 3600000;
  var tzOffsetMin = parseInt(cfg.tzOffset, 10) || 0;
  var STORE_SEEN = "pass.wall.seen";
  var STORE_MUTED = "pass.wall.muted";
  var NEW_HIGHLIGHT_MS = 30000;
  var reloadRetryMs = Math.min(60000, Math.max(pollMs * 2, 5000));
  var ALERT_REPEAT_MS = 15000;

  var serverOffsetMs = 0; // server now - browser now
  var headerClock = false; // true once a poll answer carried X-Wall-Now (more exact than data-now)
  var syncedAt = null; // last Clopos success (server ms), from X-Wall-Synced or the fragment
  var lastOkAt = Date.now();
  var failures = 0;
  var offlineSince = null;
  var lastAlertAt = 0;
  var lastWatchdogCount = 0;
  var seen = loadSeen(); // order id -> first seen (server ms)
  var firstLoad = Object.keys(seen).length === 0;
  var STORE_CANCELLED = "pass.wall.cancelled";
  var cancelledSeen = loadStored(STORE_CANCELLED); // card id -> 1, cancelled cards already sounded
  var firstCancelled = Object.keys(cancelledSeen).length === 0;

  function now() { return Date.now() + serverOffsetMs; }
  function parseIso(value) { var t = Date.parse(value || ""); return isNaN(t) ? null : t; }
  function live() { return document.getElementById("wall-live"); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function loadStored(name) {
    try { return JSON.parse(sessionStorage.getItem(name) || "{}") || {}; } catch (e) { return {}; }
  }
  function loadSeen() { return loadStored(STORE_SEEN); }
  function saveSeen() {
    try { sessionStorage.setItem(STORE_SEEN, JSON.stringify(seen)); } catch (e) { /* full or off */ }
  }

  /* ---------- Sound ---------- */
  var chime = new Audio(cfg.chimeUrl);
  var alertSound = new Audio(cfg.alertUrl);
  var cancelSound = new Audio(cfg.cancelUrl);
  chime.preload = "auto";
  alertSound.preload = "auto";
  cancelSound.preload = "auto";
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

  function play(audio, counter) {
    if (muted) { return; }
    body.dataset[counter] = String((parseInt(body.dataset[counter], 10) || 0) + 1);
    try {
      audio.currentTime = 0;
      var p = audio.play();
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

  function unlock() {
    if (!blocked || muted) { return; }
    play(chime, "chimes");
  }

  enableBtn.addEventListener("click", function () { blocked = false; soundState(); play(chime, "chimes"); });
  testBtn.addEventListener("click", function () {
    if (muted) { muted = false; try { localStorage.setItem(STORE_MUTED, "0"); } catch (e) { /* */ } soundState(); }
    play(chime, "chimes");
    setTimeout(function () { play(alertSound, "alerts"); }, 1600);
  });
  muteBtn.addEventListener("click", function () {
    muted = !muted;
    try { localStorage.setItem(STORE_MUTED, muted ? "1" : "0"); } catch (e) { /* */ }
    soundState();
  });
  document.addEventListener("pointerdown", unlock);
  document.addEventListener("keydown", unlock);

  /* ---------- The live fragment arrived ---------- */
  function onLive() {
    var el = live();
    if (!el) { return; }
    var serverNow = parseIso(el.dataset.now);
    if (serverNow !== null && !headerClock) { serverOffsetMs = serverNow - Date.now(); }
    var last = parseIso(el.dataset.lastSuccess);
    if (last !== null && (syncedAt === null || last > syncedAt)) { syncedAt = last; }
    var t = now();
    var fresh = false;
    var present = {};
    (el.dataset.openIds || "").split(",").forEach(function (id) {
      if (!id) { return; }
      present[id] = true;
      if (!(id in seen)) {
        seen[id] = t;
        if (!firstLoad) { fresh = true; }
      }
    });
    if (firstLoad) {
      // The screen's first render: nothing counts as new.
      Object.keys(seen).forEach(function (id) { seen[id] = 0; });
      firstLoad = false;
    }
    Object.keys(seen).forEach(function (id) { if (!present[id]) { delete seen[id]; } });
    saveSeen();
    if (fresh) { play(chime, "chimes"); }
    cancelled(el);
    tick();
    fitAll();
  }

  // A cancelled order struck through for the first time: its own sound, once per card.
  function cancelled(el) {
    var present = {};
    var fresh = false;
    (el.dataset.cancelledIds || "").split(",").forEach(function (id) {
      if (!id) { return; }
      present[id] = 1;
      if (!(id in cancelledSeen)) { cancelledSeen[id] = 1; fresh = true; }
    });
    Object.keys(cancelledSeen).forEach(function (id) { if (!present[id]) { delete cancelledSeen[id]; } });
    try { sessionStorage.setItem(STORE_CANCELLED, JSON.stringify(cancelledSeen)); } catch (e) { /* */ }
    if (firstCancelled) { firstCancelled = false; return; }
    if (fresh) { play(cancelSound, "cancels"); }
  }

  /* ---------- Every second ---------- */
  // Compact age units, the same msgids as board.js: 12m, 1h (the minutes may come padded).
  function ageM(n) { return counted(pgettext("compact age", "%(count)sm"), n); }
  function ageH(n) { return counted(pgettext("compact age", "%(count)sh"), n); }
  function hoursMinutes(m) { return ageH(Math.floor(m / 60)) + " " + ageM(pad(m % 60)); }
  function fmtAge(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var m = Math.floor(s / 60);
    if (m >= 60) { return hoursMinutes(m); }
    return m + ":" + pad(s % 60);
  }
  function fmtMinutes(ms) {
    var m = Math.max(0, Math.floor(ms / 60000));
    if (m >= 60) { return hoursMinutes(m); }
    return ageM(m);
  }
  // The same words as board.js and orders_app/formatting.py say for the same value.
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
    var waiting = 0;
    var expired = false;
    if (el) {
      el.querySelectorAll(".card[data-id]").forEach(function (card) {
        var status = card.dataset.status;
        var flag = card.querySelector(".age-flag");
        var time = card.querySelector(".age-time");
        var expires = parseIso(card.dataset.expires);
        if (expires !== null) {
          // Done / Ignored: time since it finished; leaves the wall when it expires.
          var since = parseIso(card.dataset.updated) || t;
          flag.textContent = status === "IGNORE" || card.dataset.stage === "cancelled" ? "✕" : "✓";
          time.textContent = interpolate(pgettext("compact age", "%(age)s ago"),
            { age: fmtMinutes(t - since) }, true);
          if (t >= expires && !card.classList.contains("is-expired")) {
            card.classList.add("is-expired");
            card.hidden = true;
            expired = true;
          }
          return;
        }
        var created = parseIso(card.dataset.created);
        var age = created === null ? 0 : t - created;
        var amber = parseFloat(card.dataset.amber) * 1000;
        var red = parseFloat(card.dataset.red) * 1000;
        var state = "ok";
        if (red && age >= red) { state = "red"; } else if (amber && age >= amber) { state = "amber"; }
        card.classList.toggle("age-amber", state === "amber");
        card.classList.toggle("age-red", state === "red");
        card.dataset.age = state;
        // Uppercased by the stylesheet (text-transform), for the page's language.
        if (state === "red") { flag.textContent = "■ " + gettext("Late"); time.textContent = fmtMinutes(age); }
        else if (state === "amber") { flag.textContent = "▲ " + gettext("Slow"); time.textContent = fmtAge(age); }
        else { flag.textContent = ""; time.textContent = fmtAge(age); }
        var watch = status === "PENDING" && age >= watchdogMs;
        card.classList.toggle("is-watchdog", watch);
        if (watch) { waiting += 1; }
        var first = seen[card.dataset.id];
        card.classList.toggle("is-new", !!first && t - first < NEW_HIGHLIGHT_MS);
      });
    }
    watchdog(waiting, t);
    lateNow(el);
    freshness(t, el);
    dimming(t, el);
    if (expired) { fitAll(); }
  }

  // The stats strip's "late now": open cards past their red threshold, counted every second.
  function lateNow(el) {
    var out = el && el.querySelector('[data-stat="late"]');
    if (!out) { return; }
    var late = el.querySelectorAll('.card[data-age="red"]:not([hidden])').length;
    out.textContent = String(late);
    out.parentNode.classList.toggle("is-late", late > 0);
  }

  function watchdog(count, t) {
    var banner = document.getElementById("watchdog-banner");
    banner.hidden = count === 0;
    body.dataset.waiting = String(count);
    if (count) {
      document.getElementById("watchdog-text").textContent = counted(ngettext(
        "%(count)s order waiting for acceptance", "%(count)s orders waiting for acceptance", count), count);
      if (count > lastWatchdogCount || t - lastAlertAt >= ALERT_REPEAT_MS) {
        lastAlertAt = t;
        play(alertSound, "alerts");
      }
    }
    lastWatchdogCount = count;
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
    var last = syncedAt;
    var text = last === null ? gettext("Clopos: not synced yet")
      : interpolate(gettext("Clopos synced %(ago)s"), { ago: fmtAgo(t - last) }, true);
    if (status === "failing") { text += " · " + gettext("sync failing"); }
    if (offline) { text = gettext("Pass server unreachable"); }
    label.textContent = text;
    label.classList.toggle("is-bad", offline || status !== "ok");
  }

  /* ---------- Dim outside opening hours (never while orders wait) ---------- */
  function minutesOf(hhmm) {
    var m = /^(\d{1,2}):(\d{2})$/.exec((hhmm || "").trim());
    return m ? parseInt(m[1], 10) * 60 + parseInt(m[2], 10) : null;
  }
  function dimming(t, el) {
    var hours = (cfg.openingHours || "").split("-");
    var open = minutesOf(hours[0]);
    var close = minutesOf(hours[1]);
    var dim = false;
    if (cfg.dim !== "off" && open !== null && close !== null) {
      var d = new Date(t + tzOffsetMin * 60000);
      var m = d.getUTCHours() * 60 + d.getUTCMinutes();
      var inside = open <= close ? (m >= open && m < close) : (m >= open || m < close);
      var busy = el && el.querySelector('.card[data-status="PENDING"]');
      dim = !inside && !busy;
    }
    body.classList.toggle("is-dimmed", dim);
  }

  /* ---------- Overflow: compact first, then "+N more"; never cut silently ---------- */
  function overflows(list) { return list.scrollHeight > list.clientHeight + 1; }
  function fit(column) {
    var list = column.querySelector(".cards");
    if (!list) { return; }
    var marker = list.querySelector(".more");
    var omitted = parseInt(list.dataset.omitted, 10) || 0;
    var items = Array.prototype.filter.call(list.children, function (c) {
      return c !== marker && !c.classList.contains("empty") && !c.classList.contains("is-expired");
    });
    column.classList.remove("is-compact");
    items.forEach(function (c) { c.hidden = false; });
    function mark(hidden) {
      var n = hidden + omitted;
      marker.hidden = n === 0;
      marker.textContent = counted(ngettext("+%(count)s more", "+%(count)s more", n), n);
      column.dataset.hidden = String(n);
    }
    mark(0);
    if (!overflows(list)) { return; }
    column.classList.add("is-compact");
    if (!overflows(list)) { return; }
    var hidden = 0;
    for (var i = items.length - 1; i >= 0 && overflows(list); i--) {
      items[i].hidden = true;
      hidden += 1;
      mark(hidden);
    }
  }
  function fitAll() {
    document.querySelectorAll("#wall-live .column").forEach(fit);
  }
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
    if (event.target && event.target.id === "wall-live") { onLive(); }
  });

  function showDenied(state) {
    var overlay = document.getElementById("denied-overlay");
    var title = gettext("This screen's key was revoked");
    var hint = gettext("Ask a manager for a new kiosk link.");
    if (state === "signed-out") {
      title = gettext("This screen is signed out");
      hint = gettext("Open the wall again with a kiosk link or log in.");
    }
    if (state === "unknown") { title = gettext("This screen's key is no longer valid"); }
    document.getElementById("denied-title").textContent = title;
    document.getElementById("denied-hint").textContent = hint;
    overlay.hidden = false;
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
    var root = document.getElementById("wall-root");
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
