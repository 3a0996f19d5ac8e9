// Staying in the call across dropped connections (docs/protocol.md, "Resume"): our own
// reconnection instead of Socket.IO's, so that every reconnect goes back to the ENTRY
// address (the page's origin: whichever node serves the room now), not to a node that may
// be gone; a `moved` answer sends us on to the room's node; `join` carries the resume
// token of our last join, so the server gives us back the same seat; our peer connections
// are kept through the drop and, when the node that holds their server side lived, their
// ICE is restarted instead of making new ones. Methods of
// CallClient (app.js), mixed into its prototype: `this` is the CallClient.

import { ServerError } from "./messages.js";
import { peekClaims } from "../shared/token.js";
import { remember } from "./share.js";
import { waitForIceGathering } from "./rtc.js";

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
      const restart = this.mediaKept() ? { ice_restart: true } : {};
      try {
        return await this.request("join", { ...payload, resume_token: this.resumeToken, ...restart });
      } catch (err) {
        if (!(err instanceof ServerError) || err.code !== "resume_expired") throw err;
        this.resumeToken = null;
        this.graceOver = true;
      }
    }
    return this.request("join", payload);
  },

  /** Whether we kept peer connections through a drop that an ICE restart can save:
   * none has failed or closed (the server's side may still have; it says so). */
  mediaKept() {
    const pcs = [this.publishPc, this.subscriber?.pc].filter(Boolean);
    return pcs.length > 0 && pcs.every((pc) => !["failed", "closed"].includes(pc.connectionState));
  },

  /** Restart ICE on our publish connection (the node kept its side): new credentials in
   * an offer on the same connection; the server restarts its side and answers. */
  async restartPublishIce() {
    const pc = this.publishPc;
    if (!pc) return this.publish(); // nothing published before the drop: publish now
    try {
      pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIceGathering(pc);
      if (pc !== this.publishPc) return undefined;
      const ack = await this.request("publish", { sdp: pc.localDescription.sdp });
      if (pc !== this.publishPc) return undefined;
      await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
      // tell the room again about anything muted (the server withdrew our tracks)
      if (this.micMuted && this.localStream?.getAudioTracks().length) this.sendMute("audio", true);
      if (this.cameraOff && this.localStream?.getVideoTracks().length) this.sendMute("video", true);
    } catch (err) {
      if (pc === this.publishPc && this.wantInCall) this.republish(pc); // a new one, then
    }
    return undefined;
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
