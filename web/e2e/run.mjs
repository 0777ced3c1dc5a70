// End-to-end tests of the web UI in a real browser: Playwright (playwright-core)
// drives Debian's chromium against a running `chaintrace demo --serve`.
//
//   CHAINTRACE_URL=http://127.0.0.1:8080 THEFT_TXID=… node web/e2e/run.mjs
//
// Env: CHAINTRACE_URL (the server), THEFT_TXID (the simulated theft),
// ARTEFACTS (folder for screenshots and downloads), CHROMIUM (the browser,
// default /usr/bin/chromium), SCREEN_NAME (a name on the imported list, when a
// list is imported), LISTDIFF_ADDED and LISTDIFF_REMOVED (the entries added
// and removed between the two imported OFAC versions, counted from the files).
// Exit status 0 when every check passes.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE, api, directTrace, checkEndpoints, endpointRows, layout2000 } from './common.mjs';

const THEFT = process.env.THEFT_TXID;
const ART = process.env.ARTEFACTS || fs.mkdtempSync(path.join(os.tmpdir(), 'chaintrace-e2e-'));
const SCREEN_NAME = process.env.SCREEN_NAME || '';
fs.mkdirSync(ART, { recursive: true });
if (!THEFT) { console.error('THEFT_TXID is not set'); process.exit(2); }

let failures = 0;
function check(cond, what) {
  if (cond) console.log(`ok   ${what}`);
  else { failures++; console.log(`FAIL ${what}`); }
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaintrace-chromium-'));
// A fresh profile (Playwright passes it to chromium as --user-data-dir).
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 }, acceptDownloads: true,
  bypassCSP: true, // waitForFunction evaluates strings; the app itself runs under its CSP elsewhere
});
const browser = ctx;
const page = ctx.pages()[0] || await ctx.newPage();
const consoleErrors = [];
page.on('pageerror', e => consoleErrors.push(String(e)));
// (a 404 the search expects, e.g. a txid that is no block, logs "Failed to load resource": not an error of the app)
page.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
const shot = async name => page.screenshot({ path: path.join(ART, name + '.png') });
const T = { timeout: 30000 };

try {
  // 1. demo opens straight into the theft's case, graph and endpoints shown
  await page.goto(BASE + '/');
  await page.waitForSelector('#cy canvas', T);
  await page.waitForSelector('#endpoints', T);
  check(/\/graph$/.test(page.url()), `the front page opens the demo case's graph (${page.url()})`);
  const title = await page.inputValue('#g-case input[name=title]');
  check(title.startsWith('Demo:'), `the demo case is loaded ("${title}")`);
  await shot('case-graph');

  // 2. search → address page (the theft's first output address)
  const tx = await api(`/v1/btc/txs/${THEFT}`);
  const addr = tx.outputs[0].address;
  await page.fill('#q', addr);
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/address\//, T);
  await page.waitForSelector('h1 code', T);
  check((await page.textContent('h1')).includes(addr), 'search for an address opens its page');
  const labelsText = await page.textContent('main');
  check(/stolen/.test(labelsText), 'the address page shows its stolen label with source');
  await shot('address');

  // search grouped by kind: a txid finds the transaction
  await page.fill('#q', THEFT);
  await page.press('#q', 'Enter');
  await page.waitForURL(/\/tx\//, T);
  check((await page.textContent('h1')).includes(THEFT), 'search for a txid opens the transaction');
  await shot('tx');
  // a CoinJoin's page shows its kind with the classifier's evidence
  const cjList = await api('/v1/btc/txs?kind=wasabi2&limit=1');
  if (cjList.txs.length) {
    const cj = await api(`/v1/btc/txs/${cjList.txs[0].txid}`);
    await page.goto(BASE + `/tx/${cj.txid}`);
    await page.waitForSelector('#kinds', T);
    const kt = await page.textContent('#kinds');
    check(kt.includes('wasabi2') && kt.includes(cj.kinds[0].evidence), 'a CoinJoin tx page shows its kind with the evidence');
    await shot('coinjoin-tx');
  } else check(false, 'no wasabi2 tx in the demo chain');
  // the address's cluster page
  const a0 = await api(`/v1/btc/addresses/${addr}?limit=1`);
  await page.goto(BASE + `/cluster/${a0.cluster_id}`);
  await page.waitForSelector('#explain', T);
  check((await page.textContent('h1')).includes(String(a0.cluster_id)), `cluster ${a0.cluster_id} page`);
  await page.fill('#q', String(tx.block_height));
  await page.press('#q', 'Enter');
  await page.waitForSelector('section.group h2', T);
  const groups = await page.$$eval('section.group', s => s.map(x => x.dataset.kind));
  check(groups.includes('Blocks'), `a height finds its block, grouped by kind (${groups.join(', ')})`);

  // 3. expand the graph from the tx, then run a trace
  await page.goto(BASE + `/tx/${THEFT}`);
  await page.waitForSelector('#tograph', T);
  await page.click('#tograph');
  await page.waitForSelector('#cy canvas', T);
  await page.click('#g-clear');
  await page.fill('#g-addq', THEFT);
  await page.click('#g-add button');
  await page.waitForFunction(() => /[1-9]\d* nodes/.test(document.getElementById('g-count').textContent), null, T);
  const before = await page.textContent('#g-count');
  // select the tx spending the theft's first output and expand it
  const spender = tx.outputs[0].spent_by.txid;
  check(await page.evaluate(id => window.__ct_select(id), spender), 'the spending tx is in the graph after adding the theft tx');
  await page.waitForSelector('#s-expand', T);
  await page.click('#s-expand');
  await page.waitForFunction(b => document.getElementById('g-count').textContent !== b, before, T);
  const after = await page.textContent('#g-count');
  check(after !== before, `expanding a node grows the graph (${before} → ${after})`);

  const from = `${THEFT}:0`;
  await page.fill('#g-trace input[name=from]', from);
  await page.selectOption('#g-trace select[name=model]', 'haircut');
  await page.fill('#g-trace input[name=hops]', '50');
  await page.click('#g-run');
  await page.waitForSelector('#endpoints tbody tr', { timeout: 60000 });
  await shot('graph-trace');
  const direct = await directTrace(from);
  checkEndpoints(check, await page.evaluate(endpointRows), direct);

  // usable at 2,000 nodes: grow the graph to 2,000 and time the layout and a redraw
  const big = await page.evaluate(layout2000);
  check(big.n >= 2000 && big.ms < 3000, `layout of ${big.n} nodes in ${big.ms} ms`);

  // collapse peel chains, pin, annotate
  const n0 = await page.evaluate(() => window.__ct_graph().nodes().length);
  await page.click('#g-peels');
  const n1 = await page.evaluate(() => window.__ct_graph().nodes().length);
  const peels = await page.evaluate(() => window.__ct_graph().nodes('[kind = "peel"]').length);
  check(direct.peel_chains.length === 0 || (peels > 0 && n1 < n0), `peel chains collapse into nodes (${peels} peel nodes, ${n0} → ${n1} nodes)`);
  const exNode = await page.evaluate(() => { const n = window.__ct_graph().nodes('[category = "exchange"]')[0]; return n && n.id(); });
  await page.evaluate(id => window.__ct_select(id), exNode);
  await page.fill('#s-notetext', 'cash-out deposit: subpoena');
  await page.click('#s-note button');
  await page.click('#s-pin');
  check(await page.evaluate(id => window.__ct_graph().getElementById(id).hasClass('pinned') && window.__ct_graph().getElementById(id).data('note'), exNode) === 'cash-out deposit: subpoena', 'a node is pinned and annotated');

  // 6. save the case, reopen it, export it
  await page.fill('#g-case input[name=title]', 'E2E case');
  await page.fill('#g-case textarea', 'followed to the exchanges');
  await page.click('#g-save');
  await page.waitForURL(/\/cases\/\d+\?view=1/, T);
  const caseId = page.url().match(/cases\/(\d+)/)[1];
  await page.waitForSelector('#x-report', T);
  await shot('case');
  const saved = await api(`/v1/cases/${caseId}`);
  check(saved.title === 'E2E case' && saved.graph.nodes.length === n1 && saved.trace.endpoints.length === direct.endpoints.length, `case ${caseId} saved with the graph and endpoints (${saved.graph.nodes.length} nodes)`);
  check(saved.graph.nodes.some(n => n.note === 'cash-out deposit: subpoena' && n.pinned), 'the note and pin are saved');
  const [dl] = await Promise.all([page.waitForEvent('download', T), page.click('#x-csv')]);
  const csvPath = path.join(ART, 'case.csv');
  await dl.saveAs(csvPath);
  const csv = fs.readFileSync(csvPath, 'utf8').trim().split('\n');
  check(csv[0].startsWith('source,') && csv.length === saved.graph.edges.length + 1, `CSV export: ${csv.length - 1} edges`);
  const [dl2] = await Promise.all([page.waitForEvent('download', T), page.click('#x-graphml')]);
  await dl2.saveAs(path.join(ART, 'case.graphml'));
  check(fs.readFileSync(path.join(ART, 'case.graphml'), 'utf8').includes('<graphml'), 'GraphML export');
  const [popup] = await Promise.all([page.waitForEvent('popup', T), page.click('#x-report')]);
  await popup.waitForLoadState();
  const rep = await popup.content();
  check(rep.includes('<svg') && rep.includes('E2E case') && rep.includes('Trace endpoints'), 'HTML report with the graph as SVG and the endpoints');
  await popup.screenshot({ path: path.join(ART, 'report.png'), fullPage: false });
  await popup.close();
  // reopen: the graph comes back
  await page.click('#reopen');
  await page.waitForSelector('#endpoints', T);
  const reopened = await page.evaluate(() => window.__ct_graph().nodes().length);
  check(reopened === saved.graph.nodes.length, `the case reopens in the graph (${reopened} nodes)`);

  // 4. screening: a name and a CSV batch
  await page.goto(BASE + '/screen');
  await page.waitForSelector('#sc-q', T);
  const lists = await api('/v1/lists');
  if (SCREEN_NAME && lists.versions.length) {
    await page.fill('#sc-q', SCREEN_NAME);
    await page.click('#sc-name button');
    await page.waitForSelector('#sc-out .matches li, #sc-out .empty', T);
    const top = await api(`/v1/screen/name?q=${encodeURIComponent(SCREEN_NAME)}`);
    const shown = await page.textContent('#sc-out');
    check(top.matches.length > 0 && shown.includes(top.matches[0].name) && shown.includes(top.matches[0].explanation.summary), `screening "${SCREEN_NAME}" shows the top match ${top.matches[0]?.name} with its explanation`);
    await shot('screening');
    const csvFile = path.join(ART, 'batch.csv');
    fs.writeFileSync(csvFile, `name,address\n${SCREEN_NAME},${addr}\nNobody Particular Zzyzx,\n`);
    await page.setInputFiles('#sc-file', csvFile);
    await page.click('#sc-csv button');
    await page.waitForSelector('#batch tbody tr', T);
    const batchRows = await page.$$eval('#batch tbody tr', trs => trs.map(t => t.textContent));
    check(batchRows.length === 3 && batchRows[0].includes(top.matches[0].name) && /no match/.test(batchRows[2]), `CSV batch: ${batchRows.length} rows screened`);
    check(await page.$('#lists') !== null, 'list versions shown');
  } else {
    check(false, 'screening: no list imported (SCREEN_NAME and a list are needed)');
  }

  // 5. KYT: the alert queue filtered, an alert's path in the graph, a status change
  await page.goto(BASE + '/alerts');
  await page.waitForSelector('#alerts tbody tr, .empty', T);
  const alerts = await api('/v1/kyt/alerts?limit=1');
  check(alerts.total > 0 && (await page.$$('#alerts tbody tr')).length > 0, `alert queue lists ${alerts.total} alerts`);
  await shot('alerts');
  const lvl = alerts.data[0].alertLevel;
  await page.selectOption('#al-f select[name=level]', lvl);
  await page.click('#al-f button');
  await page.waitForURL(new RegExp(`level=${lvl}`), T);
  await page.waitForSelector('#alerts tbody tr', T);
  const lv = await page.$$eval('#alerts tbody tr td:first-child', tds => [...new Set(tds.map(t => t.textContent.trim()))]);
  check(lv.length === 1 && lv[0] === lvl, `filter by level ${lvl}`);
  await page.click('#alerts tbody tr a');
  await page.waitForSelector('#al-graph', T);
  const alertId = page.url().split('/').pop();
  await page.selectOption('#al-upd select[name=status]', 'in_review');
  await page.fill('#al-upd input[name=note]', 'looking at the path');
  await page.click('#al-upd button');
  await page.waitForSelector('#msg.ok', T);
  const al = await api(`/v1/kyt/alerts/${alertId}`);
  check((al.alert || al).status === 'in_review', 'alert status changed through the UI');
  await page.click('#al-graph');
  await page.waitForURL(/\/graph/, T);
  await page.waitForSelector('#cy canvas', T);
  const pathTx = (al.alert || al).path;
  const inGraph = await page.evaluate(p => p.every(t => window.__ct_graph().getElementById(t).nonempty()), pathTx);
  check(inGraph, `the alert's evidence path (${new Set(pathTx).size} txs) is in the graph`);
  await shot('alert-graph');

  // search by label text: an exchange the trace reaches, by its name, lists
  // that exchange's labelled addresses (the API's own label search), and
  // the endpoint's address is among them
  {
    const tr = await api(`/v1/btc/trace?from=${encodeURIComponent(THEFT + ':0')}&model=haircut&hops=50&direction=forward&through_coinjoins=true&through_mixers=true&follow_peels=false`);
    const ex = tr.endpoints.find(e => e.category === 'exchange' && e.entity && e.address);
    if (!ex) check(false, 'label search: the trace reaches no labelled exchange address');
    else {
      const want = await api(`/v1/labels/search?q=${encodeURIComponent(ex.entity)}&limit=100`);
      await page.fill('#q', ex.entity);
      await page.press('#q', 'Enter');
      await page.waitForSelector('section.group[data-kind="Labels"] li', T);
      const shown = await page.$$eval('section.group[data-kind="Labels"] li', lis => lis.map(li => ({ addr: li.querySelector('code').textContent, chip: li.querySelector('.chip').textContent })));
      check(want.labels.length > 0 && shown.length === want.labels.length && shown.every((x, i) => x.addr === want.labels[i].address && x.chip === `exchange: ${ex.entity}`),
        `searching "${ex.entity}" lists its ${shown.length} labelled addresses, grouped under Labels (${want.next ? 'first page' : 'all'})`);
      // page on (the "More labels" button) until the endpoint's address shows
      for (let i = 0; i < 200 && !(await page.$(`section.group[data-kind="Labels"] a[href="/address/${ex.address}"]`)); i++) {
        const more = await page.$('#labels-more:not([disabled])');
        if (!more) break;
        const n = (await page.$$('section.group[data-kind="Labels"] li')).length;
        await more.click();
        await page.waitForFunction(n => document.querySelectorAll('section.group[data-kind="Labels"] li').length > n, n, T);
      }
      const link = await page.$(`section.group[data-kind="Labels"] a[href="/address/${ex.address}"]`);
      check(!!link, `the label search finds the exchange endpoint ${ex.address}`);
      await shot('label-search');
      if (link) {
        await link.click();
        await page.waitForURL(/\/address\//, T);
        await page.waitForSelector('h1 code', T);
        check((await page.textContent('main')).includes(ex.entity), `its address page shows the ${ex.entity} label`);
      }
    }
  }

  // list versions diffed by entry: the entries added and delisted from OFAC
  // SDN 2024-05 to 2025-02, counted independently by the Go test from the files
  if (process.env.LISTDIFF_ADDED) {
    await page.goto(BASE + '/screen');
    await page.waitForSelector('#ld-form', T);
    await page.selectOption('#ld-form select[name=list]', 'ofac-sdn');
    await page.click('#ld-form button');
    await page.waitForSelector('#ld-summary', T);
    const d = await api('/v1/lists/ofac-sdn/diff');
    const summary = await page.textContent('#ld-summary');
    const wantAdded = Number(process.env.LISTDIFF_ADDED), wantRemoved = Number(process.env.LISTDIFF_REMOVED);
    check(summary.includes(`${wantAdded} added`) && summary.includes(`${wantRemoved} removed`) && summary.includes(`${d.counts.changed} changed`),
      `list diff: ${summary.trim()} (the files: +${wantAdded} -${wantRemoved})`);
    const rows = async id => page.$$eval(`#${id} tbody tr`, trs => trs.map(tr => [tr.dataset.id, tr.children[1].textContent]));
    const added = await rows('ld-added'), removed = await rows('ld-removed'), changed = await rows('ld-changed');
    check(added.length === wantAdded && removed.length === wantRemoved && changed.length === d.counts.changed, `the diff lists every entry (${added.length} added, ${removed.length} removed, ${changed.length} changed)`);
    const same = (ui, xs) => ui.length === xs.length && ui.every(([id, name], i) => id === xs[i].id && name === xs[i].name);
    check(same(added, d.added) && same(removed, d.removed), 'the entries shown are the API\'s, by id and name');
    await page.click('#ld-removed summary').catch(() => {});
    await shot('list-diff');
  } else check(false, 'list diff: LISTDIFF_ADDED not set (two list versions are needed)');

  // wide screen
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(BASE + `/address/${addr}`);
  await page.waitForSelector('h1 code', T);
  await shot('address-1920');
  check(consoleErrors.length === 0, `no errors in the browser console${consoleErrors.length ? ': ' + consoleErrors.slice(0, 3).join(' | ') : ''}`);
} catch (e) {
  failures++;
  console.log('FAIL ' + (e.stack || e));
  await shot('failure').catch(() => {});
} finally {
  await browser.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
console.log(`${failures ? 'FAILED' : 'PASSED'}: artefacts in ${ART}`);
process.exit(failures ? 1 : 0);
