// Netspace ONE Partners Portal (netspace-mock): the live chart of a short stress run on the Integration
// page. Plain JavaScript, no library; it polls the portal's own progress endpoint and draws inline SVG.
(function () {
  "use strict";

  var box = document.querySelector("[data-stress-url]");
  if (!box) return;
  var url = box.getAttribute("data-stress-url");
  var NS = "http://www.w3.org/2000/svg";
  var W = 760, H = 220, L = 50, R = 50, T = 24, B = 30;
  var status = document.createElement("p");
  status.className = "stress-status";
  box.appendChild(status);
  var svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "rounds per second and p99 latency over the run");
  box.appendChild(svg);

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    svg.appendChild(node);
    return node;
  }

  function line(points, key, top, css) {
    var xmax = Math.max(1, points[points.length - 1].elapsed_s);
    var coords = points.map(function (p) {
      var x = L + (p.elapsed_s / xmax) * (W - L - R);
      var y = T + (1 - p[key] / top) * (H - T - B);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    el("polyline", { points: coords.join(" "), class: "stress-line " + css });
  }

  function draw(points) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    el("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "grid zero" });
    if (!points.length) return;
    // Rounds a second between one point and the next, so the line shows the rate now, not the average.
    var rates = points.map(function (p, i) {
      var before = i ? points[i - 1] : { elapsed_s: 0, rounds: 0 };
      var dt = p.elapsed_s - before.elapsed_s;
      return { elapsed_s: p.elapsed_s, rate: dt > 0 ? (p.rounds - before.rounds) / dt : 0, p99: p.p99_ms };
    });
    var topRate = Math.max(1, Math.max.apply(null, rates.map(function (p) { return p.rate; })));
    var topP99 = Math.max(1, Math.max.apply(null, rates.map(function (p) { return p.p99; })));
    line(rates, "rate", topRate, "rate");
    line(rates, "p99", topP99, "p99");
    el("text", { x: 4, y: T - 8, class: "legend stress-rate" }, "rounds/s (top " + Math.round(topRate) + ")");
    el("text", { x: W - 4, y: T - 8, "text-anchor": "end", class: "legend stress-p99" },
      "p99 ms (top " + topP99.toFixed(1) + ")");
    el("text", { x: W - R, y: H - 8, "text-anchor": "end", class: "axis" },
      rates[rates.length - 1].elapsed_s.toFixed(0) + " s");
  }

  function show(state) {
    var last = state.points.length ? state.points[state.points.length - 1] : null;
    var text = state.status === "running" ? "Running: " : "";
    if (last) text += last.rounds + " of " + state.rounds + " rounds, " + last.errors + " errors";
    if (state.summary) {
      text = state.summary.rounds + " rounds at " + state.summary.rounds_per_s + " rounds/s; " +
        state.summary.players_reconciled + " of " + state.summary.players + " players reconcile; " +
        state.summary.mishandled + " calls mishandled";
    }
    if (state.error) text = state.error;
    status.textContent = text;
    draw(state.points || []);
  }

  function poll(first) {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.status === "running") setTimeout(function () { poll(false); }, 1000);
        else if (!first) location.reload(); // the report is rendered by the server
      })
      .catch(function () {
        setTimeout(function () { poll(first); }, 2000);
      });
  }

  poll(true);
})();
