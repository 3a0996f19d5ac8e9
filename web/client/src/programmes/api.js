// The programmes admin API (docs/programmes-api.md) with the admin pages' session
// (shared/http.js): the page signs in once with the admin key (the same sign-in as the
// recordings page) and keeps nothing but the session's CSRF token, in memory.

import { AdminSession } from "../shared/http.js";

const TIMEOUT_MS = 30000; // a matching of a large programme takes a few seconds

export class AdminApi extends AdminSession {
  constructor() {
    super({ timeoutMs: TIMEOUT_MS });
  }

  base(id) {
    return `/api/programmes/${encodeURIComponent(id)}`;
  }

  list() { return this.request("GET", "/api/programmes"); }
  programme(id) { return this.request("GET", this.base(id)); }
  create(body) { return this.request("POST", "/api/programmes", { body }); }
  people(id) { return this.request("GET", `${this.base(id)}/people`); }
  importCsv(id, file) {
    return this.request("POST", `${this.base(id)}/people.csv`, { body: file, contentType: "text/csv" });
  }
  runMatching(id) { return this.request("POST", `${this.base(id)}/matching`, { body: {} }); }
  async matching(id) {
    try {
      return await this.request("GET", `${this.base(id)}/matching`);
    } catch (err) {
      if (err.code === "not_matched") return null;
      throw err;
    }
  }
  lock(id, mentee, locked) {
    return this.request("POST", `${this.base(id)}/matching/lock`, { body: { mentee, locked } });
  }
  swap(id, a, b) {
    return this.request("POST", `${this.base(id)}/matching/swap`, { body: { mentee_a: a, mentee_b: b } });
  }
  publish(id) { return this.request("POST", `${this.base(id)}/publish`); }
  coffee(id) { return this.request("POST", `${this.base(id)}/coffee-rounds`, { body: {} }); }
  dashboard(id) { return this.request("GET", `${this.base(id)}/dashboard`); }
  intros(id) { return this.request("GET", `${this.base(id)}/intros`); }
  coffeeRounds(id) { return this.request("GET", `${this.base(id)}/coffee-rounds`); }
}

/** What to tell the admin for an error: the server's sentence (it names the problem). */
export function errorText(err) {
  if (err?.code === "session_expired") return "Your admin session has ended: sign in again.";
  if (err?.code === "unreachable") return "Can't reach the server. Check the connection and try again.";
  if (err?.status && !err.serverMessage) return `The server answered ${err.status}.`;
  return err?.message || "Something went wrong. Please try again.";
}
