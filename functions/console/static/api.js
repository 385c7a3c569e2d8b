// The HTTP API, with the key this browser keeps (localStorage): it goes as x-api-key.

const KEY_STORAGE = "solroute.apiKey";
const DEMO_KEY_STORAGE = "solroute.apiKeyIsDemo"; // the key kept is the local cloud's demo key, which a restart changes

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function keptKeyIsDemo() {
  return Boolean(localStorage.getItem(DEMO_KEY_STORAGE));
}

export function keepKey(key, isDemo) {
  localStorage.setItem(KEY_STORAGE, key);
  if (isDemo) localStorage.setItem(DEMO_KEY_STORAGE, "1");
  else localStorage.removeItem(DEMO_KEY_STORAGE);
}

export function forgetKey() {
  localStorage.removeItem(KEY_STORAGE);
  localStorage.removeItem(DEMO_KEY_STORAGE);
}

export class ApiError extends Error {
  constructor(status, body) {
    // The engine's {"error": {...}}, or API Gateway's own {"message": "..."} (a refused key, no route).
    const error = (body && body.error) || {};
    let message = error.message || (body && typeof body.message === "string" && body.message) || (typeof body === "string" && body) || `HTTP ${status}`;
    if (Array.isArray(error.details) && error.details.length && !error.message) {
      message = error.details.map((d) => `${d.field}: ${d.message}`).join("; ");
    }
    super(message);
    this.status = status;
    this.code = error.code || "";
    this.details = error.details;
  }
}

export async function api(method, path, { params, body } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { "x-api-key": apiKey() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (_) { /* not JSON: keep the text */ }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}
