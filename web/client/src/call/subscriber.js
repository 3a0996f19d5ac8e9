// The one subscribe connection of this participant (docs/protocol.md, "One subscribe
// connection"): a receive-only RTCPeerConnection that never creates offers. The server
// offers (in the join ack, then `subscriber_offer` events); we answer each with
// `subscriber_answer` and its version. Tracks are mapped to participants by the
// transceiver's mid, from the offer's `tracks` list; an inactive m-line carries nothing
// (its participant's tile loses that track), and a reused mid keeps its track object,
// which then belongs to whoever the new offer names. If the connection fails where only
// the browser sees it (connectionState "failed", or "connecting" past a timeout, as the
// publish watchdog in publish.js), we ask the server for a fresh one (`subscriber_restart`):
// its offer comes with a new subscription id and replaces this connection. A restart or
// an answer refused with `rate_limited` is sent again once its `retry_after_s` passed.
// Last-N video (docs/protocol.md, "Last-N video"): video m-lines are slots (`slot` set
// in `tracks`) whose person changes without an offer; `video_slots` then names each
// slot's mid's person, and the slot's track moves to that person's stream.

import { waitForIceGathering, watchConnecting } from "./rtc.js";

const CONNECT_WATCH_MS = 10000;
const RETRY_FALLBACK_S = 1; // a rate_limited refusal without retry_after_s
const MAX_ANSWER_RETRIES = 5;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long to wait before sending a request refused with rate_limited again. */
const retryDelayMs = (err) => Math.max(50, 1000 * (err.retryAfterS ?? RETRY_FALLBACK_S));

export class SubscriberLink {
  /**
   * @param {object} opts
   * @param {RTCIceServer[]} opts.iceServers
   * @param {(payload: object) => Promise<object>} opts.sendAnswer emits subscriber_answer
   * @param {(identity: string, stream: MediaStream | null) => void} opts.onStream
   *   a participant's remote stream (null: nothing of theirs arrives any more)
   * @param {(err: Error) => void} opts.onError an offer could not be answered
   * @param {() => Promise<object>} opts.restart emits subscriber_restart
   * @param {() => void} [opts.onRestored] a replacement connection (after a restart or a
   *   server reopen) is connected
   * @param {() => void} [opts.onSlots] who has a video track may have changed
   * @param {number} [opts.connectWatchMs] how long the connection may stay connecting
   */
  constructor({ iceServers, sendAnswer, onStream, onError, restart, onRestored, onSlots, connectWatchMs = CONNECT_WATCH_MS }) {
    this.onRestored = onRestored || (() => {});
    this.iceServers = iceServers;
    this.sendAnswer = sendAnswer;
    this.restart = restart;
    this.connectWatchMs = connectWatchMs;
    this.restartedFor = null; // the connection a restart was asked for (once each)
    this.restarts = 0; // subscriber_restart requests sent (retries included)
    this.restartsRefused = 0; // of which refused with rate_limited (then sent again)
    this.onStream = onStream;
    this.onError = onError;
    this.onSlots = onSlots || (() => {});
    this.slotEvents = 0; // video_slots applied
    this.pc = null;
    this.connectedOnce = false; // a subscribe connection of ours has connected
    this.subscriptionId = null;
    this.version = 0; // the last version answered (or being answered)
    this.streams = new Map(); // identity -> MediaStream
    this.tracks = []; // the last offer's m-lines: {mid, kind, identity, track_id}
    this.opened = 0; // subscribe connections opened (a new one on each subscription id)
    this.answered = 0; // offers answered and accepted
    this.queue = Promise.resolve();
    this.closed = false;
  }

  /** An offer from the server: answered in arrival order, one at a time. */
  offer(offer) {
    this.queue = this.queue.then(() => this.apply(offer)).catch((err) => {
      if (!this.closed) this.onError(err);
    });
    return this.queue;
  }

  async apply(offer) {
    if (this.closed || !offer?.sdp) return;
    let fresh = false;
    if (offer.subscription_id !== this.subscriptionId) {
      this.reset();
      this.pc = new RTCPeerConnection({ iceServers: this.iceServers });
      this.subscriptionId = offer.subscription_id;
      this.opened += 1;
      fresh = true;
    } else if (offer.version <= this.version) {
      return; // a duplicate or an older one
    }
    const pc = this.pc;
    this.version = offer.version;
    await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    this.tracks = offer.tracks || [];
    this.mapTracks(pc, this.tracks);
    this.onSlots();
    await pc.setLocalDescription(await pc.createAnswer());
    await waitForIceGathering(pc);
    if (pc !== this.pc || this.closed) return;
    const answer = {
      subscription_id: offer.subscription_id,
      version: offer.version,
      sdp: pc.localDescription.sdp,
    };
    for (let refused = 0; ; refused += 1) {
      try {
        await this.sendAnswer(answer);
        break;
      } catch (err) {
        // rate_limited (a burst of media requests): send it again when the server says
        if (err.code !== "rate_limited" || refused >= MAX_ANSWER_RETRIES) throw err;
        await sleep(retryDelayMs(err));
        if (pc !== this.pc || this.closed) return;
      }
    }
    if (pc === this.pc) this.answered += 1;
    if (fresh && pc === this.pc) this.watch(pc);
  }

  /** `video_slots`: the slots' mids now carry these people (in order with the offers). */
  slots(msg) {
    this.queue = this.queue.then(() => {
      if (this.closed || !this.pc || msg?.subscription_id !== this.subscriptionId) return;
      const byMid = new Map((msg.slots || []).map((s) => [s.mid, s.identity ?? null]));
      this.tracks = this.tracks.map((t) => (byMid.has(t.mid) ? { ...t, identity: byMid.get(t.mid) } : t));
      this.mapTracks(this.pc, this.tracks);
      this.slotEvents += 1;
      this.onSlots();
    });
    return this.queue;
  }

  /** Whether video arrives as last-N slots (then not everyone's video does). */
  lastN() {
    return this.tracks.some((t) => t.slot !== null && t.slot !== undefined);
  }

  /** Whether a video track of ``identity`` arrives now. */
  hasVideo(identity) {
    return Boolean(this.streams.get(identity)?.getVideoTracks().length);
  }

  /** Ask for a fresh connection when this one fails or stays connecting too long. */
  watch(pc) {
    const replacement = this.opened > 1;
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") this.connectedOnce = true;
      if (pc.connectionState === "failed") this.requestRestart(pc);
      else if (pc.connectionState === "connected" && replacement && pc === this.pc) this.onRestored();
    });
    watchConnecting(pc, this.connectWatchMs, () => this.requestRestart(pc));
  }

  requestRestart(pc) {
    if (this.closed || pc !== this.pc || this.restartedFor === pc || !this.restart) return;
    this.restartedFor = pc;
    this.sendRestart(pc);
  }

  sendRestart(pc) {
    this.restarts += 1;
    this.restart().catch((err) => {
      if (this.closed) return;
      if (err.code === "rate_limited" && pc === this.pc && this.restartedFor === pc) {
        // Too many media requests just now: ask again when the server lets us in.
        this.restartsRefused += 1;
        setTimeout(() => {
          if (!this.closed && pc === this.pc && this.restartedFor === pc) this.sendRestart(pc);
        }, retryDelayMs(err));
        return;
      }
      if (this.restartedFor === pc) this.restartedFor = null; // may ask again on the next failure
      this.onError(err);
    });
  }

  /** Give each participant's stream exactly the tracks the offer's mids name for them. */
  mapTracks(pc, tracks) {
    const byMid = new Map(tracks.map((t) => [t.mid, t]));
    const wanted = new Map(); // identity -> [MediaStreamTrack]
    for (const transceiver of pc.getTransceivers()) {
      const entry = byMid.get(transceiver.mid);
      if (!entry?.identity || !transceiver.receiver?.track) continue;
      if (!wanted.has(entry.identity)) wanted.set(entry.identity, []);
      wanted.get(entry.identity).push(transceiver.receiver.track);
    }
    for (const [identity, stream] of this.streams) {
      const keep = new Set(wanted.get(identity) || []);
      for (const track of stream.getTracks()) if (!keep.has(track)) stream.removeTrack(track);
      if (!keep.size) {
        this.streams.delete(identity);
        this.onStream(identity, null);
      }
    }
    for (const [identity, list] of wanted) {
      let stream = this.streams.get(identity);
      const isNew = !stream;
      if (isNew) {
        stream = new MediaStream();
        this.streams.set(identity, stream);
      }
      for (const track of list) if (!stream.getTrackById(track.id)) stream.addTrack(track);
      if (isNew) this.onStream(identity, stream);
    }
  }

  /** The identities whose tracks arrive now. */
  identities() {
    return [...this.streams.keys()];
  }

  /** The mids carrying ``identity``'s tracks now (from the last offer applied). */
  midsOf(identity) {
    return new Set(this.tracks.filter((t) => t.identity === identity).map((t) => t.mid));
  }

  /** Each participant's remote stream, to attach to a tile made after it arrived. */
  forEachStream(fn) {
    for (const [identity, stream] of this.streams) fn(identity, stream);
  }

  reset() {
    for (const identity of [...this.streams.keys()]) this.onStream(identity, null);
    this.streams.clear();
    if (this.pc) this.pc.close();
    this.pc = null;
    this.subscriptionId = null;
    this.version = 0;
    this.tracks = [];
  }

  close() {
    this.closed = true;
    this.reset();
  }
}
