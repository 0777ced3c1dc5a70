// The flow graph: a Cytoscape.js graph of transactions and addresses that
// survives page changes, expanded step by step from the API, with trace taint
// on edges, peel chains collapsed into one node, and pinned, hidden and
// annotated nodes.
import cytoscape from '/vendor/cytoscape.esm.min.mjs';
import { api, btc, short, colourClass } from './api.js';

const COLOURS = { exchange: '#2e7dd7', mixer: '#8e44ad', coinjoin: '#b07cd8', sanctioned: '#d62728', stolen: '#e67e22', peel: '#7f8c8d', unknown: '#b0b7bf' };
const COINJOIN_KINDS = ['wasabi1', 'wasabi2', 'whirlpool', 'joinmarket', 'coinjoin'];

export const state = { trace: null, caseId: null, caseTitle: '', caseNotes: '' };

let cy = null;
export function graph() {
  if (cy) return cy;
  cy = cytoscape({
    headless: true, styleEnabled: true, minZoom: 0.05, maxZoom: 4,
    wheelSensitivity: 0.3, textureOnViewport: true, hideEdgesOnViewport: true, pixelRatio: 1,
    style: [
      { selector: 'node', style: { 'background-color': ele => COLOURS[ele.data('cls')] || COLOURS.unknown, label: 'data(display)', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#33404d', width: 16, height: 16, 'border-width': 1, 'border-color': '#55626f', 'min-zoomed-font-size': 7 } },
      { selector: 'node[kind = "tx"]', style: { shape: 'round-rectangle', width: 12, height: 12 } },
      { selector: 'node[kind = "peel"]', style: { shape: 'hexagon', width: 26, height: 22 } },
      { selector: 'node.pinned', style: { 'border-width': 3, 'border-color': '#111' } },
      { selector: 'node[note]', style: { 'border-style': 'double', 'border-width': 4 } },
      { selector: 'node:selected', style: { 'overlay-color': '#1f6feb', 'overlay-opacity': 0.25, 'overlay-padding': 5 } },
      { selector: '.hidden', style: { display: 'none' } },
      { selector: 'edge', style: { width: 'data(w)', 'line-color': '#9aa5b1', 'target-arrow-color': '#9aa5b1', 'target-arrow-shape': 'triangle', 'arrow-scale': 0.6, 'curve-style': 'haystack', opacity: 0.75 } },
      { selector: 'edge[taint > 0]', style: { 'line-color': '#d62728', 'target-arrow-color': '#d62728', opacity: 0.9 } },
    ],
  });
  return cy;
}

// Edge width from the amount: 1 px to 8 px on a log scale.
function width(sat) { return Math.max(1, Math.min(8, Math.log10(Math.max(sat, 1e4)) - 3)); }

export function addNode(id, d) {
  const g = graph();
  let n = g.getElementById(id);
  if (n.nonempty()) {
    if (d.cls && d.cls !== 'unknown') n.data('cls', d.cls);
    if (d.entity) n.data('entity', d.entity);
    if (d.category) n.data('category', d.category);
    relabel(n);
    return n;
  }
  n = g.add({ group: 'nodes', data: Object.assign({ id, cls: 'unknown' }, d) });
  relabel(n);
  return n;
}

function relabel(n) {
  const d = n.data();
  let s = d.entity || short(d.ref || d.id.replace(/^addr:/, ''), 5);
  if (d.kind === 'peel') s = `peel chain ×${d.hops || '?'}`;
  if (d.note) s += ' ✎';
  n.data('display', s);
}

export function addEdge(src, dst, amount, taint = 0) {
  const g = graph();
  const id = `${src}>${dst}`;
  const e = g.getElementById(id);
  if (e.nonempty()) {
    e.data('amount', Math.max(e.data('amount'), amount));
    if (taint) e.data('taint', taint);
    e.data('w', width(e.data('amount')));
    return e;
  }
  return g.add({ group: 'edges', data: { id, source: src, target: dst, amount, taint, w: width(amount) } });
}

function addrId(a) { return 'addr:' + a; }

// Expand a tx: its input and output addresses and the txs spending its outputs.
export async function expandTx(txid) {
  const tx = await api(`/v1/btc/txs/${encodeURIComponent(txid)}`);
  const ks = (tx.kinds || []).map(k => typeof k === 'string' ? k : k.kind);
  const cj = ks.find(k => COINJOIN_KINDS.includes(k));
  addNode(txid, { kind: 'tx', ref: txid, cls: cj ? 'coinjoin' : 'unknown', category: cj ? 'coinjoin' : '', entity: cj || '', kinds: ks.join(',') });
  const fresh = [];
  for (const i of tx.inputs || []) {
    if (!i.address) continue;
    addNode(addrId(i.address), { kind: 'address', ref: i.address }); fresh.push(i.address);
    addEdge(addrId(i.address), txid, i.value);
  }
  for (const o of tx.outputs || []) {
    if (!o.address) continue;
    addNode(addrId(o.address), { kind: 'address', ref: o.address }); fresh.push(o.address);
    addEdge(txid, addrId(o.address), o.value);
    if (o.spent_by) {
      addNode(o.spent_by.txid, { kind: 'tx', ref: o.spent_by.txid });
      addEdge(addrId(o.address), o.spent_by.txid, o.value);
    }
  }
  await labelAddresses(fresh);
  return tx;
}

// Expand an address: the txs paying it and spending from it (first page).
export async function expandAddress(address) {
  const a = await api(`/v1/btc/addresses/${encodeURIComponent(address)}?limit=50`);
  const id = addrId(address);
  addNode(id, { kind: 'address', ref: address });
  applyLabels(address, a.labels || []);
  for (const t of a.txs || []) {
    addNode(t.txid, { kind: 'tx', ref: t.txid });
    if (t.received > 0) addEdge(t.txid, id, t.received);
    if (t.sent > 0) addEdge(id, t.txid, t.sent);
  }
  return a;
}

function applyLabels(address, labels) {
  if (!labels.length) return;
  const best = labels.slice().sort((x, y) => (y.confidence || 0) - (x.confidence || 0))[0];
  const n = graph().getElementById(addrId(address));
  if (n.empty()) return;
  n.data({ cls: colourClass(best.category), category: best.category, entity: best.label });
  relabel(n);
}

// Fetch labels of up to 60 new addresses, six at a time.
async function labelAddresses(addrs) {
  const todo = [...new Set(addrs)].filter(a => !graph().getElementById(addrId(a)).data('labelled')).slice(0, 60);
  let i = 0;
  async function worker() {
    while (i < todo.length) {
      const a = todo[i++];
      graph().getElementById(addrId(a)).data('labelled', true);
      try { applyLabels(a, (await api(`/v1/labels/${encodeURIComponent(a)}`)).labels || []); } catch (_) { /* unlabelled */ }
    }
  }
  await Promise.all([worker(), worker(), worker(), worker(), worker(), worker()]);
}

// Run a trace and overlay it: its graph's nodes and edges (with taint) join
// the graph. Returns the trace result.
export async function runTrace(params) {
  const q = new URLSearchParams(params);
  const res = await api(`/v1/btc/trace?${q}`);
  mergeTraceGraph(res);
  state.trace = { from: params.from, model: res.model, hops: Number(params.hops) || 0, options: Object.keys(params).filter(k => params[k] === 'true'), endpoints: res.endpoints || [], peel_chains: res.peel_chains || [] };
  return res;
}

export function mergeTraceGraph(res) {
  const g = graph();
  g.batch(() => {
    for (const n of res.graph?.nodes || []) {
      if (n.kind === 'tx') addNode(n.id, { kind: 'tx', ref: n.id, cls: n.label === 'source' ? 'stolen' : undefined });
      else addNode(n.id, { kind: 'address', ref: n.id.replace(/^addr:/, ''), cls: colourClass(n.kind), category: n.kind, entity: (n.label && !n.id.endsWith(n.label)) ? n.label : '' });
    }
    for (const e of res.graph?.edges || []) addEdge(e.from, e.to, e.amount, e.taint);
  });
}

// A cheap layered layout: each node's column is its longest distance from a
// root (a node nothing flows into), rows in order of discovery. O(n+e), fine at
// thousands of nodes. Pinned nodes keep their place.
export function layout() {
  const g = graph();
  const nodes = g.nodes(':visible');
  const depth = new Map();
  const indeg = new Map();
  nodes.forEach(n => indeg.set(n.id(), n.incomers('edge').filter(e => e.source().visible()).length));
  const queue = nodes.filter(n => indeg.get(n.id()) === 0).map(n => n.id());
  queue.forEach(id => depth.set(id, 0));
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi];
    const n = g.getElementById(id);
    n.outgoers('edge').forEach(e => {
      const t = e.target();
      if (!t.visible()) return;
      const tid = t.id();
      depth.set(tid, Math.max(depth.get(tid) || 0, depth.get(id) + 1));
      indeg.set(tid, indeg.get(tid) - 1);
      if (indeg.get(tid) === 0) queue.push(tid);
    });
  }
  const rows = new Map(), place = new Map();
  nodes.forEach(n => {
    if (n.hasClass('pinned')) return;
    const d = depth.has(n.id()) ? depth.get(n.id()) : 0;
    const r = rows.get(d) || 0; rows.set(d, r + 1);
    place.set(n.id(), [d, r]);
  });
  // Spread the columns so the drawing has the container's shape (a deep
  // trace would otherwise be a thin line), rows 30 px apart, centred.
  const cols = Math.max(1, rows.size), tallest = Math.max(1, ...rows.values());
  const box = g.container() ? g.container().getBoundingClientRect() : { width: 1300, height: 800 };
  const aspect = Math.max(0.8, (box.width || 1300) / (box.height || 800));
  const dx = Math.max(24, (tallest * 30 * aspect) / cols);
  const dy = Math.max(30, (cols * dx) / (aspect * tallest)); // a deep, narrow graph gets taller rows
  nodes.forEach(n => {
    const p = place.get(n.id());
    if (!p) return;
    n.position({ x: p[0] * dx, y: (p[1] - (rows.get(p[0]) - 1) / 2) * dy });
  });
  fitView(g);
}

// Fit the graph to its box, but never zoom in past 1.5×: a graph of a few
// nodes would otherwise fill the screen with overlapping labels.
export function fitView(g = graph()) {
  g.fit(undefined, 30);
  if (g.zoom() > 1.5) g.zoom({ level: 1.5, renderedPosition: { x: g.width() / 2, y: g.height() / 2 } });
}

// Collapse the peel chain from first to last (txids) into one node.
export function collapsePeel(first, last, hops) {
  const g = graph();
  const a = g.getElementById(first), b = g.getElementById(last);
  if (a.empty() || b.empty()) return false;
  const inner = a.successors('node').intersection(b.predecessors('node')).union(a).union(b);
  const id = `peel:${first}`;
  if (g.getElementById(id).nonempty() || inner.length < 2) return false;
  const pos = a.position();
  let peeled = 0;
  addNode(id, { kind: 'peel', cls: 'peel', category: 'peel', ref: `${first}…${last}`, hops, first, last });
  g.getElementById(id).position({ x: pos.x, y: pos.y });
  inner.connectedEdges().forEach(e => {
    const s = e.source(), t = e.target();
    const sin = inner.contains(s), tin = inner.contains(t);
    if (sin && !tin) { addEdge(id, t.id(), e.data('amount'), e.data('taint')); peeled += e.data('amount'); }
    if (!sin && tin) addEdge(s.id(), id, e.data('amount'), e.data('taint'));
  });
  g.getElementById(id).data('peeled', peeled);
  g.remove(inner);
  return true;
}

// Peel chains a tx belongs to can be guessed without a trace: from the
// selected tx, follow txs with one input address and two outputs where one
// output is spent by the next such tx.
export function peelFrom(txid) {
  const g = graph();
  let cur = g.getElementById(txid), n = 0, last = txid;
  const seen = new Set();
  while (cur.nonempty() && !seen.has(cur.id())) {
    seen.add(cur.id());
    const outs = cur.outgoers('node');
    if (outs.length !== 2) break;
    const next = outs.outgoers('node').filter(x => x.data('kind') === 'tx' && x.outgoers('node').length === 2);
    if (next.length !== 1) break;
    cur = next[0]; last = cur.id(); n++;
  }
  return n >= 2 ? { first: txid, last, hops: n + 1 } : null;
}

// The graph as a case's graph JSON (positions, notes, pins, hidden).
export function toCaseGraph() {
  const g = graph();
  const r = v => Math.round(v * 10) / 10;
  const opt = (o, k, v) => { if (v) o[k] = v; return o; };
  return {
    nodes: g.nodes().map(n => {
      const o = { id: n.id(), kind: n.data('kind') || 'address', x: r(n.position('x')), y: r(n.position('y')) };
      const ref = n.data('ref');
      if (ref && ref !== n.id() && 'addr:' + ref !== n.id()) o.label = ref;
      opt(o, 'category', n.data('category') || (n.data('cls') !== 'unknown' ? n.data('cls') : ''));
      opt(o, 'entity', n.data('entity')); opt(o, 'note', n.data('note'));
      opt(o, 'pinned', n.hasClass('pinned')); opt(o, 'hidden', n.hasClass('hidden'));
      return o;
    }),
    edges: g.edges().map(e => opt({ source: e.data('source'), target: e.data('target'), amount: e.data('amount') || 0 }, 'taint', e.data('taint') || 0)),
  };
}

export function fromCaseGraph(cg) {
  const g = graph();
  g.elements().remove();
  let placed = false;
  g.batch(() => {
    for (const n of cg.nodes || []) {
      const el = addNode(n.id, { kind: n.kind, ref: n.label || n.id.replace(/^addr:/, ''), category: n.category, cls: colourClass(n.category), entity: n.entity, note: n.note || undefined });
      el.position({ x: n.x || 0, y: n.y || 0 });
      if (n.x || n.y) placed = true;
      if (n.pinned) { el.addClass('pinned'); el.lock(); }
      if (n.hidden) el.addClass('hidden');
      relabel(el);
    }
    for (const e of cg.edges || []) addEdge(e.source, e.target, e.amount, e.taint);
  });
  if (!placed) layout();
}

export function describe(n) {
  const d = n.data();
  return { id: d.id, kind: d.kind, ref: d.ref, category: d.category, entity: d.entity, note: d.note, pinned: n.hasClass('pinned'), amountIn: n.incomers('edge').reduce((s, e) => s + (e.data('amount') || 0), 0), amountOut: n.outgoers('edge').reduce((s, e) => s + (e.data('amount') || 0), 0), peeled: d.peeled };
}

export function setNote(n, note) { n.data('note', note || undefined); relabel(n); }
export function togglePin(n) { if (n.hasClass('pinned')) { n.removeClass('pinned'); n.unlock(); } else { n.addClass('pinned'); n.lock(); } }
export function hide(n) { n.addClass('hidden'); n.unselect(); }
export function showAll() { graph().elements().removeClass('hidden'); }
export function clear() { graph().elements().remove(); state.trace = null; state.caseId = null; state.caseTitle = ''; state.caseNotes = ''; }
export { btc };
