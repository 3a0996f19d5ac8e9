// The signaling connection of the call: one Socket.IO connection (a new one on every
// reconnect: reconnect.js), `join` (again on every reconnect, resuming our seat), the
// room's events and the one subscribe connection (SubscriberLink) the
// server renegotiates (docs/protocol.md). Methods of CallClient (app.js), mixed into its
// prototype: `this` is the CallClient.

import { ERROR_TEXT, ServerError, describeError, mediaPathText } from "./messages.js";
import { peekClaims } from "../shared/token.js";
import { SubscriberLink } from "./subscriber.js";
import { remember, typedName } from "./share.js";
import { CONNECT_WATCH_MS } from "./publish.js";

const ACK_TIMEOUT_MS = 10000;

export const signaling = {
  /** Emit with an ack; resolve with the ok ack, reject with a ServerError. */
  request(event, payload) {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      if (!socket) {
        reject(new ServerError("not_joined"));
        return;
      }
      socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, resp) => {
        if (err) reject(new ServerError("timeout"));
        else if (!resp || typeof resp !== "object") reject(new ServerError("internal_error"));
        else if (!resp.ok) {
          const e = resp.error || {};
          const error = new ServerError(e.code || "internal_error", e.message, e.retry_after_s);
          if (typeof e.url === "string") error.url = e.url; // `moved`: the room's node
          if (typeof e.token === "string") error.token = e.token; // `moved`: our own token
          reject(error);
        }
        else resolve(resp);
      });
    });
  },

  join() {
    if (this.wantInCall || this.openTimer) return;
    if (this.claims?.share) {
      this.shareName = typedName();
      if (!this.shareName) {
        this.status("Please type your name first, so the others know who you are.");
        return;
      }
    }
    this.wantInCall = true;
    this.errorCode = null;
    this.setState("joining");
    this.status("Joining the call…");
    this.resumeToken = null;
    this.stopReconnecting();
    this.openSocket(this.entryUrl()); // reconnect.js
  },

  /** Every event of a new connection (reconnect.js opens one per attempt). */
  bindSocket(socket) {
    socket.on("connect", () => this.onConnect(socket));
    socket.on("disconnect", (reason) => this.onDisconnect(socket, reason));
    socket.on("connect_error", () => {
      if (socket !== this.socket || !this.wantInCall) return;
      if (this.state === "joining") this.status(ERROR_TEXT.unreachable);
      this.reconnectSoon();
    });
    socket.on("participant_joined", (msg) => this.onParticipantJoined(msg));
    socket.on("participant_left", (msg) => this.onParticipantLeft(msg));
    socket.on("track_published", (msg) => this.onTrackPublished(msg));
    socket.on("track_muted", (msg) => this.onTrackMuted(msg));
    socket.on("replaced", (msg) => this.onReplaced(socket, msg));
    // Our node drains (SIGTERM): our room is served by the node at `url` now.
    socket.on("moved", (msg) => {
      if (socket === this.socket && this.wantInCall) this.followMoved({ code: "moved", url: msg?.url });
    });
    socket.on("room_ended", (msg) => this.onRoomEnded(socket, msg));
    socket.on("media_failed", (msg) => this.onMediaFailed(socket, msg));
    socket.on("subscriber_offer", (msg) => this.onSubscriberOffer(socket, msg));
    socket.on("video_slots", (msg) => {
      if (socket === this.socket) this.subscriber?.slots(msg);
    });
    this.roundtable.bind(socket);
    this.recording.bind(socket);
  },

  async onConnect(socket) {
    console.info("mentorcall: connected");
    if (socket !== this.socket || !this.wantInCall) return;
    // A (re)connection: start from a clean slate (new peer connections) and join with
    // the same token and our resume token: within the grace period the server gives us
    // back the same seat (reconnect.js).
    this.closePeerConnections();
    let ack;
    try {
      ack = await this.joinRequest();
    } catch (err) {
      if (socket !== this.socket) return;
      if (this.followMoved(err)) return; // the room lives on another node: go there
      if (err.code === "resume_invalid") {
        // Another window joined as us while we were away: it keeps the call.
        this.onReplaced(socket, { message: ERROR_TEXT.resume_invalid });
        return;
      }
      if (this.joinedOnce && ["timeout", "unavailable", "internal_error"].includes(err.code)) {
        socket.disconnect(); // a node that cannot serve us just now: try again
        this.reconnectSoon();
        return;
      }
      this.fail(err);
      return;
    }
    if (socket !== this.socket || !this.wantInCall) return;
    this.reconnectTries = 0;
    this.moves = 0;
    this.resumeToken = typeof ack.resume_token === "string" ? ack.resume_token : null;
    if (typeof ack.token === "string" && ack.token && this.sharedToken) {
      // Our own token from now on (reconnects, after `admitted`): never the shared one again.
      remember(this.sharedToken, ack.token);
      this.token = ack.token;
      this.claims = peekClaims(ack.token) || this.claims;
    }
    if (ack.waiting) {
      // A roundtable's lobby: no media, no room events until a host admits us.
      this.setState("lobby");
      this.view.renderHeader(null, { title: "Roundtable" });
      this.status(ack.message || "Waiting for a host to let you in.");
      return;
    }
    this.me = ack.you;
    this.room = ack.room.room;
    // A breakout's pair room stays open a little past the breakout: show the breakout's end.
    if (this.room?.parent && Number.isFinite(ack.pair?.ends_at)) {
      this.room = { ...this.room, expires_at: ack.pair.ends_at, title: `${this.room.title || "Roundtable"} · breakout` };
    }
    this.iceServers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
    this.participants.clear();
    for (const p of ack.room.participants) {
      if (p.identity !== this.me.identity) this.participants.set(p.identity, p);
    }
    this.view.renderHeader(this.me, this.room);
    const onward = this.roundtable.onJoined(ack);
    if (onward) {
      // Back in the roundtable while our pair's breakout runs: on to the pair.
      await this.moveTo(onward, { leaveFirst: true });
      return;
    }
    this.renderRemotes();
    this.recording.onJoined(ack);
    this.notes.joined(socket, this.me, this.room, this.participants);
    const reconnected = this.joinedOnce;
    this.joinedOnce = true;
    this.updateCallState();
    this.status(!reconnected ? this.callStatusText()
      : this.graceOver ? "You were away too long to keep your place, so you rejoined the call as a new arrival."
        : "Reconnected.");
    if (ack.subscriber_offer) this.onSubscriberOffer(socket, ack.subscriber_offer);
    await this.publish();
  },

  /** Join another room on the same connection with `token` (a breakout pair, or back to
   * the roundtable), keeping our camera and microphone: only the peer connections are new.
   * With `leaveFirst` we leave the current room first (otherwise the server already took
   * us out). */
  async moveTo(token, { leaveFirst = false } = {}) {
    const socket = this.socket;
    if (!socket || !this.wantInCall) return;
    if (leaveFirst) await this.request("leave", {}).catch(() => {});
    if (socket !== this.socket || !this.wantInCall) return;
    this.token = token;
    this.claims = peekClaims(token) || this.claims;
    this.resumeToken = null; // it was for the room we leave
    this.closePeerConnections();
    this.participants.clear();
    this.roundtable.model.reset();
    this.joinedOnce = false;
    this.setState("joining");
    await this.onConnect(socket);
  },

  onDisconnect(socket, reason) {
    console.info(`mentorcall: connection closed (${reason})`);
    if (socket !== this.socket || !this.wantInCall) return;
    if (reason === "io server disconnect") {
      // The server closed us on purpose (e.g. the room ended): don't retry blindly.
      this.wantInCall = false;
      this.teardown({ stopMedia: true });
      this.view.showNotice("You were disconnected", "The server ended this connection.", {
        action: "rejoin",
      });
      this.setState("error");
      this.status("Disconnected by the server.");
      return;
    }
    // The network or the server went away: the server closes our media and keeps our
    // seat for its grace period; we reconnect (to the entry address) and resume it.
    this.notes.offline();
    this.closePeerConnections();
    this.reconnectSoon();
    if (!this.joinedOnce) return; // still making the first connection
    this.setState("reconnecting");
    this.status("Connection lost. Reconnecting…");
  },

  onReplaced(socket, msg) {
    if (socket !== this.socket) return;
    this.wantInCall = false;
    this.teardown({ stopMedia: true });
    this.view.showNotice(
      "You joined from somewhere else",
      "This call is now open in another tab or device, so this window has been disconnected.",
      { action: "rejoin", actionLabel: "Use this window instead" },
    );
    this.setState("replaced");
    this.status(msg?.message || "This call was opened somewhere else.");
  },

  onRoomEnded(socket, msg) {
    if (socket !== this.socket) return;
    if (this.roundtable.active) {
      this.roundtable.onRoomEnded(msg);
      return;
    }
    this.finish("ended", "This session has ended",
      "Its booked time is over. Thank you for meeting — see you next time.",
      { status: msg?.message || "This session's time is over." });
  },

  /** Out of the call for good (or until Rejoin): close everything, show a notice. */
  finish(state, heading, text, { action = null, actionLabel, status = text } = {}) {
    this.wantInCall = false;
    this.teardown({ stopMedia: true });
    this.view.showNotice(heading, text, { action, actionLabel });
    this.setState(state);
    this.status(status);
  },

  onParticipantJoined({ participant }) {
    if (!participant || participant.identity === this.me?.identity) return;
    const returning = this.lastLeft === participant.identity;
    this.leftName = null;
    this.participants.set(participant.identity, participant);
    this.notes.setPeople(this.participants);
    this.renderRemotes();
    this.updateCallState();
    this.status(`${participant.display_name} ${returning ? "is back" : "joined the call"}.`);
  },

  onParticipantLeft({ identity, reason }) {
    const p = this.participants.get(identity);
    if (!p) return;
    this.participants.delete(identity);
    this.notes.setPeople(this.participants);
    this.lastLeft = identity;
    this.leftName = p.display_name;
    this.renderRemotes();
    this.updateCallState();
    if (reason === "replaced") return; // they reopened the call elsewhere; they'll be back
    this.status(
      reason === "disconnected"
        ? `${p.display_name} lost their connection and left the call.`
        : reason === "removed"
          ? `${p.display_name} was removed by a host.`
          : `${p.display_name} left the call.`,
    );
  },

  onTrackPublished({ identity, tracks }) {
    const p = this.participants.get(identity);
    if (!p) return;
    p.tracks = tracks || [];
    this.renderRemotes(); // the server's next subscriber_offer adds or removes their media
  },

  onTrackMuted({ identity, kind, muted }) {
    const p = this.participants.get(identity);
    if (!p) return;
    p.tracks = p.tracks || [];
    const tracks = p.tracks.filter((t) => t.kind === kind);
    if (tracks.length) for (const t of tracks) t.muted = muted;
    else p.tracks.push({ kind, track_id: "", muted });
    this.renderRemotes();
    const what = kind === "audio" ? "microphone" : "camera";
    this.status(`${p.display_name} turned their ${what} ${muted ? "off" : "on"}.`);
  },

  // The server lost one of our media connections (docs/protocol.md, media_failed):
  // publish or subscribe again. Our own "failed" connection state does the same; each
  // path ignores a connection the other one already replaced.
  onMediaFailed(socket, { connection } = {}) {
    if (socket !== this.socket || !this.wantInCall) return;
    if (connection === "publish") {
      const pc = this.publishPc;
      // a publish still connecting is the replacement, not the connection that failed
      if (pc && pc.connectionState !== "new" && pc.connectionState !== "connecting") {
        this.republish(pc);
      }
      return;
    }
    // "subscriber": the server opens a new subscribe connection and offers it next
    if (connection === "subscriber") this.status(this.subscriberDroppedText());
  },

  /** The subscribe connection failed: it dropped, or (never connected) its network path
   * to the server is refused (mediaPathText). */
  subscriberDroppedText() {
    return this.subscriber?.connectedOnce ? "The connection to the others dropped. Reconnecting…"
      : `${mediaPathText(window.location.hostname)} Trying again…`;
  },

  // An offer on our subscribe connection (the join ack's, then subscriber_offer events).
  onSubscriberOffer(socket, offer) {
    if (socket !== this.socket || !this.wantInCall) return;
    if (!this.subscriber) {
      this.subscriber = new SubscriberLink({
        iceServers: this.iceServers,
        sendAnswer: (payload) => this.request("subscriber_answer", payload),
        restart: () => {
          this.status(this.subscriberDroppedText());
          return this.request("subscriber_restart", {});
        },
        connectWatchMs: CONNECT_WATCH_MS,
        onRestored: () => this.status("Reconnected: the others' media is back."),
        onSlots: () => this.renderRemotes(),
        onStream: (identity, stream) => {
          if (stream) this.view.attachRemoteStream(identity, stream);
          else this.view.detachRemoteStream(identity);
        },
        onError: (err) => {
          if (err.code === "stale_answer" || err.code === "unknown_subscription") return; // a newer offer follows
          this.status(`Couldn't receive the others' video. ${describeError(err)}`);
          if (!(err instanceof ServerError)) console.error(err);
        },
      });
    }
    this.subscriber.offer(offer);
  },
};
