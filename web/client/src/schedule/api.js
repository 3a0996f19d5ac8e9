// The scheduling REST API (docs/scheduling-api.md), called with the person token.

const REQUEST_TIMEOUT_MS = 15000;

/** A failed request: the server's stable code and, when it sent one, its sentence. */
export class ApiError extends Error {
  constructor(status, code, serverMessage) {
    super(serverMessage || code);
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage || "";
  }
}

export class ScheduleApi {
  constructor(token) {
    this.token = token;
  }

  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
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
      const code = data?.error?.code || (response.status >= 500 ? "internal_error" : "unexpected");
      throw new ApiError(response.status, code, data?.error?.message);
    }
    return data;
  }

  me() {
    return this.request("GET", "/api/me");
  }

  saveAvailability(availability) {
    return this.request("PUT", "/api/me/availability", availability);
  }

  /** Common free slots; `zone`: the zone the page shows times in (each slot's `shown`). */
  slots({ withIdentity, from, to, length, zone }) {
    const query = new URLSearchParams({ with: withIdentity, from, to, length: String(length) });
    if (zone) query.set("zone", zone);
    return this.request("GET", `/api/slots?${query}`);
  }

  book({ withIdentity, start, length }) {
    return this.request("POST", "/api/bookings", { with: withIdentity, start, length });
  }

  /** Upcoming sessions, with their times in `zone` (each booking's `shown`). */
  bookings(zone) {
    const query = zone ? `?${new URLSearchParams({ zone })}` : "";
    return this.request("GET", `/api/me/bookings${query}`);
  }

  /** The server's zones with their offsets now (the zone picker's list). */
  zones() {
    return this.request("GET", "/api/zones");
  }

  reschedule(bookingId, { start, length }) {
    return this.request("PATCH", `/api/bookings/${encodeURIComponent(bookingId)}`, { start, length });
  }

  cancel(bookingId) {
    return this.request("DELETE", `/api/bookings/${encodeURIComponent(bookingId)}`);
  }
}

/** A list from a response that is either the list itself or `{key: [...]}`. */
export function listOf(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  return [];
}
