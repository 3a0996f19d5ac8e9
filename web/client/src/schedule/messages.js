// What the scheduling page says for every error code of docs/scheduling-api.md.
// tests/e2e/test_schedule.py checks that no documented code is missing.

export const SCHEDULE_ERROR_TEXT = {
  booking_changed: "Someone changed this session meanwhile. The list has been refreshed; please try again.",
  too_soon: "That's too soon. Sessions are booked at least 2 hours ahead: pick a later time.",
  unauthorized: "This scheduling link isn't valid any more. Ask your programme for a new one.",
  forbidden: "Your link doesn't allow this.",
  person_not_found: "We couldn't find that person. Check the link you were given, or ask your programme.",
  invalid_body: "Something in the form isn't right.",
  invalid_json: "The server didn't understand this page's request. Please reload the page.",
  body_too_large: "That's more than the server accepts at once. Try with fewer times or days off.",
  unknown_zone: "That isn't a time zone we know. Please pick one from the list.",
  nonexistent_local_time: "That local time doesn't exist in your zone (the clocks skip over it). Pick another time.",
  ambiguous_local_time: "That local time happens twice in your zone (the clocks go back). Pick another time.",
  invalid_range: "An end must come after its start: check the times and dates.",
  range_too_long: "That's too long a stretch of dates. Choose a shorter range.",
  invalid_duration: "Sessions can only last 15, 30 or 45 minutes.",
  slot_in_past: "That time has already passed. Please pick a later one.",
  slot_taken: "Sorry, that time has just been taken. Here are the times that are still free.",
  slot_unavailable: "That time isn't free for everyone any more. Here are the times that still are.",
  outside_programme: "That person isn't in your programme. You can book people of your own programme only.",
  booking_exists: "This session is already booked.",
  booking_not_found: "That session doesn't exist any more. The list has been refreshed.",
  booking_cancelled: "That session has already been cancelled.",
  occurrence_not_found: "That session is no longer part of the series. The list has been refreshed.",
  room_not_found: "The call for this session doesn't exist any more.",
  internal_error: "Something went wrong on the server. Please try again in a moment.",
  rate_limited: "That's a lot of requests in a short time. Please wait a moment and try again.",
  unavailable: "The server is briefly unable to reach its data. Please try again in a few seconds.",
  unreachable: "Can't reach the server. Check your internet connection and try again.",
  token_missing: "This link is incomplete: it has no access code. Open the full link your programme sent you.",
  token_invalid: "This scheduling link isn't valid. Check that you opened the whole link, or ask your programme for a new one.",
  token_expired: "This scheduling link has expired — ask your programme for a new one.",
  token_not_yet_valid: "This scheduling link isn't valid yet. Please try again later.",
};

// Codes whose server message adds a useful detail (which field, what limit).
const WITH_DETAIL = new Set(["invalid_body", "range_too_long", "unknown_zone", "invalid_range"]);

/** One clear sentence for an ApiError (or anything thrown). */
export function scheduleErrorText(err) {
  const code = err?.code;
  const text = SCHEDULE_ERROR_TEXT[code];
  if (!text) {
    return err?.message ? `${err.message}` : "Something unexpected went wrong. Please reload the page.";
  }
  const detail = err.serverMessage;
  if (detail && WITH_DETAIL.has(code) && !text.includes(detail)) return `${text} (${detail})`;
  return text;
}

const ROLE = { mentor: "mentor", mentee: "mentee", host: "host" };

/** "your mentor" when the other side's name is not known. */
export function counterpartFallback(myRole) {
  if (myRole === "mentee") return "your mentor";
  if (myRole === "mentor") return "your mentee";
  return "the other person";
}

export function roleWord(role) {
  return ROLE[role] || "";
}
