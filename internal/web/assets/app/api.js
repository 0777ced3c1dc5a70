// The JSON API client: the API key from sessionStorage, errors as exceptions
// carrying the server's {"error": …} message.

const KEY = 'chaintrace.apikey';

export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setApiKey(k) { k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY); }

export class APIError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

export async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  const k = apiKey();
  if (k) headers['X-API-Key'] = k;
  let body = opts.body;
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, { method: opts.method || 'GET', headers, body });
  } catch (e) {
    throw new APIError(0, `cannot reach the server (${e.message})`);
  }
  if (opts.raw) {
    if (!res.ok) throw new APIError(res.status, await errorText(res));
    return res;
  }
  if (!res.ok) throw new APIError(res.status, await errorText(res));
  return res.json();
}

async function errorText(res) {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const j = await res.json();
    if (j && j.error) msg = j.error;
  } catch (_) { /* not JSON */ }
  if (res.status === 401 || res.status === 403) msg += ' — enter an API key (top right)';
  return msg;
}

// Satoshis as BTC with 8 decimals.
export function btc(sat) {
  if (sat === undefined || sat === null) return '';
  const neg = sat < 0; let s = Math.abs(sat);
  const whole = Math.floor(s / 1e8), frac = String(s % 1e8).padStart(8, '0');
  return (neg ? '-' : '') + whole.toLocaleString('en-US') + '.' + frac;
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export function short(s, n = 8) {
  s = String(s || '');
  return s.length > 2 * n + 1 ? s.slice(0, n) + '…' + s.slice(-n) : s;
}

// Map a label category or trace node kind to a colour class of the graph.
export function colourClass(cat) {
  switch (cat) {
    case 'exchange': case 'processor': case 'merchant': return 'exchange';
    case 'mixer': return 'mixer';
    case 'coinjoin': return 'coinjoin';
    case 'sanctions': case 'sanctioned': return 'sanctioned';
    case 'stolen': case 'perpetrator': case 'ransomware': case 'scam': case 'darknet': return 'stolen';
    case 'peel': return 'peel';
    default: return 'unknown';
  }
}
