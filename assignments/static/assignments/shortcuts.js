// Keyboard shortcuts of the review queue and page: an element with data-shortcut="j" (or "ctrl+enter") is clicked
// when that key is pressed; plain letters are ignored while typing in a field. The links and buttons work without it.
(function () {
  "use strict";
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable=true]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.metaKey || event.defaultPrevented) return;
    var key = event.key.toLowerCase();
    var name = (event.ctrlKey ? "ctrl+" : "") + key;
    if (!event.ctrlKey && typing(event.target)) return;
    if (event.shiftKey && key.length === 1) return;
    var target = document.querySelector('[data-shortcut="' + CSS.escape(name) + '"]');
    if (!target) return;
    event.preventDefault();
    target.click();
  });
  // The queue page: j/k move between rows, each row's links and buttons then answer Enter and c.
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-queue-row]"));
  if (!rows.length) return;
  var current = -1;
  function select(n) {
    if (n < 0 || n >= rows.length) return;
    if (current >= 0) rows[current].removeAttribute("aria-current");
    current = n;
    rows[n].setAttribute("aria-current", "true");
    var open = rows[n].querySelector("[data-open]");
    if (open) open.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    if (event.key === "j") { event.preventDefault(); select(current + 1); }
    else if (event.key === "k") { event.preventDefault(); select(Math.max(current - 1, 0)); }
    else if (event.key === "c" && current >= 0) {
      var claim = rows[current].querySelector("[data-claim]");
      if (claim) { event.preventDefault(); claim.click(); }
    }
  });
})();
