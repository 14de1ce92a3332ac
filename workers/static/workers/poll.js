// The results page's live update: a conditional poll of each unfinished job's fragment (If-None-Match).
// An unchanged job answers 304 from the server's cheap path; the wait grows from 1 s to 10 s while nothing
// changes and drops back to 1 s when something does. A job far back in the queue says how long to wait at the
// least (X-Poll-After, seconds; data-poll-after on the page): a tenth of its expected wait, up to 30 s.
// A hidden tab waits at least 10 s.
(function () {
  "use strict";
  if (window.courseSiteJobPoll) return;
  window.courseSiteJobPoll = true;
  var FIRST = 1000, MAX = 10000, GROWTH = 1.5;

  function calm(seconds) {  // the server's "not before" in ms; 0 when it gave none (or nonsense)
    var value = parseInt(seconds || "0", 10);
    return value > 0 ? Math.min(value, 60) * 1000 : 0;
  }

  function poll(element) {
    var url = element.getAttribute("data-poll-url"), etag = element.getAttribute("data-etag");
    var delay = Math.max(FIRST, calm(element.getAttribute("data-poll-after")));
    function again() {
      window.setTimeout(tick, document.hidden ? Math.max(delay, MAX) : delay);
    }
    function tick() {
      if (!element.isConnected) return;
      var headers = {"HX-Request": "true"};
      if (etag) headers["If-None-Match"] = etag;
      fetch(url, {headers: headers, credentials: "same-origin", cache: "no-store"}).then(function (response) {
        var after = calm(response.headers.get("X-Poll-After"));
        if (response.status === 304) {
          delay = Math.max(Math.min(MAX, delay * GROWTH), after);
          return again();
        }
        if (!response.ok) {
          delay = MAX;
          return again();
        }
        etag = response.headers.get("ETag");
        return response.text().then(function (html) {
          // htmx's own swap: the job's outerHTML, and its out-of-band parts (the screen-reader announcement).
          var id = element.id;
          window.htmx.swap(element, html.trim(), {swapStyle: "outerHTML"});
          var fresh = document.getElementById(id);
          if (fresh && fresh.getAttribute("data-poll-url")) {
            element = fresh;
            delay = Math.max(FIRST, after);
            again();
          }
        });
      }).catch(function () {
        delay = MAX;
        again();
      });
    }
    again();
  }

  function start() {
    document.querySelectorAll(".grading-job[data-poll-url]").forEach(poll);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
