// The dashboard: plain ES modules, no build step. Everything comes from the public read API and
// is redrawn every 2 s (live enough for rounds of seconds). ?task=<id> picks the task to chart.
import { leafOf, processProof } from "/ui/merkle.js"

const $ = (selector) => document.querySelector(selector)
const svgNs = "http://www.w3.org/2000/svg"
const get = async (path) => {
  const response = await fetch(path)
  if (!response.ok) throw new Error(`${path}: ${response.status}`)
  return response.json()
}
const el = (name, attributes = {}, text) => {
  const node = document.createElementNS(svgNs, name)
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v))
  if (text !== undefined) node.textContent = text
  return node
}
const cell = (text) => {
  const td = document.createElement("td")
  td.textContent = text
  return td
}
const fill = (tbody, rows) => tbody.replaceChildren(...rows)
const row = (cells, attributes = {}) => {
  const tr = document.createElement("tr")
  for (const [k, v] of Object.entries(attributes)) tr.setAttribute(k, v)
  tr.append(...cells.map((c) => (c instanceof Node ? c : cell(c))))
  return tr
}
const fmt = (x) => (typeof x === "number" ? x.toFixed(4) : "—")

let selected = new URLSearchParams(location.search).get("task")

/** The objective's metric per round of the selected task, from the model's metric log. */
const drawChart = (task, model) => {
  const svg = $("#chart")
  const metric = task.objective.metric
  $("#task-id").textContent = task.taskId
  $("#task-metric").textContent = metric
  const points = model.metricLog.filter((m) => m.taskId === task.taskId && m.round !== undefined && m.metrics[metric] !== undefined).map((m) => ({ round: m.round, value: m.metrics[metric], version: m.version }))
  const [w, h, pad] = [560, 240, 36]
  const values = [...points.map((p) => p.value), task.objective.target]
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const span = hi - lo || 1
  const maxRound = Math.max(task.maxRounds, ...points.map((p) => p.round), 1)
  const x = (round) => pad + ((round - 1) / Math.max(1, maxRound - 1)) * (w - 2 * pad)
  const y = (v) => h - pad - ((v - lo) / span) * (h - 2 * pad)
  const children = [
    el("line", { class: "axis", x1: pad, y1: h - pad, x2: w - pad, y2: h - pad }),
    el("line", { class: "axis", x1: pad, y1: pad, x2: pad, y2: h - pad }),
    el("text", { x: pad, y: h - 8 }, "round 1"),
    el("text", { x: w - pad - 40, y: h - 8 }, `round ${maxRound}`),
    el("text", { x: 2, y: y(hi) }, hi.toFixed(3)),
    el("text", { x: 2, y: y(lo) }, lo.toFixed(3)),
    el("line", { class: "target", x1: pad, x2: w - pad, y1: y(task.objective.target), y2: y(task.objective.target), "data-target": task.objective.target })
  ]
  if (points.length > 0) children.push(el("polyline", { class: "line", points: points.map((p) => `${x(p.round)},${y(p.value)}`).join(" ") }))
  for (const p of points) {
    const dot = el("circle", { class: "point", cx: x(p.round), cy: y(p.value), r: 4, "data-round": p.round, "data-value": p.value })
    dot.append(el("title", {}, `round ${p.round}: ${model.modelId}-v${p.version}, ${metric} ${p.value}`))
    children.push(dot)
  }
  svg.replaceChildren(...children)
}

/** Versions as boxes (one row per model, by version), derivations and forks as edges. */
const drawLineage = (graph, modelId) => {
  $("#lineage-model").textContent = modelId
  const models = [...new Set(graph.nodes.map((n) => n.modelId))]
  const maxVersion = Math.max(1, ...graph.nodes.map((n) => n.version))
  const svg = $("#lineage")
  const height = Math.max(80, models.length * 60 + 20)
  svg.setAttribute("height", String(height))
  const at = new Map(graph.nodes.map((n) => [n.id, { x: 30 + ((n.version - 1) / Math.max(1, maxVersion - 1)) * 490, y: 30 + models.indexOf(n.modelId) * 60 }]))
  const edges = graph.edges.filter((e) => at.has(e.from) && at.has(e.to)).map((e) => {
    const [a, b] = [at.get(e.from), at.get(e.to)]
    return el("line", { class: `edge ${e.kind}`, x1: a.x, y1: a.y, x2: b.x, y2: b.y, "data-from": e.from, "data-to": e.to })
  })
  const boxes = graph.nodes.map((n) => {
    const p = at.get(n.id)
    const g = el("g", { class: "version-node", "data-id": n.id })
    g.append(el("circle", { class: `version ${n.modelId === modelId ? "" : "fork"}`, cx: p.x, cy: p.y, r: 9 }), el("text", { x: p.x - 14, y: p.y + 22 }, n.id))
    g.append(el("title", {}, `${n.id}${n.taskId ? ` (task ${n.taskId})` : ""} ${n.metrics ? Object.entries(n.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(", ") : ""}`))
    return g
  })
  svg.replaceChildren(...edges, ...boxes)
}

/** Check an anchored event's Merkle proof here, against the root its BatchAnchored recorded from the chain. */
const verify = async (position, anchor) => {
  const verdict = $("#verdict")
  try {
    const p = await get(`/events/${position}/proof`)
    const leaf = leafOf(p.event.globalPosition, p.eventHash)
    const root = processProof(p.proof, leaf)
    const ok = leaf === p.leaf && root === anchor.root
    verdict.className = ok ? "ok" : "bad"
    verdict.textContent = ok
      ? `event ${position} (${p.event.type}) verified in this browser: its leaf folds through ${p.proof.length} siblings to root ${root.slice(0, 12)}…, anchored on chain ${anchor.chainId} at index ${anchor.index} (tx ${anchor.txHash.slice(0, 12)}…)`
      : `event ${position} does NOT verify: computed root ${root}, anchored ${anchor.root}`
    verdict.dataset.verified = String(ok)
  } catch (e) {
    verdict.className = "bad"
    verdict.textContent = `could not verify event ${position}: ${e.message}`
  }
}

const refresh = async () => {
  const [{ items: tasks }, { items: nodes }, { items: balances }, anchorsPage, escrowPage] = await Promise.all([
    get("/tasks?limit=500"),
    get("/nodes?sort=reputation&limit=500"),
    get("/balances?limit=500"),
    get("/events?aggregate=anchor&limit=1000"),
    get("/events?aggregate=escrow&limit=1000")
  ])
  selected ??= tasks.at(-1)?.taskId
  fill($("#tasks tbody"), tasks.map((t) => {
    const tr = row([t.taskId, t.status, t.modelId, `${t.rounds}/${t.maxRounds}`, t.latestMetrics ? `${t.objective.metric} ${fmt(t.latestMetrics[t.objective.metric])}` : "—", t.budgetLeft], { class: `selectable${t.taskId === selected ? " selected" : ""}`, "data-task": t.taskId })
    tr.addEventListener("click", () => {
      selected = t.taskId
      history.replaceState(null, "", `?task=${encodeURIComponent(t.taskId)}`)
      void refresh()
    })
    return tr
  }))
  fill($("#nodes tbody"), nodes.map((n) => row([n.nodeId, n.roles.join(", "), String(n.reputation), `${n.results.verified}/${n.results.submitted}`, `${n.votes.agreeing}/${n.votes.cast}`, n.stake.bonded, n.earned])))
  fill($("#balances tbody"), balances.map((b) => row([b.address, b.earned, b.escrowed, b.refunded, b.bonded, b.slashed, b.net])))
  const anchors = anchorsPage.events.filter((e) => e.type === "BatchAnchored").slice(-8).reverse()
  fill($("#anchors tbody"), anchors.map((e) => {
    const a = e.data
    const button = document.createElement("button")
    button.textContent = "verify this event"
    button.dataset.position = String(a.toPosition)
    button.addEventListener("click", () => void verify(a.toPosition, a))
    const action = document.createElement("td")
    action.append(button)
    return row([String(a.index), `${a.fromPosition}–${a.toPosition}`, `${a.root.slice(0, 14)}…`, String(a.blockNumber), action], { "data-anchor": String(a.index) })
  }))
  // Settlements the bridge posted (one Merkle root each; payees claim with GET /settlements/<name>/claims/<address>).
  const settlements = escrowPage.events.filter((e) => e.type === "SettlementPosted").slice(-8).reverse()
  fill($("#settlements tbody"), settlements.map((e) => {
    const s = e.data
    return row([s.settlement, String(s.claims.length), s.total, s.burned, `${s.root.slice(0, 14)}…`, String(s.blockNumber)], { "data-settlement": s.settlement })
  }))
  const task = tasks.find((t) => t.taskId === selected)
  if (task) {
    const { model } = await get(`/models/${task.modelId}`)
    drawChart(task, model)
    drawLineage(await get(`/models/${task.modelId}/lineage`), task.modelId)
  }
  $("#status").textContent = `live · ${new Date().toLocaleTimeString()} · ${tasks.length} tasks, ${nodes.length} nodes`
  document.body.dataset.ready = "true"
}

const loop = async () => {
  try {
    await refresh()
  } catch (e) {
    $("#status").textContent = `API unreachable: ${e.message}`
  }
  setTimeout(loop, 2000)
}
void loop()
