// End-to-end tests of the web UI in stock Firefox: puppeteer-core drives
// Debian's firefox-esr over WebDriver BiDi (no patched browser build) against a
// running `chaintrace demo --serve`. The flows follow run.mjs (the Chromium
// runner) with the same selectors, plus keyboard navigation and real mouse
// clicks on the graph's canvas.
//
//   CHAINTRACE_URL=http://127.0.0.1:8080 THEFT_TXID=… node web/e2e/firefox.mjs
//
// Env: CHAINTRACE_URL (the server), THEFT_TXID (the simulated theft),
// ARTEFACTS (folder for screenshots and downloads; the files are named ff-*),
// FIREFOX (the browser, default /usr/bin/firefox-esr), SCREEN_NAME (a name on
// the imported list). Exit status 0 when every check passes.
import puppeteer from 'puppeteer-core';
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
const sleep = ms => new Promise(r => setTimeout(r, ms));

const t0 = Date.now();
// puppeteer-core starts firefox-esr with a fresh temporary profile and removes it on close.
const browser = await puppeteer.launch({
  browser: 'firefox', executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr', headless: true,
  protocolTimeout: 120000,
});
console.log(`# ${await browser.version()} started in ${Date.now() - t0} ms`);
const dlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaintrace-ff-dl-'));
// A user context whose downloads land in dlDir (WebDriver BiDi browser.setDownloadBehavior).
const ctx = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: dlDir } });
const page = await ctx.newPage();
await page.setViewport({ width: 1280, height: 800 });
const consoleErrors = [];
page.on('pageerror', e => consoleErrors.push('uncaught: ' + String(e)));
page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
const shot = async name => page.screenshot({ path: path.join(ART, `ff-${name}.png`) });
const T = { timeout: 30000 };

// Playwright-like helpers over puppeteer's API.
const text = sel => page.$eval(sel, e => e.textContent);
const value = sel => page.$eval(sel, e => e.value);
const fill = (sel, v) => page.$eval(sel, (e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, v);
const waitURL = re => page.waitForFunction(src => new RegExp(src).test(location.href), T, re.source);
const active = () => page.evaluate(() => { const a = document.activeElement; return a ? (a.id || a.getAttribute('href') || a.tagName) : ''; });
const nodes = () => page.evaluate(() => window.__ct_graph().nodes().length);
// A real mouse click on a graph node: centre it on the canvas at full zoom and click there.
async function clickNode(id) {
  const at = await page.evaluate(id => {
    const cy = window.__ct_graph(), n = cy.getElementById(id);
    if (n.empty()) return null;
    cy.zoom(4); cy.center(n);
    const r = document.getElementById('cy').getBoundingClientRect(), p = n.renderedPosition();
    return { x: r.left + p.x, y: r.top + p.y };
  }, id);
  if (!at) return false;
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction(() => document.querySelector('#g-sel code'), T);
  return page.evaluate(() => window.__ct_graph().$('node:selected').map(n => n.id()));
}
// A download in dlDir, once it exists and its size has stopped changing.
async function waitFile(name) {
  const f = path.join(dlDir, name);
  let last = -1;
  for (let i = 0; i < 300; i++) {
    const size = fs.existsSync(f) ? fs.statSync(f).size : -1;
    if (size > 0 && size === last) return fs.readFileSync(f, 'utf8');
    last = size;
    await sleep(100);
  }
  return null;
}

try {
  // 1. the demo opens straight into the theft's case, graph and endpoints shown
  await page.goto(BASE + '/');
  await page.waitForSelector('#cy canvas', T);
  await page.waitForSelector('#endpoints', T);
  check(/\/graph$/.test(page.url()), `the front page opens the demo case's graph (${page.url()})`);
  const title = await value('#g-case input[name=title]');
  check(title.startsWith('Demo:'), `the demo case is loaded ("${title}")`);
  const canvasPainted = await page.evaluate(() => [...document.querySelectorAll('#cy canvas')].some(c => c.width > 0 && c.height > 0));
  check(canvasPainted, 'the graph canvas has a size');
  await shot('case-graph');

  // keyboard: "/" focuses the search box; typing and Enter searches
  const tx = await api(`/v1/btc/txs/${THEFT}`);
  const addr = tx.outputs[0].address;
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press('/');
  check(await active() === 'q', `"/" focuses the search box (focus on ${await active()})`);
  await page.keyboard.type(addr);
  await page.keyboard.press('Enter');
  // 2. search → address page
  await waitURL(/\/address\//);
  await page.waitForSelector('h1 code', T);
  check((await text('h1')).includes(addr), 'search for an address (typed from the keyboard) opens its page');
  check(/stolen/.test(await text('main')), 'the address page shows its stolen label with source');
  await shot('address');

  // keyboard: Tab from the top reaches the skip link, then the search box; the skip link moves focus to the page
  await page.goto(BASE + `/address/${addr}`);
  await page.waitForSelector('h1 code', T);
  await page.keyboard.press('Tab');
  check(await active() === '#main', `the first Tab stop is the skip link (${await active()})`);
  const skipShown = await page.$eval('.skip', e => e.getBoundingClientRect().left >= 0);
  check(skipShown, 'the focused skip link is on screen');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement === document.getElementById('main'), { timeout: 5000 }).catch(() => {});
  check(await active() === 'main', `the skip link moves focus to the main content (${await active()})`);
  check((await text('h1')).includes(addr), 'the page is still shown after the skip link');
  // Tab through the header to the Screening link and follow it with Enter
  await page.evaluate(() => document.getElementById('q').focus());
  let reached = '';
  for (let i = 0; i < 8 && reached !== '/screen'; i++) { await page.keyboard.press('Tab'); reached = await active(); }
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(reached === '/screen' && ring !== 'none', `Tab reaches the Screening link with a visible focus ring (${reached}, outline ${ring})`);
  await page.keyboard.press('Enter');
  await waitURL(/\/screen$/);
  await page.waitForSelector('#sc-q', T);
  check(true, 'Enter on a navigation link opens its page');

  // search grouped by kind: a txid finds the transaction; a height finds the block
  await page.goto(BASE + `/search?q=${THEFT}`);
  await waitURL(/\/tx\//);
  await page.waitForSelector('h1', T);
  check((await text('h1')).includes(THEFT), 'search for a txid opens the transaction');
  await shot('tx');
  const cjList = await api('/v1/btc/txs?kind=wasabi2&limit=1');
  if (cjList.txs.length) {
    const cj = await api(`/v1/btc/txs/${cjList.txs[0].txid}`);
    await page.goto(BASE + `/tx/${cj.txid}`);
    await page.waitForSelector('#kinds', T);
    const kt = await text('#kinds');
    check(kt.includes('wasabi2') && kt.includes(cj.kinds[0].evidence), 'a CoinJoin tx page shows its kind with the evidence');
  } else check(false, 'no wasabi2 tx in the demo chain');
  const a0 = await api(`/v1/btc/addresses/${addr}?limit=1`);
  await page.goto(BASE + `/cluster/${a0.cluster_id}`);
  await page.waitForSelector('#explain', T);
  check((await text('h1')).includes(String(a0.cluster_id)), `cluster ${a0.cluster_id} page`);
  await fill('#q', String(tx.block_height));
  await page.click('#search button');
  await page.waitForSelector('section.group h2', T);
  const groups = await page.$$eval('section.group', s => s.map(x => x.dataset.kind));
  check(groups.includes('Blocks'), `a height finds its block, grouped by kind (${groups.join(', ')})`);

  // 3. expand the graph from the tx (mouse clicks on the canvas), then run a trace
  await page.goto(BASE + `/tx/${THEFT}`);
  await page.waitForSelector('#tograph', T);
  await page.click('#tograph');
  await page.waitForSelector('#cy canvas', T);
  await page.click('#g-clear');
  await page.waitForSelector('#g-addq', T);
  await fill('#g-addq', THEFT);
  await page.click('#g-add button');
  await page.waitForFunction(() => /[1-9]\d* nodes/.test(document.getElementById('g-count').textContent), T);
  const before = await text('#g-count');
  const spender = tx.outputs[0].spent_by.txid;
  const picked = await clickNode(spender);
  check(Array.isArray(picked) && picked.length === 1 && picked[0] === spender, `a mouse click on the canvas selects the spending tx (${picked})`);
  check((await text('#g-sel')).includes(spender), 'the selected node\'s details are shown');
  await page.waitForSelector('#s-expand', T);
  await page.click('#s-expand');
  await page.waitForFunction(b => document.getElementById('g-count').textContent !== b, T, before);
  const after = await text('#g-count');
  check(after !== before, `expanding a node grows the graph (${before} → ${after})`);
  // Escape unselects
  await page.focus('#cy');
  await page.keyboard.press('Escape');
  check(await page.evaluate(() => window.__ct_graph().$('node:selected').length) === 0, 'Escape unselects the graph\'s nodes');

  const from = `${THEFT}:0`;
  await fill('#g-trace input[name=from]', from);
  await page.select('#g-trace select[name=model]', 'haircut');
  await fill('#g-trace input[name=hops]', '50');
  const tTrace = Date.now();
  await page.click('#g-run');
  await page.waitForSelector('#endpoints tbody tr', { timeout: 60000 });
  console.log(`# trace run and drawn in ${Date.now() - tTrace} ms`);
  await shot('graph-trace');
  const direct = await directTrace(from);
  checkEndpoints(check, await page.evaluate(endpointRows), direct);

  // usable at 2,000 nodes in Firefox too
  const big = await page.evaluate(layout2000);
  check(big.n >= 2000 && big.ms < 3000, `layout of ${big.n} nodes in ${big.ms} ms`);

  // collapse peel chains; choose a labelled node with the keyboard; pin and annotate it
  const n0 = await nodes();
  await page.click('#g-peels');
  const n1 = await nodes();
  const peels = await page.evaluate(() => window.__ct_graph().nodes('[kind = "peel"]').length);
  check(direct.peel_chains.length === 0 || (peels > 0 && n1 < n0), `peel chains collapse into nodes (${peels} peel nodes, ${n0} → ${n1} nodes)`);
  await page.waitForFunction(() => document.querySelectorAll('#g-jump option').length > 1, T);
  const exOpt = await page.$$eval('#g-jump option', os => os.findIndex(o => o.textContent.startsWith('exchange:')));
  check(exOpt > 0, 'the "go to a labelled node" list offers the exchanges');
  await page.focus('#g-jump');
  for (let i = 0; i < exOpt; i++) await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#g-sel .chip'), T);
  const exNode = await value('#g-jump');
  const selNow = await page.evaluate(() => window.__ct_graph().$('node:selected').map(n => n.data('category')));
  check(exNode && selNow.length === 1 && selNow[0] === 'exchange', `arrow keys in the list select an exchange node (${exNode})`);
  await fill('#s-notetext', 'cash-out deposit: subpoena');
  await page.click('#s-note button');
  await page.click('#s-pin');
  check(await page.evaluate(id => window.__ct_graph().getElementById(id).hasClass('pinned') && window.__ct_graph().getElementById(id).data('note'), exNode) === 'cash-out deposit: subpoena', 'a node is pinned and annotated');

  // 6. save the case, reopen it, export it
  await fill('#g-case input[name=title]', 'Firefox E2E case');
  await fill('#g-case textarea', 'followed to the exchanges in Firefox');
  await page.click('#g-save');
  await waitURL(/\/cases\/\d+\?view=1/);
  const caseId = page.url().match(/cases\/(\d+)/)[1];
  await page.waitForSelector('#x-report', T);
  await shot('case');
  const saved = await api(`/v1/cases/${caseId}`);
  check(saved.title === 'Firefox E2E case' && saved.graph.nodes.length === n1 && saved.trace.endpoints.length === direct.endpoints.length, `case ${caseId} saved with the graph and endpoints (${saved.graph.nodes.length} nodes)`);
  check(saved.graph.nodes.some(n => n.note === 'cash-out deposit: subpoena' && n.pinned), 'the note and pin are saved');
  await page.click('#x-csv');
  const csvText = await waitFile(`case-${caseId}.csv`);
  const csv = (csvText || '').trim().split('\n');
  check(csvText !== null && csv[0].startsWith('source,') && csv.length === saved.graph.edges.length + 1, `CSV export downloaded: ${csv.length - 1} edges`);
  if (csvText) fs.writeFileSync(path.join(ART, 'ff-case.csv'), csvText);
  await page.click('#x-graphml');
  const gml = await waitFile(`case-${caseId}.graphml`);
  check(gml !== null && gml.includes('<graphml') && (gml.match(/<node /g) || []).length === saved.graph.nodes.length, 'GraphML export downloaded with every node');
  const popupP = new Promise(r => page.once('popup', r));
  await page.click('#x-report');
  const popup = await Promise.race([popupP, sleep(30000).then(() => null)]);
  check(popup !== null, 'the HTML report opens in a new window');
  if (popup) {
    await popup.waitForFunction(() => document.readyState === 'complete' && document.querySelector('svg'), T);
    const rep = await popup.content();
    check(rep.includes('<svg') && rep.includes('Firefox E2E case') && rep.includes('Trace endpoints'), 'HTML report with the graph as SVG and the endpoints');
    await popup.setViewport({ width: 1280, height: 800 });
    await popup.screenshot({ path: path.join(ART, 'ff-report.png') });
    await popup.close();
  }
  await page.click('#reopen');
  await page.waitForSelector('#endpoints', T);
  const reopened = await nodes();
  check(reopened === saved.graph.nodes.length, `the case reopens in the graph (${reopened} nodes)`);

  // 4. screening: a name and a CSV batch upload
  await page.goto(BASE + '/screen');
  await page.waitForSelector('#sc-q', T);
  const lists = await api('/v1/lists');
  if (SCREEN_NAME && lists.versions.length) {
    await page.focus('#sc-q');
    await page.keyboard.type(SCREEN_NAME);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#sc-out .matches li, #sc-out .empty', T);
    const top = await api(`/v1/screen/name?q=${encodeURIComponent(SCREEN_NAME)}`);
    const shown = await text('#sc-out');
    check(top.matches.length > 0 && shown.includes(top.matches[0].name) && shown.includes(top.matches[0].explanation.summary), `screening "${SCREEN_NAME}" shows the top match ${top.matches[0]?.name} with its explanation`);
    await shot('screening');
    const csvFile = path.join(ART, 'ff-batch.csv');
    fs.writeFileSync(csvFile, `name,address\n${SCREEN_NAME},${addr}\nNobody Particular Zzyzx,\n`);
    const input = await page.$('#sc-file');
    await input.uploadFile(csvFile);
    await page.click('#sc-csv button');
    await page.waitForSelector('#batch tbody tr', T);
    const batchRows = await page.$$eval('#batch tbody tr', trs => trs.map(t => t.textContent));
    check(batchRows.length === 3 && batchRows[0].includes(top.matches[0].name) && /no match/.test(batchRows[2]), `CSV batch upload: ${batchRows.length} rows screened`);
    check(await page.$('#lists') !== null, 'list versions shown');
  } else {
    check(false, 'screening: no list imported (SCREEN_NAME and a list are needed)');
  }

  // 5. KYT: the alert queue filtered, a status change, the evidence path in the graph
  await page.goto(BASE + '/alerts');
  await page.waitForSelector('#alerts tbody tr, .empty', T);
  const alerts = await api('/v1/kyt/alerts?limit=1');
  check(alerts.total > 0 && (await page.$$('#alerts tbody tr')).length > 0, `alert queue lists ${alerts.total} alerts`);
  await shot('alerts');
  const lvl = alerts.data[0].alertLevel;
  await page.select('#al-f select[name=level]', lvl);
  await page.click('#al-f button');
  await waitURL(new RegExp(`level=${lvl}`));
  await page.waitForSelector('#alerts tbody tr', T);
  const lv = await page.$$eval('#alerts tbody tr td:first-child', tds => [...new Set(tds.map(t => t.textContent.trim()))]);
  check(lv.length === 1 && lv[0] === lvl, `filter by level ${lvl}`);
  await page.click('#alerts tbody tr a');
  await page.waitForSelector('#al-graph', T);
  const alertId = page.url().split('/').pop();
  await page.select('#al-upd select[name=status]', 'closed');
  await fill('#al-upd input[name=note]', 'closed from Firefox');
  await page.click('#al-upd button');
  await page.waitForSelector('#msg.ok', T);
  const al = await api(`/v1/kyt/alerts/${alertId}`);
  check((al.alert || al).status === 'closed', 'alert status changed through the UI');
  check((await text('main')).includes('closed from Firefox'), 'the note shows in the alert\'s audit log');
  await page.click('#al-graph');
  await waitURL(/\/graph/);
  await page.waitForSelector('#cy canvas', T);
  const pathTx = (al.alert || al).path;
  const inGraph = await page.evaluate(p => p.every(t => window.__ct_graph().getElementById(t).nonempty()), pathTx);
  check(inGraph, `the alert's evidence path (${new Set(pathTx).size} txs) is in the graph`);
  await shot('alert-graph');

  // an API error is shown as a message, not a blank page
  await page.goto(BASE + '/tx/' + '0'.repeat(64));
  await page.waitForSelector('#msg:not([hidden])', T);
  check((await text('#msg')).length > 0 && (await text('main')).trim().length > 0, `an unknown tx shows the API's error (${(await text('#msg')).slice(0, 60)})`);

  // wide screen
  await page.setViewport({ width: 1920, height: 1080 });
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
  fs.rmSync(dlDir, { recursive: true, force: true });
}
console.log(`# Firefox run: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(`${failures ? 'FAILED' : 'PASSED'}: artefacts in ${ART}`);
process.exit(failures ? 1 : 0);
