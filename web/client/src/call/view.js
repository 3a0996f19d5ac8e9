// The join page's DOM: which panel shows, the video tiles, labels and buttons.
// No protocol knowledge here; app.js decides, this module draws.

import { roleLabel } from "./messages.js";

const $ = (id) => document.getElementById(id);

const CHECK_TEXT = "Check your camera and microphone, then join when you're ready.";
export const WATCH_TEXT = "You join to watch and listen: your camera and microphone stay off.";
const CALL_STATES = ["joining", "waiting", "in_call", "reconnecting"];
const NOTICE_STATES = ["left", "replaced", "ended", "error", "denied", "removed"];

export class CallView {
  constructor() {
    this.timeLeftTimer = null;
    this.checking = false;
    this.opening = null; // {text, joinLabel, offerMediaCheck} until the room opens
    this.watching = false; // the link may not publish: no camera check, no media buttons
    this.greeting = CHECK_TEXT;
  }

  /** Route every `button[data-action]` click to `handler(action)`. */
  onAction(handler) {
    document.addEventListener("click", (ev) => {
      const btn = ev.target.closest("button[data-action]");
      if (btn && !btn.disabled && btn.dataset.action) handler(btn.dataset.action);
    });
  }

  showState(state) {
    document.body.dataset.state = state;
    $("prejoin").hidden = state !== "prejoin" && state !== "not_open";
    $("call").hidden = !CALL_STATES.includes(state);
    $("notice").hidden = !NOTICE_STATES.includes(state);
    $("lobby").hidden = state !== "lobby";
  }

  /** The polite live region under the page; screen readers announce it. */
  status(text) {
    $("status").textContent = text;
  }

  showNotice(heading, text, { action = null, actionLabel = "Rejoin" } = {}) {
    $("notice-heading").textContent = heading;
    $("notice-text").textContent = text;
    const btn = $("notice-retry");
    btn.hidden = !action;
    btn.textContent = actionLabel;
    btn.dataset.action = action || "";
  }

  // ---- pre-join ---------------------------------------------------------

  greet(name, role) {
    const label = roleLabel(role);
    const showRole = label && label.toLowerCase() !== String(name).toLowerCase();
    this.greeting =
      `You'll join as ${name}${showRole ? ` (${label.toLowerCase()})` : ""}. ` +
      (this.watching ? WATCH_TEXT : CHECK_TEXT);
    this.applyOpening();
  }

  /** An observer's link publishes nothing: the page never turns the camera on. */
  watchOnly() {
    this.watching = true;
    this.greeting = this.greeting.replace(CHECK_TEXT, WATCH_TEXT);
    $("preview-off").textContent = "Watching only";
    $("preview-off").hidden = false;
    this.resetPrejoin({ checking: false });
  }

  /** A shareable link names nobody: ask for a name. */
  greetGuest() {
    this.greeting = this.watching ? `Type your name. ${WATCH_TEXT}`
      : "Type your name, check your camera and microphone, then join when you're ready.";
    this.applyOpening();
  }

  /** Before the room opens: say when, keep Join off; `null` once it is open. */
  showOpening(opening) {
    this.opening = opening;
    this.applyOpening();
  }

  applyOpening() {
    const o = this.opening;
    $("prejoin-heading").textContent = o ? "Not open yet" : "Ready to join?";
    $("prejoin-who").textContent = o ? o.text : this.greeting;
    const join = $("join-button");
    join.textContent = o ? o.joinLabel : "Join call";
    join.disabled = this.checking || Boolean(o);
    $("join-no-camera-button").disabled = Boolean(o);
    if (o?.offerMediaCheck) {
      // The camera stays off until the room opens, unless the person wants to check it.
      $("preview-off").textContent = "Your camera turns on when the session opens";
      $("preview-off").hidden = false;
      $("retry-media-button").textContent = "Check camera and microphone";
      $("retry-media-button").hidden = false;
      $("prejoin-device-controls").hidden = true;
    }
  }

  resetPrejoin({ checking }) {
    this.checking = checking;
    if (this.opening) this.opening.offerMediaCheck = false;
    $("media-note").hidden = true;
    $("retry-media-button").hidden = true;
    $("retry-media-button").textContent = "Try camera again";
    $("join-no-camera-button").hidden = true;
    $("join-button").hidden = false;
    $("prejoin-device-controls").hidden = this.watching;
    // Joining before the camera is ready would publish nothing.
    this.applyOpening();
  }

  showMediaProblem(text, { retry, noMedia, canJoin }) {
    const note = $("media-note");
    note.textContent = text;
    note.hidden = false;
    $("retry-media-button").hidden = !retry;
    $("join-no-camera-button").hidden = canJoin || !noMedia;
    $("join-button").hidden = noMedia && !canJoin;
    $("prejoin-device-controls").hidden = noMedia;
  }

  /** Preview, self-view and the mic/camera buttons (both copies: pre-join and call).
   * `watching`: the link may not publish (an observer): no camera, no media buttons. */
  renderLocalMedia(stream, { micMuted, cameraOff, watching = false }) {
    for (const id of ["preview-video", "self-video"]) {
      const v = $(id);
      if (v.srcObject !== stream) v.srcObject = stream;
    }
    const audio = stream?.getAudioTracks()[0];
    const video = stream?.getVideoTracks()[0];
    for (const id of ["preview-off", "self-off"]) {
      $(id).hidden = Boolean(video) && !cameraOff;
      $(id).textContent = watching ? "Watching only" : video ? "Camera off" : "No camera";
    }
    for (const b of document.querySelectorAll('[data-action="toggle-mic"], [data-action="toggle-camera"]')) {
      b.hidden = watching;
    }
    for (const b of document.querySelectorAll('[data-action="toggle-mic"]')) {
      b.disabled = !audio;
      b.setAttribute("aria-pressed", String(micMuted));
      b.textContent = !audio ? "No microphone" : micMuted ? "Unmute microphone" : "Mute microphone";
    }
    for (const b of document.querySelectorAll('[data-action="toggle-camera"]')) {
      b.disabled = !video;
      b.setAttribute("aria-pressed", String(cameraOff));
      b.textContent = !video ? "No camera" : cameraOff ? "Turn camera on" : "Turn camera off";
    }
  }

  // ---- in call ----------------------------------------------------------

  /** The overlay on the stage while nobody else is there (or we are connecting). */
  renderWaiting(state, { who, leftName }) {
    const [title, sub] =
      state === "joining"
        ? ["Joining the call…", "This usually takes a second or two."]
        : state === "reconnecting"
          ? ["Connection lost. Reconnecting…",
             "Stay on this page; you'll be back in the call as soon as the connection returns."]
          : leftName
            ? [`${leftName} left the call.`, `Waiting for ${who} to rejoin…`]
            : [`Waiting for ${who} to join…`, "They'll appear here as soon as they open their link."];
    $("waiting").hidden = !["joining", "waiting", "reconnecting"].includes(state);
    $("waiting-text").textContent = title;
    $("waiting-sub").textContent = sub;
  }

  renderHeader(me, room) {
    const title = room?.title || (room?.kind === "roundtable" ? "Roundtable" : "Virtual coffee");
    $("room-title").textContent = me
      ? `${title} · you are ${me.display_name} (${roleLabel(me.role).toLowerCase()})`
      : title;
    clearInterval(this.timeLeftTimer);
    const el = $("time-left");
    const expires = room?.expires_at;
    el.hidden = !expires;
    if (!expires) return;
    const tick = () => {
      const mins = Math.ceil((expires - Date.now() / 1000) / 60);
      el.textContent = mins > 0 ? `${mins} min left` : "Time is up";
    };
    tick();
    this.timeLeftTimer = setInterval(tick, 15000);
  }

  tileFor(identity) {
    return $("stage").querySelector(`.remote-tile[data-identity="${CSS.escape(identity)}"]`);
  }

  /** One tile per other participant: name, role, camera-off and microphone-off marks.
   * `shown(identity)`: whether their video reaches us (last-N may leave it out). */
  renderRemotes(participants, shown = () => true) {
    const stage = $("stage");
    const present = new Set(participants.map((p) => p.identity));
    for (const tile of stage.querySelectorAll(".remote-tile")) {
      if (!present.has(tile.dataset.identity)) tile.remove();
    }
    for (const p of participants) {
      let tile = this.tileFor(p.identity);
      if (!tile) {
        tile = $("remote-template").content.firstElementChild.cloneNode(true);
        tile.dataset.identity = p.identity;
        const t = tile;
        tile.querySelector(".unblock-sound").addEventListener("click", () => this.playRemote(t));
        stage.appendChild(tile);
      }
      const role = roleLabel(p.role);
      tile.querySelector(".name").textContent = p.display_name;
      tile.querySelector(".role").textContent = role ? `· ${role}` : "";
      tile.querySelector("video").setAttribute("aria-label", `${p.display_name}, ${role}`);
      const tracks = p.tracks || [];
      const video = tracks.find((t) => t.kind === "video");
      const audio = tracks.find((t) => t.kind === "audio");
      const notShown = Boolean(video) && !video.muted && !shown(p.identity);
      tile.querySelector(".remote-off").hidden = Boolean(video) && !video.muted && !notShown;
      tile.classList.toggle("no-video-slot", notShown);
      tile.querySelector(".off-text").textContent =
        !tracks.length ? "Connecting…" : !video ? "No camera" : video.muted ? "Camera off"
          : notShown ? "Not a recent speaker · pin to see" : "Camera off";
      tile.querySelector(".avatar").textContent = (p.display_name || "?").trim().charAt(0).toUpperCase();
      const micOff = Boolean(audio && audio.muted);
      tile.querySelector(".mic-off").hidden = !micOff;
      tile.classList.toggle("is-muted", micOff);
    }
    stage.dataset.count = String(participants.length);
  }

  /** Called once per subscription (not per track). */
  attachRemoteStream(identity, stream) {
    const tile = this.tileFor(identity);
    if (!tile) return;
    const video = tile.querySelector("video");
    if (video.srcObject === stream) return; // set once: its tracks come and go
    video.muted = false; // audio level reads 0 on a muted element
    video.srcObject = stream;
    this.playRemote(tile);
  }

  detachRemoteStream(identity) {
    const tile = this.tileFor(identity);
    if (tile) tile.querySelector("video").srcObject = null;
  }

  playRemote(tile) {
    const btn = tile.querySelector(".unblock-sound");
    tile.querySelector("video").play().then(
      () => {
        btn.hidden = true;
      },
      () => {
        // Autoplay with sound was blocked: one click fixes it.
        btn.hidden = false;
      },
    );
  }

  stopClock() {
    clearInterval(this.timeLeftTimer);
    $("time-left").hidden = true;
  }
}
