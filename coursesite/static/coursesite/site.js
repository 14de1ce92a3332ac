// coursesite: label each table cell with its column's header, so that on a phone (where site.css shows every row
// as a block) each value says what it is. Tables keep their roles for screen readers. Without JavaScript the
// header row stays visible above the blocks instead.
(function () {
  "use strict";
  var SKIP = "table.grading-tests, table.highlighttable";

  function labelTable(table) {
    if (table.matches(SKIP) || !table.tHead || !table.tHead.rows.length) return;
    var headers = [];
    Array.prototype.forEach.call(table.tHead.rows[table.tHead.rows.length - 1].cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) headers.push(cell.textContent.trim());
    });
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll("tr"), function (row) {
      row.setAttribute("role", "row");
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var header = headers[column];
        column += cell.colSpan || 1;
        if (row.parentNode === table.tHead) { cell.setAttribute("role", "columnheader"); return; }
        cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
        if (header && cell.colSpan === 1 && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", header);
      });
    });
    table.classList.add("labelled");
  }

  function labelAll(root) {
    if (root.matches && root.matches("table")) labelTable(root);
    Array.prototype.forEach.call(root.querySelectorAll ? root.querySelectorAll("table") : [], labelTable);
  }

  document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  document.addEventListener("htmx:load", function (event) { labelAll(event.target); });
})();
