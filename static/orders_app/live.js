/* Pass screens: held polls (SCREEN_UPDATES=longpoll, see orders_app/services/change_watch.py).
 *
 * A live region with data-hold-seconds > 0 asks its poll URL again as soon as an answer comes:
 * the server holds each poll until the cache changes (then the new fragment, whose own htmx
 * "load" trigger asks again) or up to the hold (204, and this script asks again). A failed or
 * refused poll is retried after data-retry-seconds, as the plain polling did; the screens'
 * own scripts read every answer for their connection banners, unchanged.
 * A watchdog asks again should the chain ever break (no poll in flight for too long).
 * No inline script (CSP: script-src 'self').
 */
(function () {
  "use strict";
  var GAP_MS = 50; // between a held 204 and the next poll
  var lastEnd = new WeakMap(); // region -> when its last poll ended (ms)
  var lastStart = new WeakMap();

  function held(elt) {
    return !!(elt && elt.getAttribute && parseFloat(elt.getAttribute("data-hold-seconds")) > 0);
  }
  function holdMs(elt) { return parseFloat(elt.getAttribute("data-hold-seconds")) * 1000; }
  function retryMs(elt) { return (parseFloat(elt.getAttribute("data-retry-seconds")) || 5) * 1000; }
  function ask(elt) {
    if (elt.isConnected && window.htmx && !elt.classList.contains("htmx-request")) {
      htmx.trigger(elt, "pass-poll");
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (held(elt)) { lastStart.set(elt, Date.now()); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!held(elt)) { return; }
    lastEnd.set(elt, Date.now());
    // Swapped out by a new fragment: the new region's "load" trigger asks again.
    if (!elt.isConnected) { return; }
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var took = Date.now() - (lastStart.get(elt) || 0);
    // A 204 that came back well before the hold means this server does not hold polls (for
    // instance another version during an upgrade): then poll at the plain interval.
    var quick = status === 204 && event.detail.successful === true && took >= holdMs(elt) / 2;
    var delay = quick ? GAP_MS : retryMs(elt);
    // After this event htmx releases the region's request lock: ask in a later task.
    setTimeout(function () { ask(elt); }, delay);
  });

  setInterval(function () {
    document.querySelectorAll("[data-hold-seconds]").forEach(function (elt) {
      if (!held(elt) || elt.classList.contains("htmx-request")) { return; }
      var since = lastEnd.get(elt) || lastStart.get(elt) || 0;
      if (Date.now() - since > holdMs(elt) + 2 * retryMs(elt)) { ask(elt); }
    });
  }, 2000);
})();
