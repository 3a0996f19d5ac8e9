// mentorcall join page: one Socket.IO connection, one publish peer connection and one
// subscribe peer connection that the server renegotiates (subscriber.js; docs/protocol.md).

import {
  ERROR_HEADING,
  ERROR_TEXT,
  RETRYABLE,
  ServerError,
  describeError,
  opensAtLabel,
  opensAtText,
  otherRoleText,
  roleLabel,
} from "./messages.js";
import {
  collectLocalStats,
  collectRemoteStats,
  createPublishOffer,
  watchConnecting,
} from "./rtc.js";
import { opensFromLocation, peekClaims, tokenFromLocation } from "../shared/token.js";
import { SubscriberLink } from "./subscriber.js";
import { CallView } from "./view.js";
import { RoundtableController } from "./roundtable/controller.js";
import { askForName, remember, rememberedToken, typedName } from "./share.js";

const ACK_TIMEOUT_MS = 10000;
const LEAVE_WAIT_MS = 2000;
// A media connection not connected this long after its answer is started again (the
// wait doubles for each further try with the same person, up to 4 times as long).
const CONNECT_WATCH_MS = 10000;
const OPEN_CHECK_MS = 1000;
// The server said "not yet" although this device thinks the room is open: its clock runs
// ahead. Let the person try again after this long.
const NOT_YET_RETRY_MS = 5000;

const ROUNDTABLE_ROLES = new Set(["host", "co-host", "participant", "observer"]);

class CallClient {
  constructor(token, view) {
    this.token = token;
    this.claims = token ? peekClaims(token) : null;
    // A roundtable's shareable link: come back as the person this tab became before.
    this.sharedToken = this.claims?.share ? token : null;
    this.shareName = null;
    const personal = this.sharedToken && rememberedToken(this.sharedToken);
    if (personal) {
      this.token = personal;
      this.claims = peekClaims(personal);
    }
    this.view = view;
    // Before joining, the page knows the room's kind only from the link's role.
    if (ROUNDTABLE_ROLES.has(this.claims?.role)) view.renderHeader(null, { title: "Roundtable" });
    this.state = "loading";
    this.errorCode = null;
    this.socket = null;
    this.localStream = null;
    this.micMuted = false;
    this.cameraOff = false;
    this.withoutCamera = false; // the person chose to join without camera/microphone
    this.me = null;
    this.room = null;
    this.iceServers = [];
    this.participants = new Map(); // identity -> participant (others only)
    this.subscriber = null; // the one subscribe connection (SubscriberLink)
    this.subscriptionsOpened = 0; // by earlier SubscriberLinks (stats for tests)
    this.offersAnswered = 0;
    this.publishPc = null;
    this.wantInCall = false; // true between "Join" and leaving (or a fatal error)
    this.joinedOnce = false; // this connection attempt has joined at least once
    this.leftName = null;
    this.lastLeft = null;
    // The token's `nbf`: the room refuses this link until then.
    this.opensAt = Number.isFinite(this.claims?.nbf) ? this.claims.nbf * 1000 : null;
    // The same instant as the server wrote it in the person's zone (shown as is).
    const opens = opensFromLocation();
    this.opensLocal = opens && Date.parse(opens) === this.opensAt ? opens : null;
    this.openTimer = null;
    this.hardMutes = { audio: false, video: false }; // a roundtable host turned these off
    this.roundtable = new RoundtableController(this);
  }

  get mayPublish() {
    return this.claims?.grants?.publish !== false;
  }

  get maySubscribe() {
    return this.claims?.grants?.subscribe !== false;
  }

  // ---- page states ------------------------------------------------------

  setState(state) {
    this.state = state;
    this.view.showState(state);
    this.renderWaiting();
  }

  status(text) {
    this.view.status(text);
  }

  renderWaiting() {
    this.view.renderWaiting(this.state, { who: otherRoleText(this.me?.role), leftName: this.leftName });
  }

  renderRemotes() {
    this.view.renderRemotes([...this.participants.values()]);
    // a stream that arrived before its tile existed
    this.subscriber?.forEachStream((identity, stream) => this.view.attachRemoteStream(identity, stream));
    this.roundtable.render();
  }

  renderLocalMedia() {
    const stream = this.localStream;
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    if (audio) audio.enabled = !this.micMuted && !this.hardMutes.audio;
    if (video) video.enabled = !this.cameraOff && !this.hardMutes.video;
    this.view.renderLocalMedia(stream, { micMuted: this.micMuted, cameraOff: this.cameraOff });
    this.roundtable.renderOwn();
  }

  fail(err) {
    if (err?.code === "token_not_yet_valid") {
      this.notOpenYet();
      return;
    }
    const code = err?.code || "unexpected";
    this.errorCode = code;
    this.wantInCall = false;
    this.teardown({ stopMedia: true });
    this.view.showNotice(ERROR_HEADING[code] || "Couldn't join the call", describeError(err), {
      action: RETRYABLE.has(code) && this.token ? "rejoin" : null,
      actionLabel: "Try again",
    });
    this.setState("error");
    this.status(describeError(err));
    if (!(err instanceof ServerError)) console.error(err);
  }

  // ---- start: check the link, preview the camera -------------------------

  async start() {
    this.view.onAction((action) => this.onAction(action));
    if (!this.token) {
      this.fail(new ServerError("token_missing"));
      return;
    }
    if (!this.claims) {
      this.fail(new ServerError("token_invalid"));
      return;
    }
    const name = this.claims.display_name || this.claims.name;
    if (this.claims.share) {
      askForName();
      this.view.greetGuest();
    } else if (name) this.view.greet(name, this.claims.role);
    if (this.opensAt && Date.now() < this.opensAt) {
      this.waitForOpening(this.opensAt);
      return;
    }
    this.setState("prejoin");
    await this.acquireMedia();
  }

  // ---- a room that is not open yet ----------------------------------------

  /** Say when the room opens and turn Join on by itself at `until` (epoch ms). */
  waitForOpening(until) {
    clearInterval(this.openTimer);
    const now = Date.now();
    const known = this.opensAt && this.opensAt > now;
    const text = known
      ? `${opensAtText(this.opensAt, this.opensLocal)} The Join button turns on by itself then: keep this page open.`
      : "This session is about to open. The Join button turns on in a few seconds.";
    this.view.showOpening({
      text,
      joinLabel: known ? opensAtLabel(this.opensAt, now, this.opensLocal) : "Opening soon…",
      offerMediaCheck: !this.localStream,
    });
    this.setState("not_open");
    this.status(text);
    // Re-checked against Date.now() rather than one long timeout: laptops sleep, and
    // tests move a fake clock.
    this.openTimer = setInterval(() => {
      if (Date.now() < until) return;
      clearInterval(this.openTimer);
      this.openTimer = null;
      this.opened();
    }, OPEN_CHECK_MS);
  }

  /** The join ack said token_not_yet_valid. */
  notOpenYet() {
    this.errorCode = "token_not_yet_valid";
    this.wantInCall = false;
    this.teardown({ stopMedia: false });
    this.waitForOpening(Math.max(this.opensAt || 0, Date.now() + NOT_YET_RETRY_MS));
  }

  async opened() {
    this.errorCode = null;
    this.view.showOpening(null);
    this.setState("prejoin");
    this.status("The session is open. Join when you're ready.");
    if (!this.localStream && !this.mediaProblem) await this.acquireMedia({ prefix: "The session is open. " });
  }

  onAction(action) {
    if (action === "join") this.join();
    else if (action === "join-without-camera") {
      this.withoutCamera = true;
      this.join();
    } else if (action === "retry-media") this.acquireMedia();
    else if (action === "toggle-mic") this.setMicMuted(!this.micMuted);
    else if (action === "toggle-camera") this.setCameraOff(!this.cameraOff);
    else if (action === "leave") this.leave();
    else if (action === "rejoin") this.rejoin();
  }

  async acquireMedia({ prefix = "" } = {}) {
    this.stopLocalMedia();
    this.view.resetPrejoin({ checking: true });
    this.status("Checking your camera and microphone…");
    try {
      await this.openLocalMedia();
    } finally {
      this.view.resetPrejoin({ checking: false });
      this.renderLocalMedia();
      if (this.mediaProblem) this.view.showMediaProblem(this.mediaProblem.text, this.mediaProblem);
    }
    if (this.state !== "prejoin" && this.state !== "not_open") return;
    if (!this.mediaProblem) this.status(`${prefix}Your camera and microphone are ready.`);
    else if (!this.localStream) this.status(`${prefix}Your camera and microphone aren't available.`);
    else this.status(`${prefix}Your camera isn't available.`);
  }

  /** getUserMedia with fallbacks; sets this.localStream and this.mediaProblem. */
  async openLocalMedia() {
    this.mediaProblem = null;
    const problem = (text, canJoin = false) => {
      this.mediaProblem = { text, retry: true, canJoin, noMedia: !this.localStream };
    };
    if (!navigator.mediaDevices?.getUserMedia) {
      problem("This browser can't use a camera here (the page needs a secure connection or a newer browser). You can still join and listen.");
      return;
    }
    const video = this.withoutCamera ? false : { width: { ideal: 640 }, height: { ideal: 480 } };
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
      return;
    } catch (err) {
      if (err.name === "NotAllowedError" || err.name === "SecurityError") {
        problem(
          "Your browser blocked the camera and microphone. Allow them for this site " +
            "(look for the camera icon in the address bar) and try again, or join without them.",
        );
        return;
      }
    }
    // No camera, or it is busy in another app: try the microphone alone.
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      if (!this.withoutCamera) {
        problem(
          "We couldn't start your camera (it may be missing or in use by another app). " +
            "You'll join with your microphone only.",
          true,
        );
      }
    } catch {
      problem("We couldn't start your camera or microphone. You can still join and see and hear the other person.");
    }
  }

  stopLocalMedia() {
    if (this.localStream) for (const t of this.localStream.getTracks()) t.stop();
    this.localStream = null;
  }

  setMicMuted(muted) {
    this.micMuted = muted;
    this.renderLocalMedia();
    this.sendMute("audio", muted);
    this.status(muted ? "Your microphone is off." : "Your microphone is on.");
  }

  setCameraOff(off) {
    this.cameraOff = off;
    this.renderLocalMedia();
    this.sendMute("video", off);
    this.status(off ? "Your camera is off." : "Your camera is on.");
  }

  sendMute(kind, muted) {
    if (!muted && this.hardMutes[kind]) return; // only a host lifts a hard mute
    if (!this.publishPc || !this.socket?.connected || !this.me) return;
    this.request("mute", { kind, muted }).catch((err) => this.status(describeError(err)));
  }

  // ---- signaling --------------------------------------------------------

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
        else if (!resp.ok) reject(new ServerError(resp.error?.code || "internal_error", resp.error?.message));
        else resolve(resp);
      });
    });
  }

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
    const socket = window.io({ transports: ["websocket"], reconnectionDelayMax: 4000 });
    this.socket = socket;
    socket.on("connect", () => this.onConnect(socket));
    socket.on("disconnect", (reason) => this.onDisconnect(socket, reason));
    socket.on("connect_error", () => {
      if (socket === this.socket && this.state === "joining") this.status(ERROR_TEXT.unreachable);
    });
    socket.on("participant_joined", (msg) => this.onParticipantJoined(msg));
    socket.on("participant_left", (msg) => this.onParticipantLeft(msg));
    socket.on("track_published", (msg) => this.onTrackPublished(msg));
    socket.on("track_muted", (msg) => this.onTrackMuted(msg));
    socket.on("replaced", (msg) => this.onReplaced(socket, msg));
    socket.on("room_ended", (msg) => this.onRoomEnded(socket, msg));
    socket.on("media_failed", (msg) => this.onMediaFailed(socket, msg));
    socket.on("subscriber_offer", (msg) => this.onSubscriberOffer(socket, msg));
    this.roundtable.bind(socket);
  }

  async onConnect(socket) {
    console.info("mentorcall: connected");
    if (socket !== this.socket || !this.wantInCall) return;
    // A (re)connection: start from a clean slate and join with the same token.
    // Within the grace period the server resumes our seat.
    this.closePeerConnections();
    let ack;
    try {
      const named = this.claims?.share && this.shareName ? { display_name: this.shareName } : {};
      ack = await this.request("join", { token: this.token, ...named });
    } catch (err) {
      if (socket === this.socket) this.fail(err);
      return;
    }
    if (socket !== this.socket || !this.wantInCall) return;
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
    this.iceServers = Array.isArray(ack.ice_servers) ? ack.ice_servers : [];
    this.participants.clear();
    for (const p of ack.room.participants) {
      if (p.identity !== this.me.identity) this.participants.set(p.identity, p);
    }
    this.view.renderHeader(this.me, this.room);
    this.roundtable.onJoined(ack);
    this.renderRemotes();
    const reconnected = this.joinedOnce;
    this.joinedOnce = true;
    this.updateCallState();
    this.status(reconnected ? "Reconnected." : this.callStatusText());
    if (ack.subscriber_offer) this.onSubscriberOffer(socket, ack.subscriber_offer);
    await this.publish();
  }

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
    if (!this.joinedOnce) return; // still making the first connection
    this.setState("reconnecting");
    this.status("Connection lost. Reconnecting…");
  }

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
  }

  onRoomEnded(socket, msg) {
    if (socket !== this.socket) return;
    if (this.roundtable.active) {
      this.roundtable.onRoomEnded(msg);
      return;
    }
    this.finish("ended", "This session has ended",
      "Its booked time is over. Thank you for meeting — see you next time.",
      { status: msg?.message || "This session's time is over." });
  }

  /** Out of the call for good (or until Rejoin): close everything, show a notice. */
  finish(state, heading, text, { action = null, actionLabel, status = text } = {}) {
    this.wantInCall = false;
    this.teardown({ stopMedia: true });
    this.view.showNotice(heading, text, { action, actionLabel });
    this.setState(state);
    this.status(status);
  }

  onParticipantJoined({ participant }) {
    if (!participant || participant.identity === this.me?.identity) return;
    const returning = this.lastLeft === participant.identity;
    this.leftName = null;
    this.participants.set(participant.identity, participant);
    this.renderRemotes();
    this.updateCallState();
    this.status(`${participant.display_name} ${returning ? "is back" : "joined the call"}.`);
  }

  onParticipantLeft({ identity, reason }) {
    const p = this.participants.get(identity);
    if (!p) return;
    this.participants.delete(identity);
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
  }

  onTrackPublished({ identity, tracks }) {
    const p = this.participants.get(identity);
    if (!p) return;
    p.tracks = tracks || [];
    this.renderRemotes(); // the server's next subscriber_offer adds or removes their media
  }

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
  }

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
    if (connection === "subscriber") this.status("The connection to the others dropped. Reconnecting…");
  }

  // An offer on our subscribe connection (the join ack's, then subscriber_offer events).
  onSubscriberOffer(socket, offer) {
    if (socket !== this.socket || !this.wantInCall) return;
    if (!this.subscriber) {
      this.subscriber = new SubscriberLink({
        iceServers: this.iceServers,
        sendAnswer: (payload) => this.request("subscriber_answer", payload),
        restart: () => {
          this.status("The connection to the others dropped. Reconnecting…");
          return this.request("subscriber_restart", {});
        },
        connectWatchMs: CONNECT_WATCH_MS,
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
  }

  republish(pc) {
    this.status("Your camera and microphone lost their connection. Trying again…");
    this.publishPc = null;
    pc.close();
    if (this.socket?.connected) this.publish();
  }

  // ---- media ------------------------------------------------------------

  async publish() {
    const stream = this.localStream;
    if (!stream || !stream.getTracks().length || !this.mayPublish) return;
    const socket = this.socket;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.publishPc = pc;
    try {
      const offer = await createPublishOffer(pc, stream);
      if (pc !== this.publishPc) return;
      const ack = await this.request("publish", { sdp: offer });
      if (pc !== this.publishPc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
      pc.addEventListener("connectionstatechange", () => {
        if (pc === this.publishPc && pc.connectionState === "failed") this.republish(pc);
      });
      watchConnecting(pc, CONNECT_WATCH_MS, () => {
        if (pc === this.publishPc && this.wantInCall) this.republish(pc);
      });
      // Tell the room about anything muted before this publish existed.
      if (this.micMuted && stream.getAudioTracks().length) this.sendMute("audio", true);
      if (this.cameraOff && stream.getVideoTracks().length) this.sendMute("video", true);
    } catch (err) {
      if (pc === this.publishPc) {
        this.publishPc = null;
        pc.close();
      }
      if (socket === this.socket && this.wantInCall) {
        this.status(`Your camera and microphone couldn't be shared. ${describeError(err)}`);
        if (!(err instanceof ServerError)) console.error(err);
      }
    }
  }

  closePeerConnections() {
    if (this.subscriber) {
      this.subscriptionsOpened += this.subscriber.opened;
      this.offersAnswered += this.subscriber.answered;
      this.subscriber.close();
      this.subscriber = null;
    }
    if (this.publishPc) {
      this.publishPc.close();
      this.publishPc = null;
    }
  }

  teardown({ stopMedia }) {
    this.closePeerConnections();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.participants.clear();
    this.renderRemotes();
    this.me = null;
    this.joinedOnce = false;
    this.leftName = null;
    this.lastLeft = null;
    this.view.stopClock();
    this.roundtable.reset();
    this.hardMutes = { audio: false, video: false };
    if (stopMedia) this.stopLocalMedia();
    this.renderLocalMedia();
  }

  async leave() {
    if (!this.wantInCall) return;
    this.wantInCall = false;
    if (this.socket?.connected && this.me) {
      const timeout = new Promise((resolve) => setTimeout(resolve, LEAVE_WAIT_MS));
      // Leaving anyway on an error: the server's grace period cleans up.
      await Promise.race([this.request("leave", {}), timeout]).catch(() => {});
    }
    this.teardown({ stopMedia: true });
    this.view.showNotice(
      "You left the call",
      "Thanks for taking part. You can rejoin while the call is still open.",
      { action: "rejoin" },
    );
    this.setState("left");
    this.status("You left the call.");
  }

  async rejoin() {
    this.teardown({ stopMedia: false });
    this.errorCode = null;
    this.setState("prejoin");
    await this.acquireMedia();
    if (this.localStream || this.withoutCamera) this.join();
  }

  callStatusText() {
    if (this.roundtable.active) return this.roundtable.statusText();
    const others = [...this.participants.values()];
    if (!others.length) return `You're in the call. Waiting for ${otherRoleText(this.me?.role)} to join…`;
    const names = others.map((p) => `${p.display_name} (${roleLabel(p.role).toLowerCase()})`);
    return `You're in the call with ${names.join(" and ")}.`;
  }

  updateCallState() {
    if (!this.wantInCall || !this.joinedOnce) return;
    this.setState(this.participants.size ? "in_call" : "waiting");
  }

  // ---- test hooks -------------------------------------------------------

  async remoteStats() {
    const sub = this.subscriber;
    const pcs = sub?.pc ? [sub.pc] : [];
    return {
      ...(await collectRemoteStats(pcs)),
      subscriptions: pcs.length,
      // grows with every subscribe connection opened (a rejoin, a media_failed reopen)
      subscriptionsStarted: this.subscriptionsOpened + (sub?.opened || 0),
      offersAnswered: this.offersAnswered + (sub?.answered || 0),
      subscriberRestarts: sub?.restarts || 0, // subscriber_restart sent by this link
    };
  }

  /** remoteStats() per publisher: {identity: totals of the m-lines carrying them now}. */
  async remoteStatsByPublisher() {
    const sub = this.subscriber;
    const out = {};
    if (!sub?.pc) return out;
    for (const identity of sub.identities()) {
      const mids = sub.midsOf(identity);
      out[identity] = await collectRemoteStats([sub.pc], (s) => mids.has(s.mid));
    }
    return out;
  }

  localStats() {
    return collectLocalStats(this.publishPc);
  }
}

const client = new CallClient(tokenFromLocation(), new CallView());

// Read by the end-to-end tests (tests/e2e/) and handy when helping someone debug.
window.mentorcall = {
  get state() {
    return client.state;
  },
  get error() {
    return client.errorCode;
  },
  get identity() {
    return client.me?.identity ?? null;
  },
  get opensAt() {
    return client.opensAt;
  },
  get participants() {
    return [...client.participants.values()].map((p) => ({ ...p }));
  },
  // The roundtable as this page sees it (null in a 1:1 call).
  get roundtable() {
    if (!client.roundtable.active) return null;
    const m = client.roundtable.model;
    return { ...m.state, role: m.me?.role ?? null, speaker: m.speaker, hardMutes: { ...client.hardMutes } };
  },
  remoteStats: () => client.remoteStats(),
  remoteStatsByPublisher: () => client.remoteStatsByPublisher(),
  localStats: () => client.localStats(),
};

// Pasting a new link into this tab changes only the fragment, which does not reload.
window.addEventListener("hashchange", () => window.location.reload());

client.start();
