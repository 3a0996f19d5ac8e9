// Everything the page says about errors and roles, in one place.

import { browserText, dateOf, dateTimeText, offsetOf, textAtOffset, timeText } from "../shared/time.js";

// One sentence per error code in docs/protocol.md (plus client-side ones).
// tests/e2e/test_client_messages.py checks that none is missing.
export const ERROR_TEXT = {
  invalid_payload: "The server didn't understand a request from this page. Please reload the page and try again.",
  unknown_event: "This page asked the server for something it doesn't offer; the page may be out of date. Please reload it.",
  payload_too_large: "A request from this page was too large for the server. Please reload the page and try again.",
  token_missing: "This link is incomplete: it has no access code. Open the full link your programme sent you.",
  token_invalid: "This link isn't valid. Check that you opened the whole link, or ask your programme for a new one.",
  token_expired: "This link has expired — ask your programme for a new one.",
  token_not_yet_valid: "This call isn't open yet. Please come back closer to the start time.",
  token_wrong_room: "This link belongs to a different call. Open the link your programme sent you for this call.",
  room_not_found: "This call doesn't exist, or it has already ended.",
  room_full: "This room is full: everyone invited is already in the call. If someone leaves, you can try again.",
  room_closed: "This call has ended: its time is over.",
  link_used_up: "This shared link has already let in as many people as it allows. Ask the host for a personal link.",
  already_joined: "This window is already in the call.",
  not_joined: "You're no longer in the call. Rejoin to carry on.",
  forbidden: "Your link doesn't allow this.",
  not_in_room: "That person is no longer in the call.",
  not_published: "The other person isn't sharing their camera or microphone yet.",
  unknown_subscription: "The connection to the other person's video was lost. Trying again…",
  stale_answer: "The video connection was updated while your browser answered. Catching up…",
  invalid_sdp: "The server couldn't use your browser's media settings. Try an up-to-date Chrome, Firefox or Safari.",
  unsupported_codec: "Your browser doesn't offer the video and audio formats this service needs (VP8 and Opus). Try an up-to-date Chrome, Firefox or Safari.",
  media_failed: "The audio and video connection to the call server couldn't be set up. Please try again.",
  not_host: "Only the host can do this.",
  not_roundtable: "This control is only available in a roundtable.",
  banned: "A host removed you from this session, so you can't join it again.",
  room_locked: "This session is locked: the host isn't letting new people in.",
  lobby_waiting: "You're waiting to be let in by a host.",
  lobby_full: "Too many people are waiting to be let in right now. Please try again in a few minutes.",
  not_knocking: "That person is no longer waiting to be let in.",
  unknown_participant: "That person isn't in this session.",
  target_is_host: "The host can't be muted, removed, demoted or promoted.",
  invalid_target: "Observers can't be made co-host or host.",
  hand_not_raised: "That person's hand isn't raised any more.",
  invalid_timer: "A speaking time must be between 1 second and 1 hour.",
  invalid_breakout: "That breakout isn't possible: it needs at least two participants here, and between half a minute and two hours.",
  breakout_running: "A breakout is already running: call everyone back first.",
  too_many_bans: "This session's list of removed people is full.",
  hard_muted: "A host has muted this for you; only a host can turn it back on.",
  not_allowed_to_record: "You can't record this session: only the mentor (or, in a group session, a host) can start or stop a recording.",
  already_recording: "This session is already being recorded.",
  not_recording: "This session isn't being recorded right now.",
  recording_interrupted: "The recording was cut off when the server writing it was lost. It is kept and finished when that server comes back; you can record again.",
  recording_disk_full: "The recording stopped because the server ran out of space. What was recorded until then is kept.",
  recording_node_drained: "The recording stopped because the call moved to another server. What was recorded is kept; start recording again to carry on.",
  recording_segment_limit: "This recording can't hold any more parts, so nothing new is being recorded. What was recorded is kept; stop it and start a new recording to carry on.",
  recording_consent_limit: "You've changed your recording answer too many times for this recording, so your last answer stands.",
  invalid_update: "That change to the notes couldn't be read, so it wasn't kept. Your notes are unchanged.",
  notes_wrong_room: "Those notes belong to another session.",
  notes_read_only: "You're observing this session, so you can read the notes but not change them.",
  notes_too_large: "The notes are full (they've reached their size limit), so that change wasn't kept.",
  resume_expired: "You were away too long to keep your place in the call. Join again to carry on.",
  resume_invalid: "This window's connection to the call was taken over or is out of date. Join again to carry on.",
  internal_error: "Something went wrong on the server. The call carries on; please try again in a moment.",
  moved: "This call is served by another server; reconnecting you there…",
  no_node: "No server can take this call right now. Please try again in a minute.",
  unavailable: "The server is briefly unable to reach its data. Your call carries on; please try again in a few seconds.",
  busy: "The server is still working on your earlier requests. Please try again in a moment.",
  rate_limited: "Too many requests in a short time. Please wait a few seconds and try again.",
  timeout: "The server didn't answer in time. Check your internet connection and try again.",
  unreachable: "Can't reach the call server. Check your internet connection; we'll keep trying.",
};

// Headings for errors that end the page (the notice panel); the sentence says why.
export const ERROR_HEADING = {
  token_missing: "This link can't be used",
  token_invalid: "This link can't be used",
  token_expired: "This link can't be used",
  token_not_yet_valid: "Not open yet",
  token_wrong_room: "This link can't be used",
  room_not_found: "Call not available",
  room_full: "You can't join right now",
  room_closed: "Call not available",
  link_used_up: "This link can't be used",
};

// Errors after which trying again can help (the notice offers a button).
export const RETRYABLE = new Set([
  "room_full", "token_not_yet_valid", "already_joined", "not_joined", "media_failed",
  "internal_error", "unavailable", "no_node", "moved", "timeout", "invalid_payload", "payload_too_large", "busy",
  "rate_limited",
]);

const ROLE_LABEL = {
  mentor: "Mentor", mentee: "Mentee", host: "Host", "co-host": "Co-host", participant: "Participant",
  observer: "Observer",
};

/** "Mentor" for "mentor"; unknown roles pass through. */
export function roleLabel(role) {
  return ROLE_LABEL[role] || role || "";
}

/** Who the waiting screen waits for, seen from `role`. */
export function otherRoleText(role) {
  if (role === "mentor") return "your mentee";
  if (role === "mentee") return "your mentor";
  if (role === "host") return "the participants";
  if (role === "co-host" || role === "participant" || role === "observer") return "the others";
  return "the other person";
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** What the page says when a media connection to the server cannot be made (its network
 * path was refused or never connected): the camera and microphone are not the problem,
 * and rejoining will not help. On a page served from this machine's loopback address,
 * the usual cause is a browser that offers no loopback ICE address (README, "Your first
 * call"). `hostname`: the page's (window.location.hostname). */
export function mediaPathText(hostname) {
  if (LOOPBACK_HOSTS.has(hostname) || hostname.startsWith("127.")) {
    return "Your camera and microphone work, but your browser couldn't open a media connection " +
      "to this server, which takes media on this computer's loopback address: start Chrome or " +
      "Chromium with --allow-loopback-in-peer-connection, or the server with " +
      "MENTORCALL_ICE_ALLOWED_NETWORKS=127.0.0.0/8,::1/128,local " +
      "(see \"Your first call\" in the README).";
  }
  return "Your camera and microphone work, but your browser couldn't open a media connection " +
    "to the call server: a firewall, VPN or network setting may be blocking it. Try another " +
    "network, or tell whoever runs these calls.";
}

/** An error ack from the server (or a client-side failure with a code). */
export class ServerError extends Error {
  /** @param {number} [retryAfterS] `rate_limited`: seconds until a retry is let in */
  constructor(code, message, retryAfterS) {
    super(message || ERROR_TEXT[code] || code);
    this.code = code;
    this.retryAfterS = typeof retryAfterS === "number" ? retryAfterS : null;
  }
}

/** The opening as written: `local`, the server's local time from the join link
 * ("2026-03-10T09:55:00+01:00", the person's zone), or else the browser's own clock. */
function opening(ms, local) {
  return local || browserText(ms);
}

/** "This session opens at Tue 10 Mar, 09:55." */
export function opensAtText(ms, local = null) {
  return `This session opens at ${dateTimeText(opening(ms, local))}.`;
}

/** The Join button's label until then: "Opens at 09:55" (with the day if not today). */
export function opensAtLabel(ms, now = Date.now(), local = null) {
  const opens = opening(ms, local);
  const today = local ? textAtOffset(now, offsetOf(local)) : browserText(now);
  return `Opens at ${dateOf(opens) === dateOf(today) ? timeText(opens) : dateTimeText(opens)}`;
}

export function describeError(err) {
  if (err && err.code && ERROR_TEXT[err.code]) return ERROR_TEXT[err.code];
  if (err && err.code) return `${err.message} (${err.code})`;
  return "Something unexpected went wrong. Please reload the page.";
}
