// One fetch wrapper for the pages' REST calls (the schedule page, the recordings and the
// programme admin pages): JSON in and out, a timeout, no cache, and the server's coded
// errors ({"error": {"code", "message"}}, plus "rows" on a refused import) as ApiError.

const DEFAULT_TIMEOUT_MS = 15000;
const SESSION = "/api/recordings-session"; // the admin pages' sign-in (docs/recordings-api.md)

/** A failed request: the server's stable code and, when it sent one, its sentence. */
export class ApiError extends Error {
  constructor(status, code, serverMessage, rows) {
    super(serverMessage || code);
    this.status = status; // 0: no answer at all
    this.code = code;
    this.serverMessage = serverMessage || "";
    this.rows = rows || []; // a refused import's bad rows
  }

  /** The session or token is not (or no longer) accepted: sign in again. */
  get signedOut() {
    return this.status === 401;
  }
}

/**
 * Send one request; `{data, response}` (data: the decoded JSON, or null). `body` is sent
 * as JSON, or as it is with another `contentType` (a CSV file). ApiError on failure:
 * `unreachable` (status 0) when no answer came in `timeoutMs`.
 */
export async function exchange(method, path, {
  body, headers = {}, contentType = "application/json", timeoutMs = DEFAULT_TIMEOUT_MS,
  credentials = "same-origin",
} = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = contentType;
  const payload = body === undefined || contentType !== "application/json" ? body : JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, {
      method, headers: sent, body: payload, cache: "no-store", credentials,
      signal: AbortSignal.timeout(timeoutMs),
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
    const code = data?.error?.code || (response.status >= 500 ? "internal_error" : `http_${response.status}`);
    throw new ApiError(response.status, code, data?.error?.message, data?.rows);
  }
  return { data, response };
}

/**
 * The admin pages' session: the page signs in once (with the admin key, or a room's
 * admin token on the recordings page) and the server sets an HttpOnly cookie this code
 * never sees. Only the session's CSRF token is kept, in memory, and sent as X-CSRF-Token
 * with every request that changes something.
 */
export class AdminSession {
  constructor({ timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    this.csrf = "";
    this.timeoutMs = timeoutMs;
  }

  async request(method, path, { body, query, contentType } = {}) {
    const headers = method !== "GET" && this.csrf ? { "X-CSRF-Token": this.csrf } : {};
    const url = query ? `${path}?${new URLSearchParams(query)}` : path;
    const answer = await exchange(method, url, { body, headers, contentType, timeoutMs: this.timeoutMs });
    return answer.data;
  }

  /** The signed-in session, or null when there is none (or it ended). */
  async session() {
    try {
      return this.remember(await this.request("GET", SESSION));
    } catch (error) {
      if (error instanceof ApiError && error.signedOut) return null;
      throw error;
    }
  }

  async signIn(credential) {
    return this.remember(await this.request("POST", SESSION, { body: { credential } }));
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
}
