// chaintrace's investigation UI: a small router over the pages (search,
// address/tx/block/cluster, flow graph, screening, alerts, cases).
import { api, apiKey, setApiKey, btc, esc, short, colourClass } from './api.js';
import * as G from './graph.js';

const main = document.getElementById('main');
const msgBox = document.getElementById('msg');

export function message(text, ok = false) {
  if (!text) { msgBox.hidden = true; return; }
  msgBox.textContent = text; msgBox.className = ok ? 'ok' : ''; msgBox.hidden = false;
}

function go(path) { history.pushState(null, '', path); route(); }
window.addEventListener('popstate', route);
document.addEventListener('click', e => {
  const a = e.target.closest('a[data-link], a[href^="/"]');
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (href.startsWith('/v1/')) return;
  e.preventDefault(); go(href);
});
document.getElementById('search').addEventListener('submit', e => {
  e.preventDefault();
  const q = document.getElementById('q').value.trim();
  if (q) go('/search?q=' + encodeURIComponent(q));
});
const keyInput = document.getElementById('apikey');
keyInput.value = apiKey();
document.getElementById('keyform').addEventListener('submit', e => {
  e.preventDefault(); setApiKey(keyInput.value.trim());
  message(keyInput.value.trim() ? 'API key set for this session.' : 'API key cleared.', true);
  e.target.closest('details').open = false; route();
});

function page(html) { main.innerHTML = html; }
function loading(what) { page(`<p class="loading" role="status">Loading ${esc(what)}…</p>`); }
function fail(e) { message(e.message || String(e)); }

const routes = [
  [/^\/$/, home],
  [/^\/search$/, search],
  [/^\/address\/([^/]+)$/, addressPage],
  [/^\/tx\/([0-9a-fA-F]{64})$/, txPage],
  [/^\/block\/([^/]+)$/, blockPage],
  [/^\/cluster\/(\d+)$/, clusterPage],
  [/^\/graph$/, graphPage],
  [/^\/screen$/, screenPage],
  [/^\/alerts$/, alertsPage],
  [/^\/alerts\/([^/]+)$/, alertPage],
  [/^\/cases$/, casesPage],
  [/^\/cases\/(\d+)$/, openCase],
];

async function route() {
  message('');
  const path = location.pathname;
  document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', path.startsWith(a.getAttribute('href'))));
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (m) {
      try { await fn(...m.slice(1).map(decodeURIComponent)); } catch (e) { fail(e); if (main.querySelector('.loading')) page('<p class="empty">Nothing to show.</p>'); }
      return;
    }
  }
  page('<h1>Not found</h1><p>No page here. Try the search box.</p>');
}

// ---------- home and search ----------

async function home() {
  page(`<h1>Follow the money</h1>
  <p>Search an address, a transaction id, a block (height or hash), a cluster id, a label (an exchange, a mixer…) or a name to screen.
  Open the <a href="/graph">flow graph</a> to expand transactions and run a trace, review <a href="/alerts">KYT alerts</a>,
  or reopen a <a href="/cases">case</a>.</p><div id="stats" class="loading">Loading the chain index…</div>`);
  try {
    const s = await api('/v1/stats');
    document.getElementById('stats').outerHTML = `<div class="grid2">${kv('Blocks', s.blocks)}${kv('Transactions', s.txs)}${kv('Addresses', s.addresses)}${kv('Tip', s.tip ? s.tip.height : 'empty')}</div>`;
  } catch (e) { document.getElementById('stats').outerHTML = `<p class="empty">${esc(e.message)}</p>`; }
}

function kv(k, v) { return `<div class="kv"><b>${esc(k)}</b>${typeof v === 'number' ? v.toLocaleString('en-US') : esc(v)}</div>`; }

// Classify the query and ask every route that could answer it, in parallel.
async function search() {
  const q = new URLSearchParams(location.search).get('q') || '';
  document.getElementById('q').value = q;
  loading(`results for “${q}”`);
  const tries = [];
  const hex64 = /^[0-9a-fA-F]{64}$/.test(q), digits = /^\d+$/.test(q);
  const addrLike = /^(bc1|tb1|bcrt1)[0-9a-z]{8,90}$/i.test(q) || /^[123mn][1-9A-HJ-NP-Za-km-z]{25,34}$/.test(q);
  if (hex64) {
    tries.push(['Transactions', api(`/v1/btc/txs/${q}`).then(t => [`<a href="/tx/${t.txid}"><code>${t.txid}</code></a> — block ${t.block_height}, ${t.outputs.length} outputs${kinds(t.kinds)}`])]);
    tries.push(['Blocks', api(`/v1/btc/blocks/${q}`).then(b => [`<a href="/block/${b.height}">Block ${b.height}</a> <code>${esc(b.hash)}</code>`])]);
  }
  if (digits) {
    tries.push(['Blocks', api(`/v1/btc/blocks/${q}`).then(b => [`<a href="/block/${b.height}">Block ${b.height}</a> <code>${esc(b.hash)}</code>`])]);
    tries.push(['Clusters', api(`/v1/btc/clusters/${q}`).then(c => [`<a href="/cluster/${c.cluster_id}">Cluster ${c.cluster_id}</a> — ${c.size} addresses${c.labels?.length ? ', ' + esc(c.labels[0].label) : ''}`])]);
  }
  if (addrLike) {
    tries.push(['Addresses', api(`/v1/btc/addresses/${encodeURIComponent(q)}?limit=1`).then(a => [`<a href="/address/${esc(a.address)}"><code>${esc(a.address)}</code></a> — balance ${btc(a.balance)} BTC, ${a.tx_count} txs${labelChips(a.labels)}`])]);
    tries.push(['Sanctions', api(`/v1/screen/address/${encodeURIComponent(q)}`).then(r => r.sanctioned ? [`<b>Sanctioned</b> ${addrHits(r.matches)}`] : [])]);
  }
  let labelMore = null; // the next page of the label search, if any
  if (!hex64 && !addrLike || q.includes(' ')) {
    tries.push(['Labels', searchLabels(q).then(r => { labelMore = r.next ? r : null; return r.labels.map(labelHit); })]);
  }
  if (!hex64 && !digits && !addrLike || q.includes(' ')) {
    tries.push(['Sanctioned names', api(`/v1/screen/name?q=${encodeURIComponent(q)}`).then(r => (r.matches || []).map(nameMatch))]);
  }
  const results = await Promise.allSettled(tries.map(t => t[1]));
  const groups = new Map(); const errors = [];
  results.forEach((r, i) => {
    const kind = tries[i][0];
    if (r.status === 'fulfilled') { if (r.value.length) groups.set(kind, (groups.get(kind) || []).concat(r.value)); }
    else if (r.reason.status !== 404) errors.push(`${kind}: ${r.reason.message}`);
  });
  let html = `<h1>Results for “${esc(q)}”</h1>`;
  if (!groups.size) html += `<p class="empty">No address, transaction, block, cluster, label or sanctioned name matches.</p>`;
  for (const [kind, items] of groups) html += `<section class="group" data-kind="${esc(kind)}"><h2>${esc(kind)} (<span class="n">${items.length}${kind === 'Labels' && labelMore ? '+' : ''}</span>)</h2><ul>${items.map(i => `<li>${i}</li>`).join('')}</ul></section>`;
  if (errors.length) html += `<p class="muted">Not searched: ${errors.map(esc).join('; ')}</p>`;
  page(html);
  if (labelMore) moreLabels(q, labelMore);
  // one unambiguous hit: go straight to it
  const all = [...groups.values()].flat();
  if (all.length === 1 && !groups.has('Sanctioned names')) { const a = main.querySelector('section a'); if (a) go(a.getAttribute('href')); }
}

// Labels whose text starts with q (an index range on the server); when none
// does, labels containing it.
async function searchLabels(q, after = '', match = '') {
  const page = m => api(`/v1/labels/search?q=${encodeURIComponent(q)}&limit=100${m ? '&match=' + m : ''}${after ? '&after=' + encodeURIComponent(after) : ''}`);
  if (match) return page(match);
  const r = await page('prefix');
  return r.labels.length ? r : page('contains');
}

// A "More labels" button under the Labels group, fetching the next pages.
function moreLabels(q, r) {
  const sec = main.querySelector('section[data-kind="Labels"]');
  if (!sec) return;
  const btn = document.createElement('button');
  btn.className = 'sec'; btn.id = 'labels-more'; btn.textContent = 'More labels';
  sec.appendChild(btn);
  let cur = r;
  btn.onclick = async () => {
    btn.disabled = true;
    try {
      cur = await searchLabels(q, cur.next, cur.match);
      sec.querySelector('ul').insertAdjacentHTML('beforeend', cur.labels.map(l => `<li>${labelHit(l)}</li>`).join(''));
      sec.querySelector('h2 .n').textContent = sec.querySelectorAll('li').length + (cur.next ? '+' : '');
      if (cur.next) btn.disabled = false; else btn.remove();
    } catch (e) { fail(e); btn.disabled = false; }
  };
}

// One labelled address of a label search.
function labelHit(l) {
  const prov = `${l.source || ''}${l.dataset && l.dataset !== l.source ? ` (${l.dataset}${l.line ? ':' + l.line : ''})` : ''}`;
  return `<a href="/address/${encodeURIComponent(l.address)}"><code>${esc(l.address)}</code></a> <span class="chip ${colourClass(l.category)}">${esc(l.category)}: ${esc(l.label)}</span> <span class="muted">${esc(prov)}${l.confidence !== undefined ? `, confidence ${l.confidence}` : ''}</span>`;
}

function nameMatch(m) {
  const ex = m.explanation || {};
  const summary = typeof ex === 'string' ? ex : ex.summary;
  const how = (ex.matches || []).map(x => `${x.query}→${x.name} (${x.how}${x.similarity < 1 ? ' ' + x.similarity.toFixed(2) : ''})`).join(', ');
  const addrs = (m.addresses || []).map(a => `<code>${esc(a.address || a)}</code>`).join(', ');
  return `<b>${esc(m.name)}</b> <span class="chip sanctioned">${esc(m.list || 'list')}</span> <span class="muted">${esc(m.entity_id || '')} ${esc(m.type || '')}</span> — score <b>${Number(m.score || 0).toFixed(2)}</b>${m.matched_name && m.matched_name !== m.name ? `, matched the alias “${esc(m.matched_name)}”` : ''}
  ${summary ? `<div class="muted">${esc(summary)}${how ? `; ${esc(how)}` : ''}${(ex.penalties || []).length ? `; ${esc(ex.penalties.join('; '))}` : ''}</div>` : ''}
  ${(m.programs || []).length ? `<div class="muted">Programs: ${esc(m.programs.join(', '))}</div>` : ''}${addrs ? `<div>Addresses: ${addrs}</div>` : ''}`;
}

// Kinds are classify results {kind, confidence, rule, evidence} (or bare names).
function kindName(k) { return typeof k === 'string' ? k : k.kind; }
function kinds(ks) { return ks && ks.length ? ' ' + ks.map(k => `<span class="chip ${COINJOIN.includes(kindName(k)) ? 'coinjoin' : ''}">${esc(kindName(k))}</span>`).join('') : ''; }
function kindsTable(ks) {
  return `<table id="kinds"><thead><tr><th>Kind</th><th class="n">Confidence</th><th>Rule</th><th>Evidence</th></tr></thead><tbody>${ks.map(k => `<tr><td>${kinds([k])}</td><td class="n">${k.confidence ?? ''}</td><td>${esc(k.rule || '')}</td><td>${esc(k.evidence || '')}</td></tr>`).join('')}</tbody></table>`;
}
const COINJOIN = ['wasabi1', 'wasabi2', 'whirlpool', 'joinmarket', 'coinjoin'];
function labelChips(ls) { return (ls || []).map(l => ` <span class="chip ${colourClass(l.category)}">${esc(l.category)}: ${esc(l.label)}</span>`).join(''); }

function addrHits(ms) {
  return (ms || []).map(m => `<div><span class="chip sanctioned">${esc(m.list || '')}</span> <b>${esc(m.name || m.entity_name || '')}</b> <span class="muted">${esc(m.entity_id || '')} ${esc((m.programs || []).join(', '))}</span></div>`).join('');
}

function labelsTable(ls) {
  if (!ls || !ls.length) return '<p class="empty">No labels.</p>';
  return `<table><thead><tr><th>Label</th><th>Category</th><th>Source</th><th class="n">Confidence</th></tr></thead><tbody>${ls.map(l => `<tr><td>${esc(l.label)}</td><td><span class="chip ${colourClass(l.category)}">${esc(l.category)}</span></td><td>${esc(l.source || '')}${l.dataset ? ` <span class="muted">(${esc(l.dataset)}${l.line ? ':' + l.line : ''})</span>` : ''}</td><td class="n">${l.confidence ?? ''}</td></tr>`).join('')}</tbody></table>`;
}

// ---------- entity pages ----------

async function addressPage(a) {
  loading('the address');
  const [d, scr] = await Promise.all([api(`/v1/btc/addresses/${encodeURIComponent(a)}?limit=100`), api(`/v1/screen/address/${encodeURIComponent(a)}`).catch(e => ({ error: e.message }))]);
  const hits = scr.error ? null : (scr.matches || []);
  page(`<h1>Address <code>${esc(d.address)}</code></h1>
  <div class="row"><button id="tograph">Open in graph</button><button class="sec" id="trace">Trace from here</button></div>
  <div class="grid2">${kv('Balance (BTC)', btc(d.balance))}${kv('Received (BTC)', btc(d.received))}${kv('Sent (BTC)', btc(d.sent))}${kv('Transactions', d.tx_count)}${kv('Type', d.type)}${kv('Seen in blocks', `${d.first_seen_height}–${d.last_seen_height}`)}</div>
  <h2>Labels</h2>${labelsTable(d.labels)}
  <h2>Sanctions</h2>${hits === null ? `<p class="muted">${esc(scr.error)}</p>` : hits.length ? addrHits(hits) : '<p class="empty">No sanctions list in force names this address.</p>'}
  <h2>Cluster</h2><div id="cluster">${d.cluster_id ? `<a href="/cluster/${d.cluster_id}">Cluster ${d.cluster_id}</a>` : '<p class="empty">Not clustered.</p>'}</div>
  <h2>Transactions</h2>${d.txs.length ? `<table><thead><tr><th>Tx</th><th class="n">Block</th><th class="n">Received</th><th class="n">Sent</th></tr></thead><tbody>${d.txs.map(t => `<tr><td><a href="/tx/${t.txid}"><code>${t.txid}</code></a></td><td class="n">${t.block_height}</td><td class="n">${btc(t.received)}</td><td class="n">${btc(t.sent)}</td></tr>`).join('')}</tbody></table>` : '<p class="empty">No transactions.</p>'}`);
  document.getElementById('tograph').onclick = async () => { await G.expandAddress(a); go('/graph?focus=' + encodeURIComponent('addr:' + a)); };
  document.getElementById('trace').onclick = async () => { await G.expandAddress(a); go('/graph?from=' + encodeURIComponent(a)); };
}

async function txPage(txid) {
  loading('the transaction');
  const t = await api(`/v1/btc/txs/${txid}`);
  const io = (rows, inputs) => `<table><thead><tr><th>#</th><th>Address</th><th class="n">BTC</th><th>${inputs ? 'From' : 'Spent by'}</th></tr></thead><tbody>${rows.map((r, i) => `<tr><td>${inputs ? i : r.n}</td><td>${r.address ? `<a href="/address/${esc(r.address)}"><code>${esc(r.address)}</code></a>` : '<span class="muted">(no address)</span>'}</td><td class="n">${btc(r.value)}</td><td>${inputs ? (r.prev_txid ? `<a href="/tx/${r.prev_txid}">${short(r.prev_txid)}:${r.prev_vout}</a>` : 'coinbase') : (r.spent_by ? `<a href="/tx/${r.spent_by.txid}">${short(r.spent_by.txid)}</a>` : '<span class="muted">unspent</span>')}</td></tr>`).join('')}</tbody></table>`;
  page(`<h1>Transaction <code>${esc(t.txid)}</code></h1>
  <div class="row"><button id="tograph">Open in graph</button><button class="sec" id="trace">Trace from here</button></div>
  <div class="grid2">${kv('Block', t.block_height)}${kv('Fee (BTC)', btc(t.fee))}${kv('vsize', t.vsize)}${kv('Inputs', t.inputs.length)}${kv('Outputs', t.outputs.length)}</div>
  <h2>Kinds</h2>${t.kinds && t.kinds.length ? kindsTable(t.kinds) : '<p class="empty">No kind found by the classifier (an ordinary payment).</p>'}
  <h2>Inputs</h2>${io(t.inputs, true)}<h2>Outputs</h2>${io(t.outputs, false)}`);
  document.getElementById('tograph').onclick = async () => { await G.expandTx(txid); go('/graph?focus=' + txid); };
  document.getElementById('trace').onclick = async () => { await G.expandTx(txid); go('/graph?from=' + txid + ':0'); };
}

async function blockPage(id) {
  loading('the block');
  const b = await api(`/v1/btc/blocks/${encodeURIComponent(id)}`);
  const txs = b.txids || b.txs || [];
  page(`<h1>Block ${b.height}</h1><p><code>${esc(b.hash)}</code></p>
  <div class="grid2">${kv('Time', b.time ? new Date((typeof b.time === 'number' ? b.time * 1000 : b.time)).toISOString() : '')}${kv('Transactions', b.tx_count ?? txs.length)}${kv('Previous', b.height > 0 ? b.height - 1 : '—')}</div>
  <p>${b.height > 0 ? `<a href="/block/${b.height - 1}">← previous</a> ` : ''}<a href="/block/${b.height + 1}">next →</a></p>
  <h2>Transactions</h2>${txs.length ? `<ol start="0">${txs.map(t => { const id = t.txid || t; return `<li><a href="/tx/${id}"><code>${id}</code></a>${kinds(t.kinds)}</li>`; }).join('')}</ol>` : '<p class="empty">No transaction list in this answer.</p>'}`);
}

async function clusterPage(id) {
  loading('the cluster');
  const c = await api(`/v1/btc/clusters/${id}`);
  page(`<h1>Cluster ${c.cluster_id}</h1>
  <div class="grid2">${kv('Addresses', c.size)}${kv('Balance (BTC)', btc(c.balance))}${kv('Received (BTC)', btc(c.received))}${kv('Transactions', c.tx_count)}</div>
  <h2>Labels</h2>${labelsTable(c.labels)}
  <h2>Why are two addresses together?</h2>
  <form id="explain" class="row"><label>Address A <input name="a" value="${esc(c.addresses?.[0] || '')}" size="44"></label><label>Address B <input name="b" value="${esc(c.addresses?.[1] || '')}" size="44"></label><button>Explain</button></form><div id="why"></div>
  <h2>Addresses (first ${c.addresses?.length || 0})</h2>${(c.addresses || []).length ? `<ul>${c.addresses.map(a => `<li><a href="/address/${esc(a)}"><code>${esc(a)}</code></a></li>`).join('')}</ul>` : '<p class="empty">None.</p>'}`);
  document.getElementById('explain').onsubmit = async e => {
    e.preventDefault();
    const f = new FormData(e.target), why = document.getElementById('why');
    why.innerHTML = '<p class="loading">Explaining…</p>';
    try {
      const r = await api(`/v1/btc/clusters/explain?a=${encodeURIComponent(f.get('a'))}&b=${encodeURIComponent(f.get('b'))}`);
      why.innerHTML = `<pre class="mono">${esc(JSON.stringify(r, null, 1))}</pre>`;
    } catch (err) { why.innerHTML = ''; fail(err); }
  };
}

// ---------- flow graph ----------

const LEGEND = ['exchange', 'mixer', 'coinjoin', 'sanctioned', 'stolen', 'peel', 'unknown'];

async function graphPage() {
  const params = new URLSearchParams(location.search);
  const from = params.get('from') || (G.state.trace && G.state.trace.from) || '';
  page(`<div class="graphpage">
  <div id="cy" tabindex="0" aria-label="flow graph (select a node to act on it)"></div>
  <aside class="side" aria-label="graph tools">
    <div class="toolbar">
      <button id="g-layout" class="sec">Lay out</button><button id="g-fit" class="sec">Fit</button>
      <button id="g-showall" class="sec">Show hidden</button><button id="g-clear" class="sec">Clear</button>
    </div>
    <div class="legend">${LEGEND.map(c => `<span><i style="background:var(--${c})"></i>${c}</span>`).join('')}</div>
    <p class="muted" id="g-count"></p>
    <form id="g-add" class="row fill"><label class="sr" for="g-addq">Add a tx or address</label><input id="g-addq" placeholder="txid or address to add" size="30"><button>Add</button></form>
    <label for="g-jump" class="muted">Go to a labelled node</label>
    <select id="g-jump"><option value="">— choose —</option></select>
    <h3>Selected</h3><div id="g-sel"><p class="empty">Click a node, or choose one in the list above.</p></div>
    <h3>Trace</h3>
    <form id="g-trace">
      <label>From <input name="from" value="${esc(from)}" size="34" placeholder="txid:vout, txid or address" required></label>
      <div class="row"><label>Model <select name="model">${['haircut', 'poison', 'fifo', 'tiho'].map(m => `<option>${m}</option>`).join('')}</select></label>
      <label>Hops <input name="hops" type="number" min="1" max="200" value="50" style="width:5em"></label>
      <label>Direction <select name="direction"><option>forward</option><option>backward</option></select></label></div>
      <fieldset><legend>Pass through</legend>
      <label><input type="checkbox" name="through_coinjoins" checked> CoinJoins</label>
      <label><input type="checkbox" name="through_mixers" checked> mixers</label>
      <label><input type="checkbox" name="follow_peels"> peel payments</label></fieldset>
      <button id="g-run">Run trace</button> <button type="button" id="g-peels" class="sec">Collapse peel chains</button>
    </form>
    <div id="g-endpoints"></div>
    <h3>Case</h3>
    <form id="g-case">
      <label>Title <input name="title" size="34" required value="${esc(G.state.caseTitle)}"></label>
      <label>Notes<textarea name="notes">${esc(G.state.caseNotes)}</textarea></label>
      <button id="g-save">${G.state.caseId ? `Save case ${G.state.caseId}` : 'Save as a new case'}</button>
      ${G.state.caseId ? `<a href="/cases/${G.state.caseId}">case page</a>` : ''}
    </form>
  </aside></div>`);
  const cy = G.graph();
  cy.mount(document.getElementById('cy'));
  cy.resize();
  const count = () => {
    document.getElementById('g-count').textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges`;
    const opts = cy.nodes().filter(n => n.data('entity') || n.data('note') || n.data('kind') === 'peel').map(n => [n.id(), `${n.data('category') || n.data('kind')}: ${n.data('entity') || n.data('display')}${n.data('note') ? ' ✎ ' + n.data('note') : ''}`]);
    opts.sort((a, b) => a[1].localeCompare(b[1]));
    document.getElementById('g-jump').innerHTML = `<option value="">— ${opts.length} labelled or annotated nodes —</option>` + opts.map(([id, t]) => `<option value="${esc(id)}">${esc(t.slice(0, 80))}</option>`).join('');
  };
  count();
  if (G.state.trace) showEndpoints(G.state.trace);
  const focus = params.get('focus');
  if (cy.nodes().length && !G.state.laidOut) { G.layout(); G.state.laidOut = true; } else G.fitView(cy);
  if (focus && cy.getElementById(focus).nonempty()) { cy.$(':selected').unselect(); cy.getElementById(focus).select(); select(cy.getElementById(focus)); }
  cy.removeListener('tap'); cy.removeListener('add remove');
  cy.on('tap', 'node', e => select(e.target));
  cy.on('tap', 'edge', e => {
    const d = e.target.data();
    message(`${short(d.source.replace(/^addr:/, ''), 6)} → ${short(d.target.replace(/^addr:/, ''), 6)}: ${btc(d.amount)} BTC${d.taint ? `, of which traced ${btc(d.taint)} BTC` : ''}`, true);
  });
  let pending = 0; // one recount per burst of additions (a trace adds thousands)
  cy.on('add remove', () => { if (!pending) pending = setTimeout(() => { pending = 0; if (document.getElementById('g-count')) count(); }, 50); });
  document.getElementById('g-jump').onchange = e => {
    const n = cy.getElementById(e.target.value);
    if (n.empty()) return;
    cy.$(':selected').unselect(); n.select(); select(n);
    cy.animate({ center: { eles: n }, zoom: Math.max(cy.zoom(), 1) }, { duration: 200 });
  };
  document.getElementById('g-layout').onclick = () => G.layout();
  document.getElementById('g-fit').onclick = () => G.fitView(cy);
  document.getElementById('g-showall').onclick = () => G.showAll();
  document.getElementById('g-clear').onclick = () => { G.clear(); graphPage(); };
  document.getElementById('g-add').onsubmit = async e => {
    e.preventDefault();
    const q = document.getElementById('g-addq').value.trim();
    try { if (/^[0-9a-f]{64}$/i.test(q)) await G.expandTx(q); else await G.expandAddress(q); G.layout(); } catch (err) { fail(err); }
  };
  document.getElementById('g-trace').onsubmit = async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    const p = { from: f.get('from').trim(), model: f.get('model'), hops: f.get('hops'), direction: f.get('direction') };
    for (const k of ['through_coinjoins', 'through_mixers', 'follow_peels']) p[k] = f.get(k) ? 'true' : 'false';
    const out = document.getElementById('g-endpoints');
    out.innerHTML = '<p class="loading" role="status">Tracing…</p>';
    const btn = document.getElementById('g-run'); btn.disabled = true;
    try { await G.runTrace(p); G.layout(); showEndpoints(G.state.trace); } catch (err) { out.innerHTML = ''; fail(err); } finally { btn.disabled = false; }
  };
  document.getElementById('g-peels').onclick = () => {
    let n = 0;
    for (const pc of (G.state.trace?.peel_chains || [])) if (G.collapsePeel(pc.first, pc.last, pc.hops)) n++;
    const sel = cy.$('node:selected');
    if (!n && sel.nonempty() && sel.data('kind') === 'tx') { const pc = G.peelFrom(sel.id()); if (pc && G.collapsePeel(pc.first, pc.last, pc.hops)) n++; }
    message(n ? `Collapsed ${n} peel chain${n > 1 ? 's' : ''}.` : 'No peel chain to collapse (run a trace, or select the first tx of a chain).', n > 0);
    if (n) G.layout();
  };
  document.getElementById('g-case').onsubmit = async e => {
    e.preventDefault();
    const f = new FormData(e.target);
    G.state.caseTitle = f.get('title'); G.state.caseNotes = f.get('notes');
    const body = { title: G.state.caseTitle, notes: G.state.caseNotes, graph: G.toCaseGraph() };
    if (G.state.trace) body.trace = { from: G.state.trace.from, model: G.state.trace.model, hops: G.state.trace.hops, options: G.state.trace.options, endpoints: G.state.trace.endpoints.map(x => ({ entity: x.entity, category: x.category, address: x.address, amount: x.amount, share: x.share, hops: x.hops })) };
    try {
      const c = G.state.caseId ? await api(`/v1/cases/${G.state.caseId}`, { method: 'PUT', body }) : await api('/v1/cases', { method: 'POST', body });
      G.state.caseId = c.id;
      message(`Case ${c.id} saved.`, true);
      go(`/cases/${c.id}?view=1`);
    } catch (err) { fail(err); }
  };
}

function select(n) {
  const d = G.describe(n);
  const el = document.getElementById('g-sel');
  if (!el) return;
  const link = d.kind === 'tx' ? `/tx/${d.ref}` : d.kind === 'address' ? `/address/${d.ref}` : '';
  el.innerHTML = `<p>${esc(d.kind)} ${link ? `<a href="${esc(link)}"><code>${esc(d.ref)}</code></a>` : `<code>${esc(d.ref || d.id)}</code>`}</p>
  ${d.category ? `<p><span class="chip ${colourClass(d.category)}">${esc(d.category)}</span> ${esc(d.entity || '')}</p>` : ''}
  <p class="muted">in ${btc(d.amountIn)} BTC · out ${btc(d.amountOut)} BTC${d.peeled ? ` · paid out along the chain ${btc(d.peeled)} BTC` : ''}</p>
  <div class="toolbar">${d.kind === 'tx' ? '<button id="s-expand">Expand inputs/outputs/spenders</button>' : d.kind === 'address' ? '<button id="s-expand">Expand transactions</button>' : ''}
  <button id="s-pin" class="sec">${d.pinned ? 'Unpin' : 'Pin'}</button><button id="s-hide" class="sec">Hide</button>
  ${d.kind !== 'peel' ? '<button id="s-trace" class="sec">Trace from here</button>' : ''}</div>
  <form id="s-note" class="row fill"><label class="sr" for="s-notetext">Note</label><input id="s-notetext" value="${esc(d.note || '')}" placeholder="Annotate this node" size="28"><button>Save note</button></form>`;
  const ex = document.getElementById('s-expand');
  if (ex) ex.onclick = async () => {
    ex.disabled = true; ex.textContent = 'Expanding…';
    try { d.kind === 'tx' ? await G.expandTx(d.ref) : await G.expandAddress(d.ref); G.layout(); select(G.graph().getElementById(d.id)); } catch (e) { fail(e); ex.disabled = false; }
  };
  document.getElementById('s-pin').onclick = () => { G.togglePin(n); select(n); };
  document.getElementById('s-hide').onclick = () => { G.hide(n); el.innerHTML = '<p class="empty">Hidden. “Show hidden” brings it back.</p>'; };
  const tr = document.getElementById('s-trace');
  if (tr) tr.onclick = () => { const f = document.querySelector('#g-trace input[name=from]'); f.value = d.kind === 'tx' ? d.ref : d.ref; f.focus(); };
  document.getElementById('s-note').onsubmit = e => { e.preventDefault(); G.setNote(n, document.getElementById('s-notetext').value.trim()); message('Note saved on the node (save the case to keep it).', true); };
}

// The endpoints table: per entity (category) with the amounts, then the rows.
function showEndpoints(tr) {
  const out = document.getElementById('g-endpoints');
  if (!out) return;
  const eps = tr.endpoints || [];
  if (!eps.length) { out.innerHTML = '<p class="empty">The trace found no endpoint.</p>'; return; }
  const by = new Map();
  for (const e of eps) {
    const k = `${e.category}\u0000${e.entity || ''}`;
    const v = by.get(k) || { category: e.category, entity: e.entity || '', amount: 0, n: 0 };
    v.amount += e.amount; v.n++; by.set(k, v);
  }
  const rows = [...by.values()].sort((a, b) => b.amount - a.amount);
  out.innerHTML = `<h3>Endpoints (${esc(tr.model)}, ${eps.length})</h3>
  <table id="endpoints"><thead><tr><th>Entity</th><th>Category</th><th class="n">BTC</th><th class="n">#</th></tr></thead><tbody>
  ${rows.map(r => `<tr data-entity="${esc(r.entity)}" data-category="${esc(r.category)}" data-sat="${r.amount}"><td>${esc(r.entity || '—')}</td><td><span class="chip ${colourClass(r.category)}">${esc(r.category)}</span></td><td class="n">${btc(r.amount)}</td><td class="n">${r.n}</td></tr>`).join('')}
  </tbody></table>`;
}

// ---------- screening ----------

async function screenPage() {
  page(`<h1>Screening</h1><div class="cols"><div>
  <h2>A name</h2><form id="sc-name" class="row"><label class="sr" for="sc-q">Name</label><input id="sc-q" name="q" size="36" placeholder="e.g. a person or company" required><button>Screen name</button></form>
  <h2>An address</h2><form id="sc-addr" class="row"><label class="sr" for="sc-a">Address</label><input id="sc-a" name="a" size="44" placeholder="crypto address" required><button>Screen address</button></form>
  <h2>A batch (CSV)</h2><p class="muted">One name or address a line; or a CSV with a header holding a <code>name</code> and/or <code>address</code> column.</p>
  <form id="sc-csv" class="row"><label class="sr" for="sc-file">CSV file</label><input id="sc-file" type="file" accept=".csv,text/csv,text/plain" required><button>Screen file</button></form>
  </div><div><h2>Lists in force</h2><div id="sc-lists" class="loading">Loading…</div></div></div>
  <h2>Results</h2><div id="sc-out"><p class="empty">Nothing screened yet.</p></div>
  <h2>List changes by entry</h2><div id="sc-diff"><p class="loading">Loading…</p></div>`);
  const out = document.getElementById('sc-out');
  const run = async (what, p) => { out.innerHTML = `<p class="loading" role="status">Screening ${esc(what)}…</p>`; try { out.innerHTML = await p; } catch (e) { out.innerHTML = ''; fail(e); } };
  document.getElementById('sc-name').onsubmit = e => { e.preventDefault(); const q = e.target.q.value.trim(); run(q, api(`/v1/screen/name?q=${encodeURIComponent(q)}`).then(r => nameResults(q, r))); };
  document.getElementById('sc-addr').onsubmit = e => { e.preventDefault(); const a = e.target.a.value.trim(); run(a, api(`/v1/screen/address/${encodeURIComponent(a)}`).then(r => r.sanctioned ? `<p><code>${esc(a)}</code> is <b>sanctioned</b> (${esc(r.list_version || '')}):</p>${addrHits(r.matches)}` : `<p class="empty"><code>${esc(a)}</code>: no list in force (${esc(r.list_version || 'none')}) names this address.</p>`)); };
  document.getElementById('sc-csv').onsubmit = async e => {
    e.preventDefault();
    const file = document.getElementById('sc-file').files[0];
    const { names, addresses } = parseCSV(await file.text());
    run(`${names.length} names and ${addresses.length} addresses`, api('/v1/screen', { method: 'POST', body: { names, addresses } }).then(batchResults));
  };
  try {
    const l = await api('/v1/lists');
    document.getElementById('sc-lists').outerHTML = l.versions.length ? `<table id="lists"><thead><tr><th>Version</th><th>Published</th><th>Imported</th><th class="n">Entities</th><th class="n">Addresses</th><th>In force</th></tr></thead><tbody>${l.versions.map(v => `<tr><td>${esc(v.list)}@${v.id}</td><td>${esc(v.published || '')}</td><td>${esc((v.imported || '').slice(0, 10))}</td><td class="n">${v.entities}</td><td class="n">${v.addresses}</td><td>${v.in_force ? 'yes' : ''}</td></tr>`).join('')}</tbody></table>${listDiff(l.versions)}` : '<p class="empty">No list imported (chaintrace lists import / update).</p>';
    diffForm(l.versions);
  } catch (e) { document.getElementById('sc-lists').outerHTML = `<p class="empty">${esc(e.message)}</p>`; document.getElementById('sc-diff').innerHTML = ''; }
}

// The entry-level diff of two versions of a list (GET /v1/lists/{name}/diff):
// pick the list and versions (default: the one before the version in force,
// and that one).
function diffForm(vs) {
  const box = document.getElementById('sc-diff');
  const byList = new Map();
  for (const v of vs) byList.set(v.list, (byList.get(v.list) || []).concat(v));
  const lists = [...byList.keys()].filter(l => byList.get(l).length > 1);
  if (!lists.length) { box.innerHTML = '<p class="empty">Each list has one version: import a newer one to compare (chaintrace lists update).</p>'; return; }
  box.innerHTML = `<form id="ld-form" class="row"><label>List <select name="list">${lists.map(l => `<option>${esc(l)}</option>`).join('')}</select></label>
  <label>From <select name="from"></select></label><label>To <select name="to"></select></label><button>Compare</button></form><div id="ld-out"></div>`;
  const f = document.getElementById('ld-form');
  const fill = () => {
    const xs = byList.get(f.list.value).slice().sort((a, b) => a.id - b.id);
    const opt = (v, sel) => `<option value="${v.id}" ${sel ? 'selected' : ''}>${esc(v.list)}@${v.id}${v.published ? ' (' + esc(v.published.slice(0, 10)) + ')' : ''}${v.in_force ? ', in force' : ''}</option>`;
    f.from.innerHTML = xs.map((v, i) => opt(v, i === xs.length - 2)).join('');
    f.to.innerHTML = xs.map((v, i) => opt(v, i === xs.length - 1)).join('');
  };
  fill();
  f.list.onchange = fill;
  document.querySelectorAll('.ld-go').forEach(b => b.onclick = () => {
    f.list.value = b.dataset.list; fill(); f.from.value = b.dataset.from; f.to.value = b.dataset.to;
    f.requestSubmit(); box.scrollIntoView();
  });
  f.onsubmit = async e => {
    e.preventDefault();
    const out = document.getElementById('ld-out');
    out.innerHTML = '<p class="loading" role="status">Comparing the versions…</p>';
    try {
      const d = await api(`/v1/lists/${encodeURIComponent(f.list.value)}/diff?from=${f.from.value}&to=${f.to.value}&limit=${DIFF_LIMIT}`);
      out.innerHTML = diffView(d);
    } catch (err) { out.innerHTML = ''; fail(err); }
  };
}
const DIFF_LIMIT = 5000;

function diffView(d) {
  const c = d.counts;
  const part = (id, title, n, rows, head) => `<details id="${id}" ${n && n <= 200 ? 'open' : ''}><summary><b>${esc(title)}</b> (${n}${rows.length < n ? `, the first ${rows.length} shown` : ''})</summary>${n ? `<table><thead><tr>${head.map(h => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p class="empty">None.</p>'}</details>`;
  const ent = e => `<tr data-id="${esc(e.id)}"><td><code>${esc(e.id)}</code></td><td>${esc(e.name)}</td><td>${esc(e.type)}</td></tr>`;
  const adr = a => `<tr><td><code>${esc(a.entity_id)}</code></td><td>${esc(a.ticker)}</td><td><code>${esc(a.address)}</code></td></tr>`;
  return `<p id="ld-summary">${esc(d.from.list)}@${d.from.id} → @${d.to.id}: <b>${c.added}</b> added, <b>${c.removed}</b> removed (delisted), <b>${c.changed}</b> changed; crypto addresses ${c.added_addresses} added, ${c.removed_addresses} removed.</p>
  ${(d.notes || []).map(n => `<p class="muted">Note: ${esc(n)}</p>`).join('')}
  ${part('ld-added', 'Added', c.added, d.added.map(ent), ['Entry', 'Name', 'Type'])}
  ${part('ld-removed', 'Removed (delisted)', c.removed, d.removed.map(ent), ['Entry', 'Name', 'Type'])}
  ${part('ld-changed', 'Changed', c.changed, d.changed.map(e => `<tr data-id="${esc(e.id)}"><td><code>${esc(e.id)}</code></td><td>${esc(e.name)}</td><td>${esc(e.fields.join(', '))}</td></tr>`), ['Entry', 'Name', 'What changed'])}
  ${part('ld-addr-added', 'Crypto addresses added', c.added_addresses, d.added_addresses.map(adr), ['Entry', 'Ticker', 'Address'])}
  ${part('ld-addr-removed', 'Crypto addresses removed', c.removed_addresses, d.removed_addresses.map(adr), ['Entry', 'Ticker', 'Address'])}`;
}

// The difference between consecutive versions of a list, in counts.
function listDiff(vs) {
  const byList = new Map();
  for (const v of vs) byList.set(v.list, (byList.get(v.list) || []).concat(v));
  const rows = [];
  for (const [list, xs] of byList) {
    xs.sort((a, b) => a.id - b.id);
    for (let i = 1; i < xs.length; i++) rows.push(`<li>${esc(list)}@${xs[i - 1].id} → @${xs[i].id}: entities ${signed(xs[i].entities - xs[i - 1].entities)}, addresses ${signed(xs[i].addresses - xs[i - 1].addresses)} <button type="button" class="sec ld-go" data-list="${esc(list)}" data-from="${xs[i - 1].id}" data-to="${xs[i].id}">By entry</button></li>`);
  }
  return rows.length ? `<h3>Changes between versions</h3><ul>${rows.join('')}</ul>` : '';
}
function signed(n) { return (n > 0 ? '+' : '') + n; }

export function parseCSV(text) {
  const lines = text.split(/\r?\n/).map(l => l.trim()).filter(Boolean);
  const names = [], addresses = [];
  if (!lines.length) return { names, addresses };
  const split = l => l.match(/("([^"]|"")*"|[^,]*)(,|$)/g).map(c => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"').trim()).filter((c, i, a) => i < a.length - 1 || c !== '');
  const head = split(lines[0]).map(h => h.toLowerCase());
  const ni = head.indexOf('name'), ai = head.indexOf('address');
  const looksAddr = s => /^(bc1|tb1|bcrt1|0x)[0-9a-z]+$/i.test(s) || /^[123mnLMT][1-9A-HJ-NP-Za-km-z]{25,34}$/.test(s);
  if (ni >= 0 || ai >= 0) {
    for (const l of lines.slice(1)) { const c = split(l); if (ni >= 0 && c[ni]) names.push(c[ni]); if (ai >= 0 && c[ai]) addresses.push(c[ai]); }
  } else {
    for (const l of lines) { const c = split(l)[0]; if (c) (looksAddr(c) ? addresses : names).push(c); }
  }
  return { names, addresses };
}

function nameResults(q, r) {
  const ms = r.matches || [];
  if (!ms.length) return `<p class="empty">No listed name matches “${esc(q)}”.</p>`;
  return `<p>${ms.length} match${ms.length > 1 ? 'es' : ''} for “${esc(q)}”${r.list_version ? ` (lists ${esc(r.list_version)})` : ''}:</p><ol class="matches">${ms.map(m => `<li>${nameMatch(m)}</li>`).join('')}</ol>`;
}

function batchResults(r) {
  const parts = [];
  for (const x of r.names || []) parts.push(`<tr><td>name</td><td>${esc(x.query || '')}</td><td>${x.error ? `<span class="muted">${esc(x.error)}</span>` : (x.matches || []).length ? `<ol>${x.matches.slice(0, 3).map(m => `<li>${nameMatch(m)}</li>`).join('')}</ol>` : 'no match'}</td></tr>`);
  for (const x of r.addresses || []) parts.push(`<tr><td>address</td><td><code>${esc(x.address || '')}</code></td><td>${x.error ? esc(x.error) : x.sanctioned ? `<b>sanctioned</b> ${addrHits(x.matches)}` : 'no match'}</td></tr>`);
  return `<table id="batch"><thead><tr><th>Kind</th><th>Query</th><th>Result</th></tr></thead><tbody>${parts.join('')}</tbody></table><details><summary>Raw answer</summary><pre class="mono">${esc(JSON.stringify(r, null, 1))}</pre></details>`;
}

// ---------- KYT alerts ----------

async function alertsPage() {
  const p = new URLSearchParams(location.search);
  const level = p.get('level') || '', status = p.get('status') || '';
  page(`<h1>KYT alerts</h1><form id="al-f" class="row">
  <label>Level <select name="level"><option value="">any</option>${['SEVERE', 'HIGH', 'MEDIUM', 'LOW'].map(l => `<option ${l === level ? 'selected' : ''}>${l}</option>`).join('')}</select></label>
  <label>Status <select name="status"><option value="">any</option>${['open', 'in_review', 'closed'].map(l => `<option ${l === status ? 'selected' : ''}>${l}</option>`).join('')}</select></label>
  <button>Filter</button></form><div id="al-list" class="loading">Loading alerts…</div>`);
  document.getElementById('al-f').onsubmit = e => { e.preventDefault(); const f = new FormData(e.target); go(`/alerts?level=${f.get('level')}&status=${f.get('status')}`); };
  const q = new URLSearchParams({ limit: '100' });
  if (level) q.set('level', level);
  if (status) q.set('status', status);
  const r = await api(`/v1/kyt/alerts?${q}`);
  document.getElementById('al-list').outerHTML = r.data.length ? `<p class="muted">${r.total} alerts${r.total > r.data.length ? `, the first ${r.data.length} shown` : ''}.</p><table id="alerts"><thead><tr><th>Level</th><th>Category</th><th>Service</th><th class="n">BTC</th><th>Exposure</th><th>Status</th><th>Created</th></tr></thead><tbody>${r.data.map(a => `<tr><td><span class="chip ${esc(a.alertLevel)}">${esc(a.alertLevel)}</span></td><td>${esc(a.category)}</td><td><a href="/alerts/${esc(a.alertId)}">${esc(a.service || '(unnamed)')}</a></td><td class="n">${btc(a.alertAmount)}</td><td>${esc(a.exposureType)}${a.hops ? `, ${a.hops} hops` : ''}</td><td>${esc(a.status)}</td><td>${esc((a.createdAt || '').slice(0, 16).replace('T', ' '))}</td></tr>`).join('')}</tbody></table>` : '<p class="empty">No alert matches.</p>';
}

async function alertPage(id) {
  loading('the alert');
  const a = await api(`/v1/kyt/alerts/${encodeURIComponent(id)}`);
  const al = a.alert || a;
  page(`<h1>Alert: ${esc(al.service || al.category)} <span class="chip ${esc(al.alertLevel)}">${esc(al.alertLevel)}</span></h1>
  <div class="grid2">${kv('Category', al.category)}${kv('Amount (BTC)', btc(al.alertAmount))}${kv('Exposure', `${al.exposureType}${al.hops ? `, ${al.hops} hops` : ''}`)}${kv('Rule', al.rule || '')}${kv('Status', al.status)}${kv('Transfer', al.externalId)}</div>
  <div class="row"><button id="al-graph">Open evidence path in graph</button></div>
  <h2>Evidence path</h2>${(al.path || []).length ? `<ol>${[...new Set(al.path)].map(t => `<li><a href="/tx/${esc(t)}"><code>${esc(t)}</code></a></li>`).join('')}</ol>` : '<p class="empty">No path.</p>'}
  <h2>Review</h2><form id="al-upd" class="row"><label>Status <select name="status">${['open', 'in_review', 'closed'].map(s => `<option ${s === al.status ? 'selected' : ''}>${s}</option>`).join('')}</select></label>
  <label>Note <input name="note" size="40"></label><button>Update</button></form>
  <h2>Notes and audit log</h2>${auditList(a)}`);
  document.getElementById('al-graph').onclick = async () => {
    const btn = document.getElementById('al-graph'); btn.disabled = true; btn.textContent = 'Loading the path…';
    try {
      for (const t of [...new Set(al.path || [])]) await G.expandTx(t);
      G.state.laidOut = false;
      go('/graph?focus=' + encodeURIComponent((al.path || [])[0] || ''));
    } catch (e) { fail(e); btn.disabled = false; }
  };
  document.getElementById('al-upd').onsubmit = async e => {
    e.preventDefault();
    const f = new FormData(e.target), body = { status: f.get('status') };
    if (f.get('note')) body.note = f.get('note');
    try { await api(`/v1/kyt/alerts/${encodeURIComponent(id)}`, { method: 'PATCH', body }); await alertPage(id); message('Alert updated.', true); } catch (err) { fail(err); }
  };
}

function auditList(a) {
  const notes = a.notes || [], log = a.audit || a.auditLog || a.log || [];
  const items = notes.map(n => `<li><b>${esc(n.author || n.keyId || 'note')}</b> ${esc((n.createdAt || n.at || '').slice(0, 16))}: ${esc(n.note || n.text || '')}</li>`)
    .concat(log.map(l => `<li class="muted">${esc((l.at || l.createdAt || '').slice(0, 16))} ${esc(l.action || l.change || JSON.stringify(l))}</li>`));
  return items.length ? `<ul id="audit">${items.join('')}</ul>` : '<p class="empty">No notes yet.</p>';
}

// ---------- cases ----------

async function casesPage() {
  loading('cases');
  const r = await api('/v1/cases');
  page(`<h1>Cases</h1>${r.cases.length ? `<table id="cases"><thead><tr><th>#</th><th>Title</th><th class="n">Nodes</th><th>Updated</th></tr></thead><tbody>${r.cases.map(c => `<tr><td>${c.id}</td><td><a href="/cases/${c.id}">${esc(c.title)}</a></td><td class="n">${c.nodes}</td><td>${esc(c.updated.slice(0, 16).replace('T', ' '))}</td></tr>`).join('')}</tbody></table>` : '<p class="empty">No case yet: build a graph and save it from the graph page.</p>'}`);
}

// A case's page: reopen its graph, or view its summary and export it.
async function openCase(id) {
  loading('the case');
  const c = await api(`/v1/cases/${id}`);
  const view = new URLSearchParams(location.search).get('view');
  if (!view) {
    G.fromCaseGraph(c.graph);
    G.state.caseId = c.id; G.state.caseTitle = c.title; G.state.caseNotes = c.notes; G.state.laidOut = true;
    G.state.trace = c.trace ? Object.assign({ peel_chains: [] }, c.trace) : null;
    history.replaceState(null, '', '/graph');
    return graphPage();
  }
  page(`<h1>Case ${c.id}: ${esc(c.title)}</h1>
  <div class="grid2">${kv('Nodes', c.graph.nodes.length)}${kv('Edges', c.graph.edges.length)}${kv('Chain tip', c.made_at.tip_height)}${kv('Lists', (c.made_at.lists || []).map(l => l.label).join(', ') || 'none')}${kv('Updated', c.updated.slice(0, 16).replace('T', ' '))}</div>
  ${c.notes ? `<h2>Notes</h2><p style="white-space:pre-wrap">${esc(c.notes)}</p>` : ''}
  <div class="row"><a href="/cases/${c.id}" id="reopen">Reopen in the graph</a>
  <button id="x-report" class="sec">HTML report</button><button id="x-csv" class="sec">Export CSV</button><button id="x-graphml" class="sec">Export GraphML</button></div>
  <div id="x-out"></div>`);
  const dl = async (path, name, open) => {
    try {
      const res = await api(path, { raw: true });
      const url = URL.createObjectURL(await res.blob());
      if (open) window.open(url, '_blank');
      else { const a = document.createElement('a'); a.href = url; a.download = name; a.setAttribute('download', name); document.body.appendChild(a); a.click(); a.remove(); }
      document.getElementById('x-out').innerHTML = `<p class="muted">Exported ${esc(name)}.</p>`;
    } catch (e) { fail(e); }
  };
  document.getElementById('reopen').onclick = e => { e.preventDefault(); e.stopPropagation(); go(`/cases/${c.id}`); };
  document.getElementById('x-report').onclick = () => dl(`/v1/cases/${c.id}/report.html`, `case-${c.id}.html`, true);
  document.getElementById('x-csv').onclick = () => dl(`/v1/cases/${c.id}/export?format=csv`, `case-${c.id}.csv`);
  document.getElementById('x-graphml').onclick = () => dl(`/v1/cases/${c.id}/export?format=graphml`, `case-${c.id}.graphml`);
}

// Keyboard: "/" focuses the search box; Escape unselects graph nodes.
document.addEventListener('keydown', e => {
  if (e.key === '/' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement.tagName)) { e.preventDefault(); document.getElementById('q').focus(); }
  if (e.key === 'Escape') G.graph().$(':selected').unselect();
});

route();

// Hooks for scripted use (the browser tests) and the console.
window.__ct_graph = G.graph;
window.__ct_select = id => {
  const n = G.graph().getElementById(id);
  if (n.empty()) return false;
  G.graph().$(':selected').unselect(); n.select(); select(n);
  return true;
};
window.__ct_layout = G.layout;
