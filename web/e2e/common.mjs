// What the browser runners share, whatever drives the browser: the API client
// the checks compare against, the UI's BTC formatting, and the 2,000-node
// layout probe (a function evaluated in the page).
export const BASE = process.env.CHAINTRACE_URL || 'http://127.0.0.1:8080';

export async function api(p, opts) {
  const r = await fetch(BASE + p, opts);
  if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
  return r.json();
}

// Satoshis as the UI shows them: BTC with 8 decimals and thousands separators.
export const btc = sat => { const w = Math.floor(sat / 1e8), f = String(sat % 1e8).padStart(8, '0'); return w.toLocaleString('en-US') + '.' + f; };

// The API's own haircut trace of the graph page's defaults, and its exchange
// endpoints summed per entity (what the endpoints table must show).
export async function directTrace(from) {
  return api(`/v1/btc/trace?from=${encodeURIComponent(from)}&model=haircut&hops=50&direction=forward&through_coinjoins=true&through_mixers=true&follow_peels=false`);
}
export function exchangeTotals(trace) {
  const want = new Map();
  for (const e of trace.endpoints) if (e.category === 'exchange') want.set(e.entity, (want.get(e.entity) || 0) + e.amount);
  return want;
}

// Check the endpoints table's rows ({entity, category, sat, shown}, read from
// the page) against the API's trace: every exchange with its amount, as shown.
export function checkEndpoints(check, rows, trace) {
  const want = exchangeTotals(trace);
  check(want.size > 0, `the API's trace reaches exchanges (${[...want.keys()].join(', ')})`);
  for (const [entity, sat] of want) {
    const r = rows.find(x => x.category === 'exchange' && x.entity === entity);
    check(r && r.sat === sat && r.shown === btc(sat), `endpoints table: ${entity} ${btc(sat)} BTC (shown ${r ? r.shown : 'missing'})`);
  }
}

// Run in the page: the endpoints table's rows.
export function endpointRows() {
  return [...document.querySelectorAll('#endpoints tbody tr')].map(tr => ({ entity: tr.dataset.entity, category: tr.dataset.category, sat: Number(tr.dataset.sat), shown: tr.children[2].textContent }));
}

// Run in the page: grow the graph to 2,000 nodes, time the layout, then remove
// the synthetic nodes again. Returns { n, ms }.
export function layout2000() {
  const g = window.__ct_graph();
  const ids = g.nodes().map(n => n.id());
  const add = [];
  for (let i = g.nodes().length; i < 2000; i++) {
    add.push({ group: 'nodes', data: { id: 'synthetic' + i, kind: 'address', cls: 'unknown', display: '' } });
    add.push({ group: 'edges', data: { id: 'synthetic-e' + i, source: ids[i % ids.length], target: 'synthetic' + i, amount: 1e6, taint: 0, w: 1 } });
  }
  g.add(add);
  const t0 = performance.now();
  window.__ct_layout();
  const t1 = performance.now();
  const n = g.nodes().length;
  g.remove('[id ^= "synthetic"]');
  window.__ct_layout();
  return { n, ms: Math.round(t1 - t0) };
}
