// mentorcall join page: one Socket.IO connection, one publish peer connection and one
// subscribe peer connection that the server renegotiates (subscriber.js; docs/protocol.md).
// This module holds the page's state (the link, not-yet-open, prejoin, in the call, left,
// errors) and wires the parts: publish.js (our media and publish connection), signaling.js
// (Socket.IO, join, room events, the subscribe connection), stats.js (test hooks).

import {
  ERROR_HEADING,
  RETRYABLE,
  ServerError,
  describeError,
  opensAtLabel,
  opensAtText,
  otherRoleText,
  roleLabel,
} from "./messages.js";
import { opensFromLocation, peekClaims, tokenFromLocation } from "../shared/token.js";
import { CallView, WATCH_TEXT } from "./view.js";
import { RoundtableController } from "./roundtable/controller.js";
import { RecordingController } from "./recording/controller.js";
import { NotesPanel } from "./notes.js";
import { askForName, rememberedToken } from "./share.js";
import { publishing } from "./publish.js";
import { signaling } from "./signaling.js";
import { reconnecting } from "./reconnect.js";
import { exposeTestHooks, stats } from "./stats.js";

const LEAVE_WAIT_MS = 2000;
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
    this.resumeToken = null; // from our last join ack: resumes our seat after a drop
    this.iceRestarts = 0; // resumes that restarted ICE on the kept peer connections
    this.graceOver = false; // the last join came after our seat was given up
    this.reconnectTimer = null;
    this.reconnectTries = 0;
    this.moves = 0; // `moved` answers followed in a row
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
    this.recording = new RecordingController(this);
    this.notes = new NotesPanel(document); // the session's notes (call/notes/)
    this.notes.tokenSource = () => this.token; // its export: our join token reads it
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
    this.stateHistory = [...(this.stateHistory || []).slice(-49), state];
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
    // last-N: someone whose video no slot carries shows as their name, not a frozen frame
    const link = this.subscriber;
    const shown = (identity) => !link?.lastN() || link.hasVideo(identity);
    this.view.renderRemotes([...this.participants.values()], shown);
    // a stream that arrived before its tile existed
    this.subscriber?.forEachStream((identity, stream) => this.view.attachRemoteStream(identity, stream));
    this.roundtable.render();
    this.recording.render();
  }

  renderLocalMedia() {
    const stream = this.localStream;
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    if (audio) audio.enabled = !this.micMuted && !this.hardMutes.audio;
    if (video) video.enabled = !this.cameraOff && !this.hardMutes.video;
    this.view.renderLocalMedia(stream, { micMuted: this.micMuted, cameraOff: this.cameraOff,
      watching: !this.mayPublish });
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
    // An observer's link publishes nothing: their camera and microphone are never opened.
    if (!this.mayPublish) this.view.watchOnly();
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
    await this.prepareMedia();
  }

  /** The camera check before joining; none when the link may not publish. */
  async prepareMedia({ prefix = "" } = {}) {
    if (this.mayPublish) {
      await this.acquireMedia({ prefix });
      return;
    }
    this.renderLocalMedia();
    this.status(`${prefix}${WATCH_TEXT}`);
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
      offerMediaCheck: !this.localStream && this.mayPublish,
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
    if (!this.localStream && !this.mediaProblem) await this.prepareMedia({ prefix: "The session is open. " });
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

  teardown({ stopMedia }) {
    this.stopReconnecting();
    this.resumeToken = null;
    this.closePeerConnections();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.participants.clear();
    this.renderRemotes();
    this.notes.offline();
    this.me = null;
    this.joinedOnce = false;
    this.leftName = null;
    this.lastLeft = null;
    this.view.stopClock();
    this.roundtable.reset();
    this.recording.reset();
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
    await this.prepareMedia();
    if (this.localStream || this.withoutCamera || !this.mayPublish) this.join();
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
}

Object.assign(CallClient.prototype, publishing, signaling, reconnecting, stats);

const client = new CallClient(tokenFromLocation(), new CallView());

// Read by the end-to-end tests (tests/e2e/) and handy when helping someone debug.
exposeTestHooks(client);

// Pasting a new link into this tab changes only the fragment, which does not reload.
window.addEventListener("hashchange", () => window.location.reload());

client.start();
