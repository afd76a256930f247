/// The live dashboard served at `/`: one self-contained page (inline style and script, no external asset, no data
/// of its own). The operator types the control token once; the script keeps it in `sessionStorage` (gone when
/// the tab closes) and sends it as a bearer token with every request. It polls `/status` each second and shows
/// the state (running, paused, kill switch), books live or stale, stage latencies, venues, positions with PnL and
/// drawdown per strategy and pair (with a PnL line per strategy drawn as SVG), open orders, vetoes by reason,
/// alerts and the kill report. Pause and resume are buttons; the kill button is large, red, and asks for
/// confirmation before it posts `/kill`. Every figure is written as text (`textContent`), never as markup.
public enum Dashboard {
    public static let page = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gantry control</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
header { display: flex; align-items: center; gap: 16px; padding: 12px 20px; background: #1d2330; color: #fff; }
header h1 { font-size: 18px; margin: 0; }
#state { padding: 3px 10px; border-radius: 4px; background: #2e7d32; font-weight: 600; }
#state.paused { background: #b26a00; } #state.killed { background: #b71c1c; }
#conn { opacity: .8; } .spacer { flex: 1; }
button { font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid #8892a6; background: #fff; cursor: pointer; }
#kill { font-size: 22px; font-weight: 700; padding: 14px 34px; background: #c62828; color: #fff; border: 3px solid #7f0000; border-radius: 8px; }
#kill:disabled { background: #777; border-color: #444; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; padding: 14px 20px; }
section { background: #fff; border-radius: 6px; padding: 10px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.12); }
section h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e3e6ec; font-variant-numeric: tabular-nums; }
td.num, th.num { text-align: right; } .stale, .bad { color: #b71c1c; font-weight: 600; } .live, .good { color: #2e7d32; }
#login { position: fixed; inset: 0; background: rgba(29,35,48,.85); display: flex; align-items: center; justify-content: center; }
#login form { background: #fff; padding: 24px; border-radius: 8px; display: flex; flex-direction: column; gap: 10px; min-width: 320px; }
#login-error { color: #b71c1c; min-height: 1em; } pre { white-space: pre-wrap; margin: 0; font-size: 12px; }
svg { width: 100%; height: 90px; background: #fafbfc; }
</style>
</head>
<body>
<div id="login"><form id="login-form"><strong>Gantry control</strong><label for="token">Control token (the [control] token_file)</label>
<input id="token" type="password" autocomplete="off" required><button id="connect" type="submit">Connect</button><span id="login-error"></span></form></div>
<header><h1>Gantry</h1><span id="state">…</span><span id="conn">not connected</span><span id="clock"></span><span class="spacer"></span>
<button id="pause" type="button">Pause</button><button id="resume" type="button">Resume</button><button id="kill" type="button">KILL</button></header>
<main>
<section><h2>Books</h2><table id="books"></table></section>
<section><h2>Stage latencies</h2><table id="latency"></table></section>
<section><h2>Positions, PnL and drawdown</h2><table id="positions"></table><svg id="pnl-chart" viewBox="0 0 400 90" preserveAspectRatio="none" data-chart="pnl"></svg></section>
<section><h2>Open orders</h2><table id="orders"></table></section>
<section><h2>Venues</h2><table id="venues"></table></section>
<section><h2>Vetoes by reason</h2><table id="vetoes"></table></section>
<section><h2>Alerts</h2><table id="alerts"></table></section>
<section><h2>Kill switch</h2><div id="kill-state" data-state="armed">armed</div><pre id="kill-report"></pre><pre id="answer"></pre></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("gantry-token");
let updates = 0;
const series = {};
const colors = ["#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f"];

function showLogin(message) { $("login").style.display = "flex"; $("login-error").textContent = message || ""; $("token").focus(); }
$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  $("token").value = "";
  sessionStorage.setItem("gantry-token", token);
  $("login").style.display = "none";
  refresh();
});

async function call(method, path) {
  const r = await fetch(path, { method, cache: "no-store", headers: { Authorization: "Bearer " + token } });
  if (r.status === 401) {
    sessionStorage.removeItem("gantry-token");
    token = null;
    showLogin("The token was refused.");
    throw new Error("unauthorized");
  }
  return r;
}

function table(id, head, rows, classes) {
  const t = $(id);
  t.replaceChildren();
  const tr = document.createElement("tr");
  head.forEach((h, k) => { const th = document.createElement("th"); th.textContent = h; if (k > 0 && classes && classes[k] === "num") th.className = "num"; tr.appendChild(th); });
  t.appendChild(tr);
  if (rows.length === 0) { const r = document.createElement("tr"); const td = document.createElement("td"); td.colSpan = head.length; td.textContent = "none"; r.appendChild(td); t.appendChild(r); }
  rows.forEach((row) => {
    const r = document.createElement("tr");
    row.forEach((cell, k) => {
      const td = document.createElement("td");
      td.textContent = cell === null || cell === undefined ? "–" : String(cell);
      if (classes && classes[k]) td.className = classes[k] === "state" ? String(cell) : classes[k];
      r.appendChild(td);
    });
    t.appendChild(r);
  });
}

function us(v) { return v === null || v === undefined ? "–" : v >= 1000 ? (v / 1000).toFixed(1) + " ms" : v + " µs"; }

function chart(strategies) {
  const svg = $("pnl-chart");
  svg.replaceChildren();
  let lo = 0, hi = 0, n = 0;
  strategies.forEach((s) => {
    const h = series[s.name] = (series[s.name] || []).concat([Number(s.pnl)]).slice(-120);
    h.forEach((v) => { lo = Math.min(lo, v); hi = Math.max(hi, v); });
    n = Math.max(n, h.length);
  });
  const span = hi - lo || 1;
  strategies.forEach((s, k) => {
    const h = series[s.name];
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", colors[k % colors.length]);
    line.setAttribute("stroke-width", "2");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    line.setAttribute("points", h.map((v, i) => (n > 1 ? i * 400 / (n - 1) : 0) + "," + (85 - (v - lo) * 80 / span)).join(" "));
    svg.appendChild(line);
  });
}

function render(s) {
  const st = $("state");
  const killed = s.kill.state !== "armed";
  st.textContent = killed ? "KILL " + s.kill.state.toUpperCase() : s.paused ? "PAUSED" : "TRADING";
  st.className = killed ? "killed" : s.paused ? "paused" : "";
  $("clock").textContent = "t=" + (s.time_ms / 1000).toFixed(0) + " s";
  table("books", ["venue", "instrument", "state", "bid", "ask", "age"], s.books.map((b) => [b.venue, b.instrument, b.state, b.bid, b.ask, b.age_ms === null ? null : b.age_ms + " ms"]), [null, null, "state", "num", "num", "num"]);
  table("latency", ["stage", "count", "p50 ≤", "p99 ≤"], s.latency.map((l) => [l.stage, l.count, us(l.p50_us), us(l.p99_us)]), [null, "num", "num", "num"]);
  const rows = [];
  s.strategies.forEach((st) => st.pairs.forEach((p) => rows.push([st.name, p.pair, p.position, p.pnl, p.drawdown])));
  table("positions", ["strategy", "pair", "position", "PnL", "drawdown"], rows, [null, null, "num", "num", "num"]);
  chart(s.strategies);
  table("orders", ["order", "venue", "instrument", "side", "price", "quantity", "filled", "status"], s.open_orders.map((o) => [o.client_order_id, o.venue, o.instrument, o.side, o.price, o.quantity, o.filled, o.status]));
  table("venues", ["venue", "messages", "resyncs", "reconnects", "order entry", "round trip"], s.venues.map((v) => [v.name, v.messages, v.resyncs, v.reconnects, v.order_entry, v.round_trip_ms === null ? null : v.round_trip_ms + " ms"]), [null, "num", "num", "num", null, "num"]);
  table("vetoes", ["reason", "count"], Object.entries(s.vetoes), [null, "num"]);
  table("alerts", ["level", "alert"], s.alerts.map((a) => [a.level, a.text]), ["bad", null]);
  const ks = $("kill-state");
  ks.dataset.state = s.kill.state;
  ks.textContent = s.kill.state + (s.kill.fired_by ? " (" + s.kill.fired_by + ")" : "");
  ks.className = killed ? "bad" : "good";
  $("kill-report").textContent = s.kill.lines.join("\n");
  $("kill").disabled = killed;
  updates += 1;
  document.body.dataset.updates = String(updates);
}

async function refresh() {
  if (!token) return;
  try {
    const r = await call("GET", "/status");
    if (!r.ok) { $("conn").textContent = "status " + r.status; return; }
    render(await r.json());
    $("conn").textContent = "live";
  } catch (e) {
    if (token) $("conn").textContent = "no answer";
  }
}

async function command(path) {
  const r = await call("POST", path);
  $("answer").textContent = await r.text();
  refresh();
}
$("pause").addEventListener("click", () => command("/pause").catch(() => {}));
$("resume").addEventListener("click", () => command("/resume").catch(() => {}));
$("kill").addEventListener("click", () => {
  if (!confirm("Fire the kill switch? New intents stop, every open order is cancelled and every position is flattened at every venue.")) return;
  command("/kill").catch(() => {});
});

if (token) { $("login").style.display = "none"; refresh(); } else { showLogin(""); }
setInterval(refresh, 1000);
</script>
</body>
</html>
"""#
}
