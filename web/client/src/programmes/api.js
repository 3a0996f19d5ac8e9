// The programmes admin API (docs/programmes-api.md), called with the admin key. The key
// is kept in this tab's sessionStorage only (never in a URL or localStorage) and sent as
// `Authorization: Bearer`.

const KEY = "mentorcall.adminKey";
const TIMEOUT_MS = 30000;

export class AdminError extends Error {
  constructor(status, code, message, rows) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.rows = rows || [];
  }
}

export function storedKey() {
  return sessionStorage.getItem(KEY) || "";
}

export function storeKey(key) {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

export class AdminApi {
  constructor(key) {
    this.key = key;
  }

  async request(method, path, body, contentType = "application/json") {
    const headers = { Authorization: `Bearer ${this.key}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = contentType;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined || contentType !== "application/json" ? body : JSON.stringify(body),
        cache: "no-store",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new AdminError(0, "unreachable", "Can't reach the server. Check the connection and try again.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      throw new AdminError(response.status, data?.error?.code || "internal_error",
        data?.error?.message || `The server answered ${response.status}.`, data?.rows);
    }
    return data;
  }

  base(id) {
    return `/api/programmes/${encodeURIComponent(id)}`;
  }

  programme(id) { return this.request("GET", this.base(id)); }
  create(body) { return this.request("POST", "/api/programmes", body); }
  people(id) { return this.request("GET", `${this.base(id)}/people`); }
  importCsv(id, file) { return this.request("POST", `${this.base(id)}/people.csv`, file, "text/csv"); }
  runMatching(id) { return this.request("POST", `${this.base(id)}/matching`, {}); }
  async matching(id) {
    try {
      return await this.request("GET", `${this.base(id)}/matching`);
    } catch (err) {
      if (err.code === "not_matched") return null;
      throw err;
    }
  }
  lock(id, mentee, locked) { return this.request("POST", `${this.base(id)}/matching/lock`, { mentee, locked }); }
  swap(id, a, b) { return this.request("POST", `${this.base(id)}/matching/swap`, { mentee_a: a, mentee_b: b }); }
  publish(id) { return this.request("POST", `${this.base(id)}/publish`); }
  coffee(id) { return this.request("POST", `${this.base(id)}/coffee-rounds`, {}); }
  dashboard(id) { return this.request("GET", `${this.base(id)}/dashboard`); }
}

/** What to tell the admin for an error: the server's sentence (it names the problem). */
export function errorText(err) {
  if (err?.code === "unauthorized") return "That admin key is not the server's. Sign in again.";
  return err?.message || "Something went wrong. Please try again.";
}
