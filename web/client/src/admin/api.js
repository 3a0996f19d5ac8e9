// The recordings admin API (docs/recordings-api.md) with the admin pages' session
// (shared/http.js: the HttpOnly cookie, the CSRF token kept in memory).

import { AdminSession } from "../shared/http.js";

export { ApiError } from "../shared/http.js";

export class AdminApi extends AdminSession {
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
