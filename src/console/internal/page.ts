/** The console's page: one HTML document, no build step, no library: SVG drawn by hand from the JSON endpoints. */
export const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Mailroom console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --ink:#1d2330; --muted:#6b7280; --line:#d8dde6; --cmd:#1f6feb; --evt:#8250df; --ok:#1a7f37; --bad:#cf222e; --wait:#bf8700; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; color:var(--ink); background:#f6f8fa; }
  header { display:flex; gap:16px; align-items:center; padding:10px 18px; background:#fff; border-bottom:1px solid var(--line); }
  header h1 { font-size:17px; margin:0; }
  header .live { color:var(--muted); font-size:12px; }
  header label { margin-left:auto; font-size:12px; color:var(--muted); }
  header input { font:inherit; padding:3px 6px; width:160px; }
  main { display:grid; grid-template-columns: 1fr 1fr; gap:14px; padding:14px 18px; }
  section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:10px 12px; min-width:0; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size:14px; margin:0 0 8px; }
  table { border-collapse:collapse; width:100%; font-size:12.5px; }
  th, td { text-align:left; padding:3px 6px; border-bottom:1px solid #eef1f5; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:260px; }
  th { color:var(--muted); font-weight:600; }
  tr.pick { cursor:pointer; } tr.pick:hover { background:#f1f5ff; } tr.chosen { background:#e7efff; }
  .settled { color:var(--ok); } .waiting { color:var(--wait); } .parked { color:var(--bad); }
  .empty { color:var(--muted); font-style:italic; }
  button { font:inherit; font-size:12px; padding:2px 8px; cursor:pointer; }
  #notice { min-height:1.4em; font-size:12.5px; }
  #notice.bad { color:var(--bad); } #notice.ok { color:var(--ok); }
  svg text { font:12px system-ui, sans-serif; fill:var(--ink); }
  .legend { color:var(--muted); font-size:12px; margin-top:4px; }
</style>
</head>
<body>
<header>
  <h1>Mailroom console</h1><span class="live" id="live">connecting…</span>
  <label>token for actions <input id="token" type="password" autocomplete="off" placeholder="(none)"></label>
</header>
<main>
  <section class="wide"><h2>Context map</h2><svg id="map" width="100%" height="470"></svg>
    <div class="legend"><span style="color:var(--cmd)">━ command</span> (to one context) · <span style="color:var(--evt)">┅ event</span> (published to every subscriber) · atomic: what one commit holds together</div></section>
  <section class="wide"><h2>Hosts</h2><table id="hosts"><thead><tr><th>host</th><th>backlog</th><th>lag</th><th>parked</th><th title="messages due more than 30 s ago and not handled">overdue</th><th title="messages the host scheduled for later, not due yet">timers scheduled</th><th title="scheduled messages due and not delivered yet">timers overdue</th><th>storage</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Backlog (messages not yet handled)</h2><svg id="backlog" width="100%" height="140"></svg></section>
  <section><h2>Lag (oldest waiting message)</h2><svg id="lag" width="100%" height="140"></svg></section>
  <section><h2>Live flows</h2><table id="flows"><thead><tr><th>flow</th><th>first message</th><th>key</th><th>msgs</th><th>status</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Stuck flows</h2><table id="stuck"><thead><tr><th>flow</th><th>first message</th><th>key</th><th>open for</th><th>status</th></tr></thead><tbody></tbody></table></section>
  <section class="wide"><h2>Swimlanes <span id="flowtitle" class="live"></span></h2><svg id="lanes" width="100%" height="60"></svg></section>
  <section class="wide"><h2>Parked messages</h2><div id="notice"></div><table id="parked"><thead><tr><th>id</th><th>host</th><th>where</th><th>type</th><th>key</th><th>attempts</th><th>reason</th><th></th></tr></thead><tbody></tbody></table></section>
</main>
<script>
const $ = (s) => document.querySelector(s)
const NS = "http://www.w3.org/2000/svg"
const el = (name, attrs, text) => { const e = document.createElementNS(NS, name); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e }
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])
const token = $("#token")
token.value = sessionStorage.getItem("mailroom-token") || ""
token.addEventListener("change", () => sessionStorage.setItem("mailroom-token", token.value))
const headers = () => token.value ? { authorization: "Bearer " + token.value } : {}
const api = (path, init) => fetch("/mailroom/api" + path, { ...(init || {}), headers: { ...headers(), ...((init || {}).headers || {}) } })
const age = (ms) => ms < 1000 ? Math.round(ms) + " ms" : ms < 60000 ? Math.round(ms / 1000) + " s" : Math.round(ms / 60000) + " min"
const width = (svg) => svg.getBoundingClientRect().width || 800

function drawMap(map) {
  const svg = $("#map"); svg.innerHTML = ""
  const defs = el("defs")
  for (const [id, color] of [["cmd", "#1f6feb"], ["evt", "#8250df"], ["in", "#555"]]) {
    const m = el("marker", { id: "arrow-" + id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" })
    m.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", fill: color })); defs.appendChild(m)
  }
  svg.appendChild(defs)
  const W = width(svg), H = 470, row = 235, boxW = 260, boxH = 56
  svg.setAttribute("height", H)
  const hosts = map.contexts
  const pos = {}
  hosts.forEach((c, i) => { pos[c.name] = { x: W * (i + 1) / (hosts.length + 1), y: row, w: boxW, h: boxH } })
  pos.outside = { x: W / 2, y: 34, w: 180, h: 40 }
  pos.nobody = { x: W / 2, y: H - 34, w: 180, h: 40 }
  const labels = []
  const label = (x, y, color, kind, types, anchor) => {
    const g = el("g", { "data-types": types.join(",") })
    const lines = [kind + ":", ...types]
    const text = el("text", { x, y: y - (lines.length - 1) * 6.5, "text-anchor": anchor, "font-size": 11 })
    lines.forEach((line, i) => { const t = el("tspan", { x, dy: i === 0 ? 0 : 13, "font-weight": i === 0 ? 700 : 400 }, line); t.style.fill = color; text.appendChild(t) })
    g.appendChild(text); labels.push(g)
  }
  const pairs = {}
  for (const l of map.links) {
    const a = pos[l.from], b = pos[l.to]; if (!a || !b) continue
    const color = l.kind === "command" ? "#1f6feb" : l.kind === "event" ? "#8250df" : "#555"
    const style = { fill: "none", stroke: color, "stroke-width": l.kind === "command" ? 2.5 : 1.6, "stroke-dasharray": l.kind === "event" ? "6 4" : "", "marker-end": "url(#arrow-" + (l.kind === "command" ? "cmd" : l.kind === "event" ? "evt" : "in") + ")" }
    let d
    if (l.from === "outside") {
      const x2 = b.x - (b.x < W / 2 ? 30 : -30) * 0, y1 = a.y + a.h / 2, y2 = b.y - b.h / 2
      d = "M" + a.x + "," + y1 + " L" + x2 + "," + y2
      const side = b.x < a.x ? -1 : 1
      label(a.x + (x2 - a.x) * 0.55 + side * 8, y1 + (y2 - y1) * 0.55, color, "command", l.types, side < 0 ? "end" : "start")
    } else if (l.to === "nobody") {
      const y1 = a.y + a.h / 2, y2 = b.y - b.h / 2
      d = "M" + a.x + "," + y1 + " L" + b.x + "," + y2
      const side = a.x < b.x ? -1 : 1
      label(a.x + (b.x - a.x) * 0.45 + side * 8, y1 + (y2 - y1) * 0.45, color, "event", l.types, side < 0 ? "end" : "start")
    } else {
      const key = [l.from, l.to].sort().join("|"); const n = (pairs[key] = (pairs[key] || 0) + 1)
      const dir = a.x < b.x ? 1 : -1
      const up = l.kind === "command" ? -1 : 1
      const x1 = a.x + dir * a.w / 2, x2 = b.x - dir * b.w / 2, mid = (x1 + x2) / 2
      const cy = row + up * (70 + 30 * (n - 1))
      d = "M" + x1 + "," + (row + up * 10) + " Q" + mid + "," + cy + " " + x2 + "," + (row + up * 10)
      label(mid, row + up * (44 + 30 * (n - 1)) + (up < 0 ? -10 : 10) * 0, color, l.kind, l.types, "middle")
    }
    const path = el("path", { d, ...style }); path.dataset.kind = l.kind; path.style.stroke = color; svg.appendChild(path)
  }
  for (const [name, p] of Object.entries(pos)) {
    const host = hosts.find((c) => c.name === name)
    if (!host && !map.links.some((l) => l.from === name || l.to === name)) continue
    const g = el("g", { "data-context": name })
    g.appendChild(el("rect", { x: p.x - p.w / 2, y: p.y - p.h / 2, width: p.w, height: p.h, rx: host ? 6 : 20, fill: host ? "#fff" : "#f3f4f6", stroke: host ? "#1d2330" : "#9ca3af", "stroke-width": host ? 1.6 : 1 }))
    g.appendChild(el("text", { x: p.x, y: p.y + (host && host.atomicity ? -6 : 4), "text-anchor": "middle", "font-weight": 700 }, host ? name : name === "outside" ? "outside (front doors)" : "no subscriber"))
    if (host && host.atomicity) { const t = el("text", { x: p.x, y: p.y + 12, "text-anchor": "middle", "font-size": 10 }, "atomic: " + (host.atomicity.length > 44 ? host.atomicity.slice(0, 43) + "…" : host.atomicity)); t.style.fill = "#6b7280"; t.appendChild(el("title", {}, "atomic: " + host.atomicity)); g.appendChild(t) }
    svg.appendChild(g)
  }
  for (const g of labels) svg.appendChild(g)
}

function drawChart(svg, samples, pick, unit) {
  svg.innerHTML = ""
  const W = width(svg), H = 140, pad = 28
  if (samples.length === 0) return
  const hosts = [...new Set(samples.flatMap((s) => s.hosts.map((h) => h.host)))]
  const t0 = samples[0].at, t1 = Math.max(samples[samples.length - 1].at, t0 + 1)
  const max = Math.max(1, ...samples.flatMap((s) => s.hosts.map(pick)))
  const colors = ["#1f6feb", "#8250df", "#1a7f37", "#bf8700", "#cf222e"]
  svg.appendChild(el("line", { x1: pad, y1: H - 20, x2: W - 8, y2: H - 20, stroke: "#d8dde6" }))
  svg.appendChild(el("text", { x: 2, y: 14, "font-size": 10, fill: "#6b7280" }, unit(max)))
  svg.appendChild(el("text", { x: pad, y: H - 6, "font-size": 10, fill: "#6b7280" }, age(t1 - t0) + " ago"))
  svg.appendChild(el("text", { x: W - 30, y: H - 6, "font-size": 10, fill: "#6b7280" }, "now"))
  hosts.forEach((host, i) => {
    const points = samples.map((s) => { const h = s.hosts.find((x) => x.host === host); const v = h ? pick(h) : 0
      return (pad + (s.at - t0) / (t1 - t0) * (W - pad - 10)).toFixed(1) + "," + (H - 20 - v / max * (H - 40)).toFixed(1) }).join(" ")
    svg.appendChild(el("polyline", { points, fill: "none", stroke: colors[i % colors.length], "stroke-width": 1.8, "data-host": host }))
    svg.appendChild(el("text", { x: pad + 8 + i * 90, y: 14, "font-size": 11, fill: colors[i % colors.length] }, host))
  })
}

let chosen = null
function flowRows(tbody, flows, columns, empty) {
  tbody.innerHTML = flows.length === 0 ? '<tr><td colspan="5" class="empty">' + empty + "</td></tr>" : ""
  for (const f of flows) {
    const tr = document.createElement("tr"); tr.className = "pick" + (f.correlationId === chosen ? " chosen" : ""); tr.dataset.flow = f.correlationId
    tr.innerHTML = columns(f).map((c) => "<td>" + c + "</td>").join("")
    tr.addEventListener("click", () => { chosen = f.correlationId; showFlow(f.correlationId) })
    tbody.appendChild(tr)
  }
}
const statusCell = (f) => '<span class="' + f.status + '">' + f.status + (f.status === "settled" ? "" : " (" + f.waiting + " waiting, " + f.parked + " parked)") + "</span>"

async function showFlow(id) {
  const response = await api("/flows/" + encodeURIComponent(id))
  if (!response.ok) return
  drawLanes(await response.json())
  for (const tr of document.querySelectorAll("tr.pick")) tr.classList.toggle("chosen", tr.dataset.flow === id)
}

function drawLanes(graph) {
  const svg = $("#lanes"); svg.innerHTML = ""
  $("#flowtitle").textContent = "flow " + graph.correlationId
  svg.dataset.flow = graph.correlationId
  const lanes = []
  const add = (l) => { if (!lanes.includes(l)) lanes.push(l) }
  if (graph.steps.some((s) => s.producer === "outside")) add("outside")
  for (const s of graph.steps) { add(s.producer); for (const d of s.deliveries) add(d.host) }
  const rows = graph.steps.flatMap((s) => s.deliveries.length === 0 ? [{ s, d: null }] : s.deliveries.map((d) => ({ s, d })))
  const W = width(svg), top = 34, rowH = 30, laneW = 130, left = 70
  const H = top + rows.length * rowH + 16; svg.setAttribute("height", H)
  const lx = (l) => left + laneW / 2 + lanes.indexOf(l) * laneW
  lanes.forEach((l) => { svg.appendChild(el("text", { x: lx(l), y: 16, "text-anchor": "middle", "font-weight": 700 }, l)); svg.appendChild(el("line", { x1: lx(l), y1: 24, x2: lx(l), y2: H - 6, stroke: "#d8dde6", "stroke-width": 2 })) })
  rows.forEach(({ s, d }, i) => {
    const y = top + i * rowH + 12, e = s.envelope, g = el("g", { "data-message": e.messageId, "data-type": e.type })
    g.appendChild(el("text", { x: 4, y: y + 4, "font-size": 11, fill: "#6b7280" }, "+" + Math.max(0, e.occurredAt - graph.startedAt) + "ms"))
    const color = s.kind === "event" ? "var(--evt)" : "var(--cmd)"
    let label = e.type + " " + e.messageId
    if (d === null) { g.appendChild(el("circle", { cx: lx(s.producer), cy: y, r: 5, fill: "#fff", stroke: color })); label += " · " + s.kind + ", no subscriber" }
    else {
      const x1 = lx(s.producer), x2 = lx(d.host), fate = d.fate
      const line = el("line", { x1, y1: y, x2: x2 === x1 ? x1 + 1 : x2, y2: y, stroke: color, "stroke-width": 2, "stroke-dasharray": s.kind === "event" ? "5 3" : s.kind === "timer" ? "2 3" : "" }); line.style.stroke = color; g.appendChild(line)
      g.appendChild(el("circle", { cx: x1, cy: y, r: 4, fill: color }))
      const endColor = fate === "handled" ? "var(--ok)" : fate.startsWith("parked") ? "var(--bad)" : "var(--wait)"
      const end = fate.startsWith("parked") || fate === "cancelled" ? el("text", { x: x2, y: y + 5, "text-anchor": "middle", "font-size": 16, "font-weight": 700 }, fate === "cancelled" ? "⊘" : "✖") : el("rect", { x: x2 - 5, y: y - 5, width: 10, height: 10, fill: fate === "handled" ? "var(--ok)" : "#fff", stroke: endColor })
      end.style.fill = fate.startsWith("parked") ? "var(--bad)" : fate === "cancelled" ? "#6b7280" : (fate === "handled" ? "var(--ok)" : "#fff"); g.appendChild(end)
      g.dataset.fate = fate
      label += (s.kind === "timer" ? " · timer" : "") + " → " + d.host + ": " + (fate === "handled" ? "handled in " + d.waitMillis + " ms" : fate) + (fate === "scheduled" && s.dueAt != null ? ", due " + new Date(s.dueAt).toISOString() : "") + (d.attempts > 0 ? " after " + d.attempts + " failed attempt" + (d.attempts === 1 ? "" : "s") : "") + (d.lastError && fate !== "handled" ? ": " + d.lastError.split("\\n")[0].slice(0, 80) : "")
    }
    g.appendChild(el("text", { x: left + lanes.length * laneW + 8, y: y + 4 }, label))
    svg.appendChild(g)
  })
}

function drawHosts(status) {
  const tbody = $("#hosts tbody"); tbody.innerHTML = ""
  for (const h of status) {
    const tr = document.createElement("tr"); tr.dataset.host = h.host
    tr.dataset.timersScheduled = h.timersScheduled; tr.dataset.timersOverdue = h.timersOverdue
    const storage = h.unreachable ? '<span class="parked">unreachable: ' + esc(h.unreachable) + "</span>" : esc(h.location)
    tr.innerHTML = [h.host, h.backlog, age(h.lagMillis), h.parked, h.overdue, h.timersScheduled, h.timersOverdue].map((c) => "<td>" + esc(c) + "</td>").join("") + "<td>" + storage + "</td>"
    tbody.appendChild(tr)
  }
}

function drawParked(parked) {
  const tbody = $("#parked tbody")
  tbody.innerHTML = parked.length === 0 ? '<tr><td colspan="8" class="empty">nothing is parked</td></tr>' : ""
  for (const p of parked) {
    const tr = document.createElement("tr"); tr.dataset.id = p.id
    tr.innerHTML = [p.id, p.host, p.where, p.type, p.key, p.attempts, esc(p.reason)].map((c) => "<td title=\\"" + esc(c) + "\\">" + esc(c) + "</td>").join("") + '<td><button class="redrive" data-id="' + esc(p.id) + '">redrive</button></td>'
    tbody.appendChild(tr)
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.redrive"); if (!button) return
  const notice = $("#notice"), id = button.dataset.id
  const response = await api("/parked/" + encodeURIComponent(id) + "/redrive", { method: "POST" })
  notice.className = response.ok ? "ok" : "bad"
  notice.textContent = response.ok ? "redriven " + id + ": the relay delivers it again"
    : response.status === 401 ? "refused (401): redrive needs the console token; enter it above" : "redrive " + id + " failed: " + response.status
})

let snapshotAt = 0
function onSnapshot(data) {
  snapshotAt = data.at
  $("#live").textContent = "live · " + data.status.map((h) => h.host + ": backlog " + h.backlog + ", parked " + h.parked + (h.unreachable ? " (unreachable)" : "")).join(" · ")
  drawHosts(data.status)
  drawChart($("#backlog"), data.samples, (h) => h.backlog, (v) => String(v))
  drawChart($("#lag"), data.samples, (h) => h.lagMillis, (v) => age(v))
  flowRows($("#flows tbody"), data.flows, (f) => [f.correlationId, f.firstType, f.key, f.messages, statusCell(f)], "no flow yet")
  const stuck = data.flows.filter((f) => f.status !== "settled")
  flowRows($("#stuck tbody"), stuck, (f) => [f.correlationId, f.firstType, f.key, f.openSince === null ? "" : age(data.at - f.openSince), statusCell(f)], "nothing is stuck")
  drawParked(data.parked)
  const follow = chosen || (data.flows[0] && data.flows[0].correlationId)
  if (follow) showFlow(follow)
}

async function start() {
  const map = await api("/map")
  if (map.ok) drawMap(await map.json())
  else $("#live").textContent = map.status === 401 ? "reads need the token: enter it above and reload" : "map unavailable (" + map.status + ")"
  const source = new EventSource("/mailroom/events" + (token.value ? "?token=" + encodeURIComponent(token.value) : ""))
  source.onmessage = (message) => onSnapshot(JSON.parse(message.data))
  source.onerror = () => { $("#live").textContent = "disconnected: retrying…" }
}
start()
</script>
</body>
</html>
`
