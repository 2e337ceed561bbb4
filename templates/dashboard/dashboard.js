// Live updates for the dashboard, which works without this script: it
// long-polls the timeline and reloads the page when something happens,
// unless the user is typing in a field.
(function () {
  "use strict";
  var body = document.body;
  var since = body.getAttribute("data-since") || "0";
  var tenant = body.getAttribute("data-tenant");
  var headers = tenant ? { "X-Sandbox-Tenant": tenant } : {};
  // A button press is already leaving the page: a reload now would cancel it.
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("a[href]")) { leaving = true; }
  });
  window.addEventListener("pagehide", function () { leaving = true; });
  function typing() {
    var el = document.activeElement;
    return el && (el.tagName === "INPUT" || el.tagName === "SELECT") && el.type !== "hidden";
  }
  function poll() {
    fetch("/__admin/events?since=" + encodeURIComponent(since) + "&wait=25s", { headers: headers })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(res.status); })
      .then(function (events) {
        if (events.length === 0) { return poll(); }
        since = String(events[events.length - 1].seq);
        if (leaving) { return; }
        if (typing()) { return poll(); }
        window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
