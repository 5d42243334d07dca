// The HTML audit report's controls: the map's colouring selector, the commune table's filter
// and sort. Plain DOM, no library; the page is complete without it.
(function () {
  "use strict";

  // Map: colour each commune by the chosen verdict (any operator, one operator, fibre).
  var select = document.getElementById("colour-by");
  var paths = document.querySelectorAll("#map path.c");
  var legendMobile = document.getElementById("legend-mobile");
  var legendFibre = document.getElementById("legend-fibre");
  function colour() {
    var key = select.value;
    for (var i = 0; i < paths.length; i++) {
      var v = paths[i].getAttribute("data-" + key) || "no_site";
      paths[i].setAttribute("class", "c v-" + v);
    }
    var fibre = key === "fibre";
    legendMobile.hidden = fibre;
    legendFibre.hidden = !fibre;
  }
  if (select) {
    select.addEventListener("change", colour);
    document.getElementById("colour-controls").hidden = false;
  }

  // Table: filter rows by text, sort by a column.
  var table = document.getElementById("communes");
  if (!table || !table.tBodies.length) {
    return;
  }
  var body = table.tBodies[0];
  var filter = document.getElementById("filter");
  var shown = document.getElementById("rows-shown");
  function count(n) {
    shown.textContent = shown.getAttribute("data-template")
      .replace("{shown}", n)
      .replace("{total}", shown.getAttribute("data-total"));
  }
  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    for (var i = 0; i < body.rows.length; i++) {
      var row = body.rows[i];
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep;
      if (keep) { n++; }
    }
    count(n);
  }
  filter.addEventListener("input", applyFilter);
  document.getElementById("table-controls").hidden = false;
  count(body.rows.length);

  var heads = table.tHead.rows[0].cells;
  function sortBy(col) {
    var th = heads[col];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-type") === "num";
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    var key = function (row) {
      var cell = row.cells[col];
      if (numeric) { return parseFloat(cell.getAttribute("data-sort")); }
      return cell.textContent;
    };
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var c = numeric ? x - y : x.localeCompare(y, document.documentElement.lang);
      return ascending ? c : -c;
    });
    for (var j = 0; j < rows.length; j++) { body.appendChild(rows[j]); }
  }
  for (var k = 0; k < heads.length; k++) {
    (function (col) {
      heads[col].tabIndex = 0;
      heads[col].addEventListener("click", function () { sortBy(col); });
      heads[col].addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(col); }
      });
    })(k);
  }
}());
