// How the recordings page says things: dates, durations, sizes, states, error sentences.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const withSeconds = new Intl.DateTimeFormat(undefined, {
  month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

export function when(epochSeconds) {
  return dateTime.format(new Date(epochSeconds * 1000));
}

export function clock(epochSeconds) {
  return timeOnly.format(new Date(epochSeconds * 1000));
}

export function moment(epochSeconds) {
  return withSeconds.format(new Date(epochSeconds * 1000));
}

/** A person as the recording names them: the display name their link gave (the
 * identity when it kept none). */
export function nameOf(recording, identity) {
  return (recording.names && recording.names[identity]) || identity;
}

/** What the recording is of: the room's title if it had one, and the room id. */
export function roomOf(recording) {
  return recording.room_title ? `${recording.room_title} (room ${recording.room_id})`
    : `Room ${recording.room_id}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "still recording";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export const STATES = {
  recording: "Recording now",
  stopped: "Finished",
  recovered: "Recovered after a server restart",
  interrupted: "Interrupted: its server was lost; recovered when it is back",
  failed: "Failed",
};

export const COMPOSITION = {
  pending: "One file for the session: waiting",
  running: "One file for the session: being made",
  done: "One file for the session: ready",
  failed: "One file for the session: failed (the separate track files are still here)",
};

export const DECISIONS = {
  accepted: "Accepted",
  declined: "Declined",
  withdrawn: "Withdrew consent",
};

export const FILE_KINDS = {
  composed: "Whole session (one file)",
  track: "Track",
  consent: "Consent log",
};

const MESSAGES = {
  unreachable: "The server can't be reached. Check your connection and try again.",
  rate_limited: "Too many sign-in attempts from here. Wait a minute and try again.",
  forbidden: "That token can't open recordings: it needs the admin grant.",
  recording_in_progress: "This recording is still being made: stop it before deleting it.",
  recording_not_found: "This recording no longer exists (it was deleted).",
  recording_file_not_found: "That file is no longer there.",
  storage_unavailable: "The recording storage isn't answering. Try again in a moment.",
  unavailable: "The server's store isn't answering. Try again in a moment.",
  csrf_invalid: "The page is out of date: reload it and try again.",
};

/** A sentence for a failed request: ours for known codes, else the server's. */
export function sentence(error) {
  return MESSAGES[error.code] || error.serverMessage || `Something went wrong (${error.code}).`;
}
