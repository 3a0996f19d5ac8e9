// The publish side of the call: our camera and microphone (getUserMedia with fallbacks,
// mute and camera off), the one publish RTCPeerConnection and its watchdog (started again
// when it fails or is still not connected CONNECT_WATCH_MS after its answer). Methods of
// CallClient (app.js), mixed into its prototype: `this` is the CallClient.

import { ServerError, describeError, mediaPathText } from "./messages.js";
import { createPublishOffer, watchConnecting } from "./rtc.js";

// A media connection not connected this long after its answer is started again (the
// wait doubles for each further try with the same person, up to 4 times as long).
export const CONNECT_WATCH_MS = 10000;

export const publishing = {
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
  },

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
  },

  stopLocalMedia() {
    if (this.localStream) for (const t of this.localStream.getTracks()) t.stop();
    this.localStream = null;
  },

  setMicMuted(muted) {
    this.micMuted = muted;
    this.renderLocalMedia();
    this.sendMute("audio", muted);
    this.status(muted ? "Your microphone is off." : "Your microphone is on.");
  },

  setCameraOff(off) {
    this.cameraOff = off;
    this.renderLocalMedia();
    this.sendMute("video", off);
    this.status(off ? "Your camera is off." : "Your camera is on.");
  },

  sendMute(kind, muted) {
    if (!muted && this.hardMutes[kind]) return; // only a host lifts a hard mute
    if (!this.publishPc || !this.socket?.connected || !this.me) return;
    this.request("mute", { kind, muted }).catch((err) => this.status(describeError(err)));
  },

  republish(pc) {
    // a connection that never connected: its network path, not the camera
    this.status(pc.mcConnected ? "Your camera and microphone lost their connection. Trying again…"
      : `${mediaPathText(window.location.hostname)} Trying again…`);
    this.publishPc = null;
    pc.close();
    if (this.socket?.connected) this.publish();
  },

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
        if (pc.connectionState === "connected") pc.mcConnected = true;
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
        // media_failed: the server refused every network address the browser offered
        this.status(err?.code === "media_failed" ? mediaPathText(window.location.hostname)
          : `Your camera and microphone couldn't be shared. ${describeError(err)}`);
        if (!(err instanceof ServerError)) console.error(err);
      }
    }
  },

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
  },
};
