// Staying in the call across dropped connections (docs/protocol.md, "Resume"): our own
// reconnection instead of Socket.IO's, so that every reconnect goes back to the ENTRY
// address (the page's origin: whichever node serves the room now), not to a node that may
// be gone; a `moved` answer sends us on to the room's node; `join` carries the resume
// token of our last join, so the server gives us back the same seat. Methods of
// CallClient (app.js), mixed into its prototype: `this` is the CallClient.

import { ServerError } from "./messages.js";
import { peekClaims } from "../shared/token.js";
import { remember } from "./share.js";

// Back-off between attempts: 0.5 s doubling to 4 s, for as long as we want to be in.
export const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000];
// A `moved` answer sends us on; more than this many in a row is a loop: give up.
const MAX_MOVES = 3;

/** The node URL of a `moved` error, if it is a usable http(s) URL. */
export function movedUrl(err) {
  if (err?.code !== "moved" || typeof err.url !== "string") return null;
  try {
    const url = new URL(err.url, window.location.href);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

export const reconnecting = {
  /** The deployment's entry address: the page's own origin. */
  entryUrl() {
    return window.location.origin;
  },

  /** A new Socket.IO connection to `url` (the entry address unless a `moved` named a
   * node), replacing the current one, with every room event bound (signaling.js). */
  openSocket(url = this.entryUrl()) {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const old = this.socket;
    if (old) {
      old.removeAllListeners();
      old.disconnect();
    }
    const socket = window.io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
    this.socket = socket;
    this.nodeUrl = url === this.entryUrl() ? null : url; // a node a `moved` named
    this.bindSocket(socket);
    return socket;
  },

  /** Try again after the next back-off delay (a dropped or refused connection). */
  reconnectSoon() {
    if (!this.wantInCall || this.reconnectTimer) return;
    const tries = this.reconnectTries || 0;
    const delay = RECONNECT_DELAYS_MS[Math.min(tries, RECONNECT_DELAYS_MS.length - 1)];
    this.reconnectTries = tries + 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wantInCall) this.openSocket(this.entryUrl());
    }, delay);
  },

  stopReconnecting() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.reconnectTries = 0;
    this.moves = 0;
  },

  /** `join` on the current connection: with our resume token if we have one; if the
   * grace period is over (`resume_expired`), again as a new arrival, setting
   * `this.graceOver`. A `resume_invalid` (another window joined as us since) is thrown:
   * joining afresh would take the call away from that window (signaling.js stops). */
  async joinRequest() {
    const named = this.claims?.share && this.shareName ? { display_name: this.shareName } : {};
    const payload = { token: this.token, ...named };
    this.graceOver = false;
    if (this.resumeToken) {
      try {
        return await this.request("join", { ...payload, resume_token: this.resumeToken });
      } catch (err) {
        if (!(err instanceof ServerError) || err.code !== "resume_expired") throw err;
        this.resumeToken = null;
        this.graceOver = true;
      }
    }
    return this.request("join", payload);
  },

  /** A join refused with `moved` (or the `moved` event of a draining node): connect to
   * the room's node instead. True if we did. */
  followMoved(err) {
    const url = movedUrl(err);
    if (!url || (this.moves || 0) >= MAX_MOVES) return false;
    this.moves = (this.moves || 0) + 1;
    if (typeof err.token === "string" && err.token && this.sharedToken) {
      // a shareable link's join made us a personal token: keep that identity there
      remember(this.sharedToken, err.token);
      this.token = err.token;
      this.claims = peekClaims(err.token) || this.claims;
    }
    this.openSocket(url);
    return true;
  },
};
