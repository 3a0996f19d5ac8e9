// The recordings admin API (docs/recordings-api.md) with the page's session cookie.
// The cookie is HttpOnly: this code never sees it. It keeps the session's CSRF token in
// memory and sends it as X-CSRF-Token with every request that changes something.

const REQUEST_TIMEOUT_MS = 15000;

/** A failed request: the server's stable code and, when it sent one, its sentence. */
export class ApiError extends Error {
  constructor(status, code, serverMessage) {
    super(serverMessage || code);
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage || "";
  }

  /** The session is gone (expired, signed out elsewhere, tampered): sign in again. */
  get signedOut() {
    return this.status === 401;
  }
}

export class AdminApi {
  constructor() {
    this.csrf = "";
  }

  async request(method, path, { body, query } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["X-CSRF-Token"] = this.csrf;
    const url = query ? `${path}?${new URLSearchParams(query)}` : path;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "same-origin",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      throw new ApiError(0, "unreachable");
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || `http_${response.status}`, error.message);
    }
    return data;
  }

  /** The signed-in session, or null when there is none (or it ended). */
  async session() {
    try {
      return this.remember(await this.request("GET", "/api/recordings-session"));
    } catch (error) {
      if (error instanceof ApiError && error.signedOut) return null;
      throw error;
    }
  }

  async signIn(credential) {
    return this.remember(await this.request("POST", "/api/recordings-session",
      { body: { credential } }));
  }

  async signOut() {
    try {
      await this.request("DELETE", "/api/recordings-session");
    } finally {
      this.csrf = "";
    }
  }

  remember(session) {
    this.csrf = session.csrf_token;
    return session;
  }

  recordings(filters) {
    return this.request("GET", "/api/recordings", { query: filters });
  }

  recording(id) {
    return this.request("GET", `/api/recordings/${encodeURIComponent(id)}`);
  }

  remove(id) {
    return this.request("DELETE", `/api/recordings/${encodeURIComponent(id)}`);
  }

  /** A signed, short-lived URL of one file, as a path on this server. */
  async link(id, name) {
    const path = `/api/recordings/${encodeURIComponent(id)}/files/${encodeURIComponent(name)}/link`;
    const answer = await this.request("POST", path);
    const url = new URL(answer.url, window.location.origin);
    return { path: url.pathname + url.search, expiresAt: answer.expires_at };
  }

  audit(recordingId) {
    const query = { limit: "200" };
    if (recordingId) query.recording_id = recordingId;
    return this.request("GET", "/api/recordings-audit", { query });
  }
}
