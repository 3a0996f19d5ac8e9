// WebRTC helpers. ICE is not trickled (docs/protocol.md): every offer and answer is
// sent after gathering completes, with its candidates inside.

const ICE_GATHER_TIMEOUT_MS = 5000;

export function waitForIceGathering(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === "complete") done();
    };
    // Send what we have if gathering stalls (e.g. an unreachable TURN server).
    const timer = setTimeout(done, ICE_GATHER_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

function preferVp8(transceiver) {
  if (!transceiver.setCodecPreferences || !window.RTCRtpSender?.getCapabilities) return;
  const caps = RTCRtpSender.getCapabilities("video");
  const isVp8 = (c) => c.mimeType.toLowerCase() === "video/vp8";
  if (!caps || !caps.codecs.some(isVp8)) return;
  try {
    transceiver.setCodecPreferences([...caps.codecs.filter(isVp8), ...caps.codecs.filter((c) => !isVp8(c))]);
  } catch {
    // Not fatal: the server picks VP8 from the offer anyway.
  }
}

/**
 * Call `onStuck()` if `pc` has not connected `ms` after now (and is not closed). A
 * connection whose ICE succeeded on a path the server then does not use stays
 * "connecting" forever (the browser never declares it failed): starting it again helps.
 */
export function watchConnecting(pc, ms, onStuck) {
  const timer = setTimeout(() => {
    if (pc.connectionState !== "connected" && pc.connectionState !== "closed") onStuck();
  }, ms);
  pc.addEventListener("connectionstatechange", () => {
    if (pc.connectionState === "connected" || pc.connectionState === "closed") clearTimeout(timer);
  });
}

/** Add sendonly transceivers for the stream's tracks; return the complete offer SDP. */
export async function createPublishOffer(pc, stream) {
  const audio = stream.getAudioTracks()[0];
  const video = stream.getVideoTracks()[0];
  if (audio) pc.addTransceiver(audio, { direction: "sendonly", streams: [stream] });
  if (video) preferVp8(pc.addTransceiver(video, { direction: "sendonly", streams: [stream] }));
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIceGathering(pc);
  return pc.localDescription.sdp;
}

/** Apply the server's offer; return the complete answer SDP. */
export async function answerOffer(pc, offerSdp) {
  await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await waitForIceGathering(pc);
  return pc.localDescription.sdp;
}

/** Totals over the subscription connections' inbound-rtp stats (for tests and support). */
export async function collectRemoteStats(pcs, keep = null) {
  const out = {
    framesDecoded: 0,
    framesReceived: 0,
    frameWidth: 0,
    totalAudioEnergy: 0,
    audioLevel: 0,
    packetsReceived: 0,
    audioPacketsReceived: 0,
    connectionStates: [],
  };
  for (const pc of pcs) {
    out.connectionStates.push(pc.connectionState);
    const report = await pc.getStats();
    report.forEach((s) => {
      if (keep && !(s.type === "inbound-rtp" && keep(s))) return; // only those m-lines
      if (s.type === "inbound-rtp") {
        out.packetsReceived += s.packetsReceived || 0;
        if (s.kind === "video") {
          out.framesDecoded += s.framesDecoded || 0;
          out.framesReceived += s.framesReceived || 0;
          out.frameWidth = Math.max(out.frameWidth, s.frameWidth || 0);
        } else if (s.kind === "audio") {
          out.audioPacketsReceived += s.packetsReceived || 0;
          out.totalAudioEnergy += s.totalAudioEnergy || 0;
          out.audioLevel = Math.max(out.audioLevel, s.audioLevel || 0);
        }
      } else if ((s.type === "track" || s.type === "media-source") && s.kind === "audio") {
        out.audioLevel = Math.max(out.audioLevel, s.audioLevel || 0);
      }
    });
  }
  return out;
}

/** What the publish connection sends. */
export async function collectLocalStats(pc) {
  const out = { framesEncoded: 0, packetsSent: 0, connectionState: pc?.connectionState || "none" };
  if (!pc) return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type === "outbound-rtp") {
      out.packetsSent += s.packetsSent || 0;
      if (s.kind === "video") out.framesEncoded += s.framesEncoded || 0;
    }
  });
  return out;
}
