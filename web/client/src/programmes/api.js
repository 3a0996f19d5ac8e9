// The programmes admin API (docs/programmes-api.md) with the admin pages' session cookie:
// the page signs in once with the admin key (POST /api/recordings-session, the same
// sign-in as the recordings page) and the server sets an HttpOnly cookie this code never
// sees. The key is not kept anywhere by the page; the session's CSRF token is kept in
// memory and sent as X-CSRF-Token with every request that changes something.

const SESSION = "/api/recordings-session";
const TIMEOUT_MS = 30000;

export class AdminError extends Error {
  constructor(status, code, message, rows) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.rows = rows || [];
  }
}

export class AdminApi {
  constructor() {
    this.csrf = "";
  }

  async request(method, path, body, contentType = "application/json") {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = contentType;
    if (method !== "GET" && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined || contentType !== "application/json" ? body : JSON.stringify(body),
        cache: "no-store",
        credentials: "same-origin",
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

  /** The signed-in session ({admin_key, expires_at, csrf_token}), or null. */
  async session() {
    try {
      return this.remember(await this.request("GET", SESSION));
    } catch (err) {
      if (err.status === 401) return null;
      throw err;
    }
  }

  async signIn(credential) {
    return this.remember(await this.request("POST", SESSION, { credential }));
  }

  async signOut() {
    try {
      await this.request("DELETE", SESSION);
    } finally {
      this.csrf = "";
    }
  }

  remember(session) {
    this.csrf = session?.csrf_token || "";
    return session;
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
  if (err?.code === "session_expired") return "Your admin session has ended: sign in again.";
  return err?.message || "Something went wrong. Please try again.";
}
