/**
 * The status page served at `/` of every node's HTTP port: one self-contained HTML document
 * (inline style and script, no build step, nothing fetched from elsewhere) that polls, once a
 * second, `/cluster` of the node that served it (every member and the HTTP address it
 * reported) and `/overview` of every member that has one (`overview.ts`). It shows:
 *
 * - the configuration in force (N, P, L, voters, learners, a joint change, the preferred
 *   leader) and the leader;
 * - one row per node: role, ballot, leader, committed and applied index, lease, address,
 *   uptime (a member that does not answer is shown as such);
 * - live charts drawn on canvases over the last two minutes: write and read rates (answered
 *   requests per second, summed over the nodes), and write and read latency (mean and p99
 *   from the differences of the nodes' latency histograms between two polls);
 * - the last role changes of every node, newest first.
 *
 * The script avoids template literals so that it can live in this TypeScript string as is.
 */
export const STATUS_PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FlexPaxos status</title>
<style>
  :root { --bg: #f6f7f9; --card: #fff; --ink: #1d232b; --dim: #667085; --line: #e3e6ea;
          --leader: #0b7a3e; --cand: #b76e00; --down: #b42318; --w: #2f6fdf; --r: #9a3fd0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
         background: var(--bg); color: var(--ink); }
  header { padding: 14px 20px; background: #1d232b; color: #fff; display: flex;
           align-items: baseline; gap: 16px; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header .meta { color: #c5cad3; font-size: 13px; }
  main { padding: 16px 20px; display: grid; gap: 16px;
         grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
            padding: 12px 14px; min-width: 0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--dim);
       margin: 0 0 8px; font-weight: 600; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
           white-space: nowrap; }
  th { color: var(--dim); font-weight: 500; font-size: 12px; }
  .role-leader { color: var(--leader); font-weight: 600; }
  .role-candidate { color: var(--cand); font-weight: 600; }
  .down { color: var(--down); }
  .kv { display: flex; gap: 22px; flex-wrap: wrap; }
  .kv div b { display: block; font-size: 22px; font-weight: 600; }
  .kv div span { color: var(--dim); font-size: 12px; }
  canvas { width: 100%; height: 170px; display: block; }
  .legend { font-size: 12px; color: var(--dim); display: flex; gap: 14px; margin-top: 4px; }
  .legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle;
              margin-right: 4px; }
  .legend i.dash { background: repeating-linear-gradient(90deg, var(--r) 0 5px, transparent 5px 8px) !important; }
  #error { color: var(--down); }
  a { color: inherit; }
</style>
</head>
<body>
<header>
  <h1>FlexPaxos <span id="cluster-name">…</span></h1>
  <span class="meta" id="served-by"></span>
  <span class="meta" id="updated"></span>
  <span class="meta" id="error"></span>
</header>
<main>
  <section class="wide">
    <h2>Configuration</h2>
    <div class="kv" id="config">
      <div><b id="cfg-n">–</b><span>N voters</span></div>
      <div><b id="cfg-p">–</b><span>P replication quorum</span></div>
      <div><b id="cfg-l">–</b><span>L election quorum</span></div>
      <div><b id="cfg-leader">–</b><span>leader</span></div>
      <div><b id="cfg-members">–</b><span>voters</span></div>
      <div><b id="cfg-learners">–</b><span>learners</span></div>
      <div><b id="cfg-joint">–</b><span>joint change</span></div>
      <div><b id="cfg-index">–</b><span>config slot</span></div>
    </div>
  </section>
  <section class="wide">
    <h2>Nodes</h2>
    <table id="nodes">
      <thead><tr><th>node</th><th>role</th><th>ballot</th><th>leader</th><th>committed</th>
        <th>applied</th><th>lease</th><th>lease left</th><th>reads (lease / quorum / stale)</th>
        <th>uptime</th><th>address</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Throughput (answered requests/s, all nodes)</h2>
    <canvas id="chart-rate"></canvas>
    <div class="legend"><span><i style="background:var(--w)"></i>writes <b id="now-w">–</b></span>
      <span><i class="dash" style="background:var(--r)"></i>reads <b id="now-r">–</b></span></div>
  </section>
  <section>
    <h2>Latency (ms, on the serving node)</h2>
    <canvas id="chart-lat"></canvas>
    <div class="legend"><span><i style="background:var(--w)"></i>write p99 <b id="now-wp99">–</b></span>
      <span><i style="background:var(--w);opacity:.45"></i>write mean <b id="now-wmean">–</b></span>
      <span><i class="dash" style="background:var(--r)"></i>read p99 <b id="now-rp99">–</b></span>
      <span><i class="dash" style="background:var(--r);opacity:.45"></i>read mean <b id="now-rmean">–</b></span></div>
  </section>
  <section class="wide">
    <h2>Last role changes</h2>
    <table id="elections">
      <thead><tr><th>time</th><th>node</th><th>change</th><th>ballot</th><th>leader</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<script>
"use strict";
var POLL_MS = 1000, WINDOW_S = 120;
var prev = {};          // node id -> last overview
var series = { w: [], r: [], wp99: [], wmean: [], rp99: [], rmean: [] };

function el(id) { return document.getElementById(id); }
function text(id, v) { el(id).textContent = v; }
function fmtMs(s) { return s === null || !isFinite(s) ? "–" : (s * 1000).toFixed(s < 0.01 ? 2 : 1); }
function fmtUptime(s) {
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
function cell(tr, v, cls) {
  var td = document.createElement("td");
  td.textContent = v === null || v === undefined ? "–" : String(v);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}
function reachable(http) {
  // A node listening on every interface reports 0.0.0.0: reach it where this page came from.
  try {
    var u = new URL(http);
    if (u.hostname === "0.0.0.0" || u.hostname === "[::]") u.hostname = location.hostname;
    return u.origin;
  } catch (e) { return null; }
}
function getJson(url, timeoutMs) {
  var ctl = new AbortController();
  var t = setTimeout(function () { ctl.abort(); }, timeoutMs);
  return fetch(url, { signal: ctl.signal, cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error(url + ": " + r.status); return r.json(); })
    .finally(function () { clearTimeout(t); });
}

// Differences of cumulative histograms between two polls, summed over nodes.
function histDelta(acc, cur, old) {
  if (!old || cur.count < old.count) return;
  acc.count += cur.count - old.count;
  acc.sum += cur.sum - old.sum;
  for (var i = 0; i < cur.buckets.length; i++) {
    var b = cur.buckets[i], o = old.buckets[i];
    var le = b.le === null ? Infinity : b.le;
    acc.b[le] = (acc.b[le] || 0) + b.count - (o ? o.count : 0);
  }
}
function quantile(acc, q) {
  if (acc.count <= 0) return null;
  var les = Object.keys(acc.b).map(Number).sort(function (a, b) { return a - b; });
  var want = q * acc.count, lo = 0;
  for (var i = 0; i < les.length; i++) {
    var c = acc.b[les[i]];
    if (c >= want) {
      if (!isFinite(les[i])) return lo;
      var prevC = i > 0 ? acc.b[les[i - 1]] : 0;
      var frac = c > prevC ? (want - prevC) / (c - prevC) : 1;
      return lo + (les[i] - lo) * frac;
    }
    lo = les[i];
  }
  return lo;
}
function newAcc() { return { count: 0, sum: 0, b: {} }; }

function push(name, t, v) {
  var s = series[name];
  s.push({ t: t, v: v });
  while (s.length > 0 && s[0].t < t - WINDOW_S * 1000) s.shift();
}

function drawChart(canvas, lines, unit) {
  var dpr = window.devicePixelRatio || 1;
  var w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  var g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  var left = 44, right = 8, top = 8, bottom = 18;
  var now = Date.now(), t0 = now - WINDOW_S * 1000;
  var max = 0;
  lines.forEach(function (l) { l.points.forEach(function (p) { if (p.v !== null && p.v > max) max = p.v; }); });
  max = max <= 0 ? 1 : niceCeil(max * 1.1);
  g.strokeStyle = "#e3e6ea"; g.fillStyle = "#667085"; g.lineWidth = 1;
  g.font = "11px system-ui, sans-serif"; g.textAlign = "right"; g.textBaseline = "middle";
  for (var i = 0; i <= 4; i++) {
    var y = top + (h - top - bottom) * (1 - i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
    g.fillText(fmtAxis(max * i / 4) + (i === 4 ? " " + unit : ""), left - 4, y);
  }
  g.textAlign = "center"; g.textBaseline = "alphabetic";
  for (var s = WINDOW_S; s >= 0; s -= 30) {
    var x = left + (w - left - right) * (1 - s / WINDOW_S);
    g.textAlign = s === 0 ? "right" : s === WINDOW_S ? "left" : "center";
    g.fillText(s === 0 ? "now" : "-" + s + "s", x, h - 4);
  }
  lines.forEach(function (l) {
    g.strokeStyle = l.color; g.globalAlpha = l.alpha || 1; g.lineWidth = 2;
    g.setLineDash(l.dash ? [5, 3] : []);
    g.beginPath();
    var started = false;
    l.points.forEach(function (p) {
      if (p.v === null) { started = false; return; }
      var x = left + (w - left - right) * ((p.t - t0) / (WINDOW_S * 1000));
      var y = top + (h - top - bottom) * (1 - p.v / max);
      if (!started) { g.moveTo(x, y); started = true; } else g.lineTo(x, y);
    });
    g.stroke(); g.globalAlpha = 1; g.setLineDash([]);
  });
}
function niceCeil(v) {
  var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
function fmtAxis(v) { return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 0 : 1) + "k" : v >= 10 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2); }

function color() {
  var cs = getComputedStyle(document.documentElement);
  return { w: cs.getPropertyValue("--w").trim(), r: cs.getPropertyValue("--r").trim() };
}

function render(view, overviews, errors) {
  text("cluster-name", view.cluster);
  text("served-by", "page from node " + view.self);
  text("updated", "updated " + new Date().toLocaleTimeString());
  text("error", errors.join("; "));
  // The configuration: the leader's view when it answers, else the freshest committed one.
  var best = null;
  view.members.forEach(function (m) {
    var o = overviews[m.id];
    if (!o || !o.config) return;
    if (!best || o.status.role === "leader" || (best.status.role !== "leader" && o.config.index > best.config.index)) best = o;
  });
  var leader = null;
  view.members.forEach(function (m) {
    var s = (overviews[m.id] && overviews[m.id].status) || m.status;
    if (s && s.role === "leader") leader = s.id;
  });
  if (best) {
    var c = best.config.incoming;
    text("cfg-n", c.voters.length);
    text("cfg-p", c.replication === null ? "grid" : c.replication);
    text("cfg-l", c.election === null ? "grid" : c.election);
    text("cfg-members", c.voters.join(", "));
    text("cfg-learners", c.learners.length ? c.learners.join(", ") : "none");
    text("cfg-joint", best.config.outgoing ? "from " + best.config.outgoing.voters.join(", ") : "no");
    text("cfg-index", best.config.index);
  }
  text("cfg-leader", leader === null ? "none" : "node " + leader);

  var tbody = el("nodes").tBodies[0];
  tbody.textContent = "";
  view.members.forEach(function (m) {
    var o = overviews[m.id], s = (o && o.status) || m.status;
    var tr = document.createElement("tr");
    tr.setAttribute("data-node-id", String(m.id));
    cell(tr, m.id);
    if (!s) {
      cell(tr, "no answer", "down");
      for (var i = 0; i < 9; i++) cell(tr, null);
    } else {
      tr.setAttribute("data-role", s.role);
      cell(tr, s.role, "role-" + s.role);
      cell(tr, s.ballot);
      cell(tr, s.leader);
      cell(tr, s.committed);
      cell(tr, s.applied);
      cell(tr, s.lease);
      cell(tr, s.leaseState && s.leaseState.remainingMs !== null ? s.leaseState.remainingMs + " ms" : null);
      cell(tr, s.reads ? s.reads.lease + " / " + s.reads.quorum + " / " + s.reads.stale : null);
      cell(tr, o ? fmtUptime(o.uptimeS) : "(status only)");
    }
    var td = cell(tr, "");
    if (m.http) { var a = document.createElement("a"); a.href = m.http + "/"; a.textContent = m.http; td.appendChild(a); }
    tbody.appendChild(tr);
  });

  var changes = [];
  Object.keys(overviews).forEach(function (id) {
    overviews[id].roleChanges.forEach(function (r) { changes.push({ id: Number(id), r: r }); });
  });
  changes.sort(function (a, b) { return b.r.atMs - a.r.atMs; });
  var eb = el("elections").tBodies[0];
  eb.textContent = "";
  changes.slice(0, 15).forEach(function (x) {
    var tr = document.createElement("tr");
    cell(tr, new Date(x.r.atMs).toLocaleTimeString());
    cell(tr, x.id);
    cell(tr, x.r.from + " \u2192 " + x.r.to, x.r.to === "leader" ? "role-leader" : "");
    cell(tr, x.r.ballot);
    cell(tr, x.r.leader);
    eb.appendChild(tr);
  });
  if (changes.length === 0) { var tr = document.createElement("tr"); cell(tr, "none seen since the nodes started"); eb.appendChild(tr); }
}

function sample(overviews) {
  var t = Date.now(), dt = 0, n = 0, writes = 0, reads = 0;
  var wAcc = newAcc(), rAcc = newAcc();
  Object.keys(overviews).forEach(function (id) {
    var o = overviews[id], p = prev[id];
    if (p && o.nowMs > p.nowMs) {
      var d = (o.nowMs - p.nowMs) / 1000;
      writes += Math.max(0, o.latency.write.count - p.latency.write.count) / d;
      reads += Math.max(0, o.latency.readLease.count + o.latency.readQuorum.count + o.counters.readsStale -
        p.latency.readLease.count - p.latency.readQuorum.count - p.counters.readsStale) / d;
      histDelta(wAcc, o.latency.write, p.latency.write);
      histDelta(rAcc, o.latency.readLease, p.latency.readLease);
      histDelta(rAcc, o.latency.readQuorum, p.latency.readQuorum);
      n++; dt += d;
    }
    prev[id] = o;
  });
  if (n === 0) return;
  push("w", t, writes); push("r", t, reads);
  push("wp99", t, wAcc.count ? quantile(wAcc, 0.99) * 1000 : null);
  push("wmean", t, wAcc.count ? wAcc.sum / wAcc.count * 1000 : null);
  push("rp99", t, rAcc.count ? quantile(rAcc, 0.99) * 1000 : null);
  push("rmean", t, rAcc.count ? rAcc.sum / rAcc.count * 1000 : null);
  text("now-w", writes.toFixed(0) + "/s"); text("now-r", reads.toFixed(0) + "/s");
  text("now-wp99", wAcc.count ? fmtMs(quantile(wAcc, 0.99)) + " ms" : "–");
  text("now-wmean", wAcc.count ? fmtMs(wAcc.sum / wAcc.count) + " ms" : "–");
  text("now-rp99", rAcc.count ? fmtMs(quantile(rAcc, 0.99)) + " ms" : "–");
  text("now-rmean", rAcc.count ? fmtMs(rAcc.sum / rAcc.count) + " ms" : "–");
}

function draw() {
  var c = color();
  drawChart(el("chart-rate"), [
    { color: c.w, points: series.w }, { color: c.r, dash: true, points: series.r }], "/s");
  drawChart(el("chart-lat"), [
    { color: c.w, points: series.wp99 }, { color: c.w, alpha: 0.45, points: series.wmean },
    { color: c.r, dash: true, points: series.rp99 },
    { color: c.r, dash: true, alpha: 0.45, points: series.rmean }], "ms");
}

function poll() {
  var errors = [];
  getJson("/cluster", 2000).catch(function (e) {
    errors.push("cluster view: " + e.message);
    return getJson("/overview", 2000).then(function (o) {
      return { cluster: o.status.cluster, self: o.status.id,
        members: [{ id: o.status.id, http: location.origin, status: o.status }] };
    });
  }).then(function (view) {
    return Promise.all(view.members.map(function (m) {
      var origin = m.http ? reachable(m.http) : null;
      if (!origin) return null;
      return getJson(origin + "/overview", 900).catch(function (e) {
        errors.push("node " + m.id + ": " + e.message); return null;
      });
    })).then(function (list) {
      var overviews = {};
      list.forEach(function (o, i) { if (o) overviews[view.members[i].id] = o; });
      sample(overviews);
      render(view, overviews, errors);
      draw();
      document.body.setAttribute("data-polls", String(Number(document.body.getAttribute("data-polls") || 0) + 1));
    });
  }).catch(function (e) {
    text("error", "no answer from this node: " + e.message);
  }).finally(function () { setTimeout(poll, POLL_MS); });
}
window.addEventListener("resize", draw);
poll();
</script>
</body>
</html>
`;
