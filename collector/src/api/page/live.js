// The live map: colours the communes by their latest daily rollup and draws the sites with
// their status, from the collector's API, every `refresh_s` seconds. No request leaves the
// collector that served the page; nothing is logged to the console.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("live-config").textContent);
  var w = cfg.words;
  var SVG = "http://www.w3.org/2000/svg";

  // A bearer token given as #token=... (never sent to the server in the address) is kept
  // for the tab only.
  var token = null;
  var m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  try {
    if (m) {
      token = decodeURIComponent(m[1]);
      sessionStorage.setItem("coverage-token", token);
      history.replaceState(null, "", location.pathname + location.search);
    } else {
      token = sessionStorage.getItem("coverage-token");
    }
  } catch (e) { /* storage refused: keep the token for this load only */ }

  function get(path) {
    var headers = {};
    if (token) { headers.Authorization = "Bearer " + token; }
    return fetch(path, { headers: headers, cache: "no-store" }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          throw new Error((body && body.error && body.error.problem) || ("HTTP " + r.status));
        }
        return body;
      });
    });
  }

  function fill(t, args) {
    return t.replace(/\{(\w+)\}/g, function (all, k) {
      return Object.prototype.hasOwnProperty.call(args, k) ? String(args[k]) : all;
    });
  }

  function age(s) {
    if (typeof s !== "number") { return w.never; }
    if (s < 120) { return fill(w.seconds_ago, { seconds: Math.round(s) }); }
    return fill(w.minutes_ago, { minutes: Math.round(s / 60) });
  }

  var paths = {};
  var baseTitle = {};
  Array.prototype.forEach.call(document.querySelectorAll("#map-communes path"), function (p) {
    var code = p.getAttribute("data-code");
    paths[code] = p;
    baseTitle[code] = p.querySelector("title").textContent;
  });

  function colour(points) {
    var n = 0;
    points.forEach(function (pt) {
      var p = paths[pt.commune];
      if (!p) { return; }
      var v = pt.period_verdict || pt.verdict || "no_site";
      p.setAttribute("class", "c v-" + v);
      p.setAttribute("data-verdict", v);
      var lines = [baseTitle[pt.commune], w.verdicts[v] || v];
      if (typeof pt.period_usable_share === "number") {
        lines.push((pt.period_usable_share * 100).toFixed(1) + " %");
      }
      if (pt.time) { lines.push(pt.time.slice(0, 10)); }
      p.querySelector("title").textContent = lines.join("\n");
      n += 1;
    });
    return n;
  }

  function project(lat, lon) {
    var q = cfg.projection;
    return [q.margin + (lon - q.lon_min) * q.cos_lat * q.scale, q.margin + (q.lat_max - lat) * q.scale];
  }

  function cell(row, text, cls) {
    var td = document.createElement("td");
    if (cls) {
      var dot = document.createElement("span");
      dot.className = "st-dot " + cls;
      td.appendChild(dot);
    }
    td.appendChild(document.createTextNode(text));
    row.appendChild(td);
  }

  function drawSites(answer) {
    var g = document.getElementById("map-sites");
    while (g.firstChild) { g.removeChild(g.firstChild); }
    var tbody = document.querySelector("#sites tbody");
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    answer.sites.forEach(function (s) {
      var seen = [s.last_reading_age_s, s.last_heartbeat_age_s].filter(function (x) {
        return typeof x === "number";
      });
      var lastSeen = seen.length ? Math.min.apply(null, seen) : null;
      var status = w.status[s.status] || s.status;
      if (typeof s.lat === "number" && typeof s.lon === "number") {
        var xy = project(s.lat, s.lon);
        var c = document.createElementNS(SVG, "circle");
        c.setAttribute("class", "s st-" + s.status);
        c.setAttribute("data-site", s.site);
        c.setAttribute("cx", xy[0].toFixed(1));
        c.setAttribute("cy", xy[1].toFixed(1));
        c.setAttribute("r", "5");
        var t = document.createElementNS(SVG, "title");
        t.textContent = s.site + "\n" + status + "\n" + age(lastSeen);
        c.appendChild(t);
        g.appendChild(c);
      }
      var row = document.createElement("tr");
      row.setAttribute("data-site", s.site);
      row.setAttribute("data-status", s.status);
      cell(row, s.site);
      cell(row, status, "st-" + s.status);
      cell(row, s.commune_name || "");
      cell(row, age(lastSeen));
      cell(row, s.agent || "");
      cell(row, (typeof s.spool_depth === "number" ? s.spool_depth : "") +
        (typeof s.spool_dropped === "number" ? " / " + s.spool_dropped : ""));
      cell(row, s.clock_synced === true ? w.clock_synced : (s.clock_synced === false ? w.clock_not_synced : ""));
      tbody.appendChild(row);
    });
    document.getElementById("counts").textContent = fill(w.counts, answer.counts);
  }

  function refresh() {
    var state = document.getElementById("live-state");
    var problems = [];
    var communes = "api/v1/communes?set=" + encodeURIComponent(cfg.set) +
      "&window=1d&service=mobile&operator=any";
    var a = get(communes).then(function (body) {
      var n = colour(body.points);
      document.body.setAttribute("data-coloured", String(n));
      if (n === 0) { problems.push(w.no_rollups); }
    }, function (e) {
      problems.push(fill(w.fetch_failed, { what: "/api/v1/communes", error: e.message }));
    });
    var b = get("api/v1/sites").then(function (body) {
      drawSites(body);
      document.body.setAttribute("data-sites", String(body.sites.length));
    }, function (e) {
      problems.push(fill(w.fetch_failed, { what: "/api/v1/sites", error: e.message }));
    });
    Promise.all([a, b]).then(function () {
      var when = fill(w.updated, { time: new Date().toLocaleTimeString(cfg.lang) });
      state.textContent = [when, fill(w.refresh_note, { seconds: cfg.refresh_s })]
        .concat(problems).join(" ");
      state.className = problems.length ? "note error" : "note";
      document.body.setAttribute("data-loaded", "1");
    });
  }

  refresh();
  setInterval(refresh, cfg.refresh_s * 1000);
})();
