// The scheduling REST API (docs/scheduling-api.md), called with the person token.

import { exchange } from "../shared/http.js";

export { ApiError } from "../shared/http.js";

const SLOTS_PAGE = 200; // slots per request; the server sends a Link to the next page

export class ScheduleApi {
  constructor(token) {
    this.token = token;
  }

  async request(method, path, body) {
    return (await this.exchange(method, path, body)).data;
  }

  /** The decoded answer and the response (for its headers); ApiError on failure. */
  exchange(method, path, body) {
    return exchange(method, path, { body, headers: { Authorization: `Bearer ${this.token}` } });
  }

  me() {
    return this.request("GET", "/api/me");
  }

  saveAvailability(availability) {
    return this.request("PUT", "/api/me/availability", availability);
  }

  /** The first page of common slots: `{slots, next}` (see slotsPage); `zone`: the zone
   * the page shows times in (each slot's `shown`). */
  slots({ withIdentity, from, to, length, zone }) {
    const query = new URLSearchParams({
      with: withIdentity, from, to, length: String(length), limit: String(SLOTS_PAGE),
    });
    if (zone) query.set("zone", zone);
    return this.slotsPage(`/api/slots?${query}`);
  }

  /** One page of slots and `next`, the path of the following page (null if none). */
  async slotsPage(path) {
    const { data, response } = await this.exchange("GET", path);
    const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("Link") || "");
    // Same origin as this page, whatever public URL the server puts in the link.
    const next = link ? new URL(link[1], window.location.href) : null;
    return { slots: listOf(data, "slots"), next: next ? next.pathname + next.search : null };
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

  /** This person's open action items, per mentoring pair and roundtable series (docs/notes-api.md). */
  openItems() {
    return this.request("GET", "/api/notes/items");
  }

  /** Close (or reopen) an item of a pair (`group.other`) or a series (`group.series_id`):
   * everywhere, live notes included. */
  setItemDone(group, itemId, done) {
    const owner = group.kind === "series"
      ? `series/${encodeURIComponent(group.series_id)}`
      : `pairs/${encodeURIComponent(group.other)}`;
    return this.request("PATCH", `/api/notes/${owner}/items/${encodeURIComponent(itemId)}`, { done });
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
