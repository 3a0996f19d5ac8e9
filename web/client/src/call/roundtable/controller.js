// A roundtable on the call page: listens to the roundtable events (docs/protocol.md,
// "Roundtables"), keeps the model, draws the grid and panels, and sends the host and
// floor actions. The call itself (join, publish, subscribe) stays in app.js, signaling.js
// and publish.js; this module only runs when the joined room's kind is "roundtable".

import { describeError, roleLabel } from "../messages.js";
import { breakoutMinutes, renderBreakoutBanner, renderBreakoutHost } from "./breakout.js";
import { MAX_PINS, enterGrid, renderGrid } from "./grid.js";
import { renderHands, renderOwnMutes, renderTimer } from "./floor.js";
import { renderHostPanel, timerSeconds, timerTarget } from "./host.js";
import { RoundtableModel } from "./model.js";
import { renderPeople } from "./people.js";

const $ = (id) => document.getElementById(id);

// data-rt action -> [event, payload(target)]; confirmations and forms are handled apart.
const SIMPLE = {
  admit: (id) => ["admit", { identity: id }],
  deny: (id) => ["deny", { identity: id }],
  "mute-audio": (id) => ["hard_mute", { identity: id, kind: "audio", muted: true }],
  "unmute-audio": (id) => ["hard_mute", { identity: id, kind: "audio", muted: false }],
  "mute-video": (id) => ["hard_mute", { identity: id, kind: "video", muted: true }],
  "unmute-video": (id) => ["hard_mute", { identity: id, kind: "video", muted: false }],
  promote: (id) => ["promote", { identity: id }],
  demote: (id) => ["demote", { identity: id }],
  "remove-confirmed": (id) => ["remove", { identity: id }],
  "hand-over-confirmed": (id) => ["hand_over", { identity: id }],
  "mute-all": () => ["mute_all", { kind: "audio" }],
  lock: () => ["set_locked", { locked: true }],
  unlock: () => ["set_locked", { locked: false }],
  "lobby-on": () => ["set_lobby", { on: true }],
  "lobby-off": () => ["set_lobby", { on: false }],
  "end-confirmed": () => ["end_room", {}],
  "raise-hand": () => ["raise_hand", {}],
  "lower-own-hand": () => ["lower_hand", {}],
  "lower-hand": (id) => ["lower_hand", { identity: id }],
  "call-on": (id) => ["call_on", { identity: id }],
  "stop-timer": () => ["stop_timer", {}],
  "end-breakout": () => ["end_breakout", {}],
};

// What the status line says once the server said yes (`name`: the target's name).
const DONE = {
  admit: (name) => `${name} was let in.`,
  deny: (name) => `${name} was turned away.`,
  hard_mute: (name, p) => {
    const what = p.kind === "audio" ? "microphone" : "camera";
    return p.muted ? `${name}'s ${what} is off until a host allows it.` : `${name} may use their ${what} again.`;
  },
  mute_all: () => "Every participant's microphone is muted (hosts, co-hosts and observers excepted).",
  remove: (name) => `${name} was removed and can't come back.`,
  hand_over: (name) => `${name} is the host now; you're a co-host.`,
  promote: (name) => `${name} is a co-host now.`,
  demote: (name) => `${name} is a participant now.`,
  set_locked: (_n, p) => (p.locked ? "The room is locked: nobody new can come in." : "The room is open again."),
  set_lobby: (_n, p) => (p.on ? "The lobby is on: new people wait until a host lets them in." : "The lobby is off: anyone who was waiting is let in."),
  call_on: (name) => `${name} has the floor.`,
  end_breakout: () => "Everyone is coming back from their pairs.",
  start_timer: (name, p) => `${name} has ${Math.floor(p.seconds / 60)}:${String(p.seconds % 60).padStart(2, "0")} to speak.`,
};

// What the status line says when our own role changed.
const OWN_ROLE = {
  host: "You're the host now: the host controls are on the right.",
  "co-host": "You're a co-host now: you can help run the room.",
  participant: "A host made you a participant; the host controls are gone.",
};

export class RoundtableController {
  constructor(client) {
    this.client = client; // the CallClient: participants, request(), status()
    this.model = new RoundtableModel();
    this.active = false;
    this.confirming = null; // {action: "remove" | "hand-over" | "end", target}
    this.endingByMe = false; // we sent end_room and wait for its outcome
    this.loweringOwnHand = false; // we sent lower_hand for our own hand
    this.ticker = null;
    this.pair = null; // in a pair room: its breakout (partners, deadlineMs, visiting)
    this.homeToken = null; // a host visiting a pair: the roundtable token to go back with
    document.addEventListener("click", (ev) => {
      const btn = ev.target.closest("button[data-rt]");
      if (btn && !btn.disabled && this.active) this.onAction(btn.dataset.rt, btn.dataset.target || null);
    });
  }

  /** Listen on a new Socket.IO connection (every event checks it is still the current one). */
  bind(socket) {
    const on = (event, fn) => socket.on(event, (msg) => {
      if (socket === this.client.socket) fn(msg || {});
    });
    on("roundtable_state", (s) => {
      const me = this.model.me?.identity;
      const before = me ? { role: this.model.roleOf(me, this.model.me.role), hand: this.model.handPlace(me) } : null;
      if (!this.model.applyState(s)) return;
      this.refresh();
      if (before) this.announceOwnChange(me, before);
    });
    on("lobby", (l) => {
      this.model.applyLobby(l);
      this.render();
    });
    on("active_speaker", ({ identity }) => {
      this.model.speaker = identity || null;
      this.render();
    });
    on("hard_muted", (m) => this.onHardMuted(m));
    on("breakout_started", (m) => this.onBreakoutStarted(m));
    on("breakout_ended", (m) => this.onBreakoutEnded(m));
    on("admitted", () => {
      // A host let us in from the lobby: join again with the same token.
      if (!this.client.wantInCall) return;
      this.client.setState("joining");
      this.client.status("A host let you in. Joining…");
      this.client.onConnect(socket);
    });
    on("denied", (m) => this.client.finish("denied", "You weren't let in",
      "A host of this roundtable didn't admit you this time. If you think that's a mistake, ask the host, then try again.",
      { action: "rejoin", actionLabel: "Ask again", status: m.message || "A host didn't let you in." }));
    on("removed", (m) => this.client.finish("removed", "You were removed from the roundtable",
      "A host removed you from this session, so you can't join it again.",
      { status: m.message || "A host removed you." }));
  }

  /** Tell us when a host changed our role or lowered our hand (the panels change too,
   * but a panel that disappears says nothing by itself). */
  announceOwnChange(me, before) {
    const role = this.model.roleOf(me, this.model.me.role);
    if (role !== before.role) {
      const text = OWN_ROLE[role];
      if (text) this.client.status(text);
    } else if (before.hand && !this.model.handPlace(me) && !this.loweringOwnHand
               && this.model.state.called_on !== me) {
      this.client.status("A host lowered your hand.");
    }
  }

  /** `room_ended`: a host ended the roundtable (maybe us) or its time is over. */
  onRoomEnded(msg) {
    if (this.endingByMe) {
      this.endedByMe();
      return;
    }
    this.client.finish("ended", "This session has ended",
      "The roundtable is over. Thank you for taking part — see you next time.",
      { status: msg?.message || "This session has ended." });
  }

  /** We ended the roundtable for everyone: the server spares our connection (the ack
   * may come before or after `room_ended`). */
  endedByMe() {
    this.endingByMe = false;
    if (this.client.state === "ended") return;
    this.client.finish("ended", "You ended the roundtable",
      "Everyone has been disconnected and the room is closed. Thank you for hosting.",
      { status: "You ended the roundtable for everyone." });
  }

  /** A breakout started: the server took us out of the roundtable; join our pair. */
  onBreakoutStarted(m) {
    if (!m.token) return;
    this.pair = withDeadline(m);
    this.client.status("Breakout: joining your pair…");
    this.client.moveTo(m.token);
  }

  /** The breakout is over: the server took us out of the pair room; back we go. */
  onBreakoutEnded(m) {
    if (!m.token) return;
    this.pair = null;
    this.homeToken = null;
    this.client.status(m.message || "The breakout is over: back to the roundtable.");
    this.client.moveTo(m.token);
  }

  /** After a successful join ack. Returns a token to move on with (a paired person who
   * came back to the roundtable while their pair's breakout runs), or null. */
  onJoined(ack) {
    this.active = ack.room?.room?.kind === "roundtable";
    document.body.classList.toggle("roundtable", this.active);
    $("rt-side").hidden = !this.active;
    if (!this.active) return;
    enterGrid();
    this.model.setMe(ack.you);
    if (ack.roundtable) this.model.applyState(ack.roundtable);
    if (ack.speaker) this.model.speaker = ack.speaker;
    if (ack.lobby) this.model.applyLobby(ack.lobby);
    const inPair = Boolean(ack.room?.room?.parent);
    this.pair = inPair && ack.pair ? withDeadline(ack.pair) : null;
    if (!inPair) this.homeToken = null;
    this.refresh();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), 1000);
    return !inPair && ack.pair?.token ? ack.pair.token : null;
  }

  tick() {
    renderTimer(this.model, this.people());
    this.renderBreakout();
  }

  reset() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.model.reset();
    this.confirming = null;
    this.pair = null;
    this.homeToken = null;
  }

  get inPairRoom() {
    return Boolean(this.client.room?.parent);
  }

  renderBreakout() {
    if (!this.active) return;
    renderBreakoutBanner(this.inPairRoom ? this.pair : null, {
      visiting: Boolean(this.pair?.visiting),
      hosting: this.model.iAmHosting,
      me: this.model.me?.identity,
    });
    if (!this.inPairRoom && this.model.iAmHosting) renderBreakoutHost(this.model);
  }

  onHardMuted({ kind, muted }) {
    if (kind !== "audio" && kind !== "video") return;
    this.client.hardMutes[kind] = Boolean(muted);
    this.client.renderLocalMedia();
    const what = kind === "audio" ? "microphone" : "camera";
    this.client.status(muted
      ? `A host turned off your ${what}. Only a host can turn it back on.`
      : `A host allowed your ${what} again.`);
  }

  /** Everyone in the room, us first (our tracks as we publish them). */
  people() {
    const me = this.model.me;
    const others = [...this.client.participants.values()];
    if (!me) return others;
    const stream = this.client.localStream;
    const tracks = [];
    if (stream?.getAudioTracks().length) tracks.push({ kind: "audio", muted: this.client.micMuted });
    if (stream?.getVideoTracks().length) tracks.push({ kind: "video", muted: this.client.cameraOff });
    return [{ ...me, tracks }, ...others];
  }

  /** A new state: take the current roles into the roster, then draw. */
  refresh() {
    if (!this.active) return;
    for (const p of this.client.participants.values()) p.role = this.model.roleOf(p.identity, p.role);
    if (this.model.me) this.model.me.role = this.model.roleOf(this.model.me.identity, this.model.me.role);
    this.client.hardMutes.audio = this.model.hardMuted(this.model.me?.identity, "audio");
    this.client.hardMutes.video = this.model.hardMuted(this.model.me?.identity, "video");
    this.client.view.renderHeader(this.model.me, this.client.room);
    if (this.model.me) this.client.notes.roleChanged(this.model.me.role); // promoted or demoted
    this.client.renderRemotes(); // calls render()
    this.client.renderLocalMedia(); // calls renderOwn()
  }

  render() {
    if (!this.active) return;
    const people = this.people();
    renderGrid(this.model, people);
    renderPeople(this.model, people, this.confirming, this.inPairRoom);
    renderHands(this.model, people);
    renderTimer(this.model, people);
    renderHostPanel(this.model, people, this.confirming);
    if (this.inPairRoom) $("rt-host").hidden = true; // a visiting host: the banner has their controls
    this.renderBreakout();
    $("rt-host-away").hidden = !this.model.state.host_away || this.inPairRoom;
  }

  /** After the mic/camera buttons were drawn: a hard mute overrides them. */
  renderOwn() {
    if (this.active) renderOwnMutes(this.model);
  }

  async onAction(action, target) {
    if (action === "remove" || action === "hand-over" || action === "end") {
      this.confirming = { action, target };
      this.render();
      return;
    }
    if (action === "cancel-confirm") {
      this.confirming = null;
      this.render();
      return;
    }
    if (action === "pin" || action === "unpin") {
      await this.pin(target, action === "pin");
      return;
    }
    if (action === "visit-pair" || action === "back-to-roundtable") {
      await this.hop(action, target);
      return;
    }
    let request;
    if (action === "start-breakout") {
      const minutes = breakoutMinutes();
      if (!minutes) {
        this.client.status("Choose between half a minute and 120 minutes for the pairs.");
        return;
      }
      request = ["start_breakout", { minutes }];
    } else if (action === "start-timer") {
      const seconds = timerSeconds();
      const who = timerTarget();
      if (!seconds || !who) {
        this.client.status("Choose who speaks and a time between 1 second and 60 minutes.");
        return;
      }
      request = ["start_timer", { identity: who, seconds }];
    } else if (SIMPLE[action]) {
      request = SIMPLE[action](target);
    } else return;
    if (action.endsWith("-confirmed")) this.confirming = null;
    const [event, payload] = request;
    // `room_ended` may reach us before the ack: it then says that we ended it.
    if (event === "end_room") this.endingByMe = true;
    const ownHand = event === "lower_hand" && (!payload.identity || payload.identity === this.model.me?.identity);
    if (ownHand) this.loweringOwnHand = true; // its roundtable_state comes before the ack
    try {
      await this.client.request(event, payload);
      if (event === "end_room") {
        this.endedByMe();
        return;
      }
      if (event === "start_breakout") this.client.status(`Pairs are talking for ${payload.minutes} minutes.`);
      if (DONE[event]) this.client.status(DONE[event](this.nameOf(payload.identity), payload));
    } catch (err) {
      this.endingByMe = false;
      if (!this.client.wantInCall) return; // the page already left (e.g. the room ended)
      this.client.status(describeError(err));
    } finally {
      if (ownHand) this.loweringOwnHand = false;
    }
    this.render();
  }

  /** Pin (or unpin) someone's video: it then always has a slot (last-N). */
  async pin(identity, on) {
    if (!identity) return;
    const before = this.model.pins;
    const pins = on ? [...before.filter((i) => i !== identity), identity] : before.filter((i) => i !== identity);
    if (pins.length > MAX_PINS) return;
    this.model.pins = pins;
    this.render();
    try {
      const ack = await this.client.request("pin_videos", { identities: pins });
      this.model.lastN = ack?.last_n ?? null;
      const name = this.nameOf(identity);
      this.client.status(on ? `${name}'s video stays on your screen.` : `${name} is no longer pinned.`);
    } catch (err) {
      if (this.model.pins === pins) this.model.pins = before;
      if (this.client.wantInCall) this.client.status(describeError(err));
    }
    this.render();
  }

  /** A host visits a pair room, or goes back to the roundtable from one. */
  async hop(action, roomId) {
    try {
      if (action === "visit-pair") {
        const ack = await this.client.request("visit_breakout", { room_id: roomId });
        if (!this.inPairRoom) this.homeToken = this.client.token;
        await this.client.moveTo(ack.token, { leaveFirst: true });
      } else if (this.homeToken) {
        const home = this.homeToken;
        await this.client.moveTo(home, { leaveFirst: true });
      }
    } catch (err) {
      if (this.client.wantInCall) this.client.status(describeError(err));
    }
  }

  nameOf(identity) {
    if (!identity) return "";
    const known = this.people().find((p) => p.identity === identity);
    const knocking = this.model.state.knocking.find((k) => k.identity === identity);
    return known?.display_name || knocking?.display_name || "Someone";
  }

  /** "You're in the roundtable with 5 others." */
  statusText() {
    const n = this.client.participants.size;
    if (this.inPairRoom) {
      const names = [...this.client.participants.values()].map((p) => p.display_name);
      return names.length ? `Breakout: you're with ${names.join(" and ")}.` : "Breakout: waiting for your partner…";
    }
    const role = roleLabel(this.model.me?.role).toLowerCase();
    if (!n) return `You're in the roundtable as ${role}. Waiting for others to join…`;
    return `You're in the roundtable as ${role} with ${n} ${n === 1 ? "other person" : "others"}.`;
  }
}

/** A breakout payload with its end on this device's clock (`deadlineMs`). */
function withDeadline(pair) {
  const left = Number(pair.ends_at) - Number(pair.server_time);
  return { ...pair, deadlineMs: Date.now() + (Number.isFinite(left) ? left * 1000 : 0) };
}
