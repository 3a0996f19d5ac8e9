// Times as the server computed them. The server sends every time a page shows as a local
// time with its offset ("2026-12-07T09:00:00-07:00", from its pinned tz database); the
// page only reads the wall clock written in that text, it never converts an instant with
// the browser's own time-zone data (which may hold other rules). Shown the same way
// everywhere: "Tue 10 Mar, 09:55" (24-hour clock, English day and month names), so the page
// reads the same in every browser locale.
//
// The night clocks go back, one wall time happens twice ("01:30" at UTC+11, then again at
// UTC+10:30 on Lord Howe). A time is then written with the offset the server gave it,
// "01:30 (UTC+11)": in a span whose two ends have different offsets, and for a wall time
// that the server's times shown together on the page (`repeats`, from `repeatedWalls`)
// give with two offsets. Ordinary times stay "01:30".

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LOCAL_TEXT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

// ICU still lists some zones by their old names; people look for the current ones.
const CURRENT_NAME = {
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Asia/Rangoon": "Asia/Yangon",
  "Europe/Kiev": "Europe/Kyiv",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "America/Godthab": "America/Nuuk",
  "Pacific/Truk": "Pacific/Chuuk",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Enderbury": "Pacific/Kanton",
};

const pad = (n) => String(n).padStart(2, "0");

/** The wall clock written in a server local time: {year, month, day, weekday, hour, minute}. */
export function wallOf(text) {
  const m = LOCAL_TEXT.exec(String(text || ""));
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, weekday, hour, minute };
}

/** "09:55"; "01:30 (UTC+11)" when `repeats` holds its wall time. */
export function timeText(text, { repeats } = {}) {
  const w = wallOf(text);
  if (!w) return "";
  const clock = `${pad(w.hour)}:${pad(w.minute)}`;
  return repeats && repeats.has(wallKey(text)) ? `${clock} (${offsetText(text)})` : clock;
}

/** "UTC+11", "UTC+10:30", "UTC-3:30"; "UTC" for +00:00: the offset of a server local time. */
export function offsetText(text) {
  const offset = offsetOf(text);
  if (offset === "+00:00") return "UTC";
  const minutes = offset.slice(4, 6);
  return `UTC${offset[0]}${Number(offset.slice(1, 3))}${minutes === "00" ? "" : `:${minutes}`}`;
}

/** The wall time of a server local time, without its offset: "2027-04-04T01:30". */
export function wallKey(text) {
  const m = LOCAL_TEXT.exec(String(text || ""));
  return m ? m[0] : "";
}

/** The wall times that `texts` (server local times in one zone, e.g. every time a list
 * shows) give with more than one UTC offset: the ones a clock going back repeats. */
/** key -> the wall times repeated among that key's own times, from `[key, local]` pairs
 * (`local`: a server local time with `start` and `end`). */
export function repeatedWallsBy(pairs) {
  const times = new Map();
  for (const [key, local] of pairs) {
    if (!times.has(key)) times.set(key, []);
    times.get(key).push(local.start, local.end);
  }
  return new Map([...times].map(([key, texts]) => [key, repeatedWalls(texts)]));
}

export function repeatedWalls(texts) {
  const offsets = new Map();
  for (const text of texts) {
    const wall = wallKey(text);
    if (!wall) continue;
    if (!offsets.has(wall)) offsets.set(wall, new Set());
    offsets.get(wall).add(offsetOf(text));
  }
  return new Set([...offsets].filter(([, seen]) => seen.size > 1).map(([wall]) => wall));
}

/** "Tue 10 Mar" */
export function dayText(text) {
  const w = wallOf(text);
  return w ? `${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month - 1]}` : "";
}

/** "Tue 10 Mar, 09:55" ("Sun 4 Apr, 01:30 (UTC+11)" when `repeats` holds its wall time). */
export function dateTimeText(text, { repeats } = {}) {
  return `${dayText(text)}, ${timeText(text, { repeats })}`;
}

/** The local calendar date of a server local time: "2026-03-10". */
export function dateOf(text) {
  const w = wallOf(text);
  return w ? `${w.year}-${pad(w.month)}-${pad(w.day)}` : "";
}

/** "09:00–09:30", or "Tue 10 Mar, 23:45–Wed 11 Mar, 00:15" across midnight (an end at
 * midnight still belongs to the day before). Both ends carry their offsets when these
 * differ ("01:30 (UTC+11)–01:30 (UTC+10:30)"), and an end whose wall time `repeats` holds
 * carries its own ("01:30 (UTC+10:30)–02:00"). */
export function spanText(start, end, { withDay = false, repeats } = {}) {
  const endsAtMidnight = timeText(end) === "00:00" && dateOf(end) === addDays(dateOf(start), 1);
  const sameDay = dateOf(start) === dateOf(end) || endsAtMidnight;
  const offsets = offsetOf(start) === offsetOf(end) ? repeats : new Set([wallKey(start), wallKey(end)]);
  const label = { repeats: offsets };
  const first = withDay ? dateTimeText(start, label) : timeText(start, label);
  const last = sameDay ? timeText(end, label) : dateTimeText(end, label);
  return `${first}–${last}`;
}

/** "2026-03-10" plus `days` calendar days. */
export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** "Tue 10 Mar 2026" for a calendar date "2026-03-10". */
export function formatCalendarDate(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${WEEKDAYS[weekday]} ${d} ${MONTHS[m - 1]} ${y}`;
}

/** "Los Angeles" for "America/Los_Angeles"; "UTC" stays. */
export function placeName(zone) {
  const last = String(zone || "").split("/").pop() || "";
  return last.replace(/_/g, " ");
}

/** The zone this browser runs in (its current IANA name; only the name is used). */
export function browserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return CURRENT_NAME[zone] || zone;
}

// ---- the server's zones (GET /api/zones) -----------------------------------------------

const serverZones = new Map(); // name -> offset now, "-07:00"

/** Remember the server's zones: [{zone, offset}]. */
export function setZones(list) {
  serverZones.clear();
  for (const z of list || []) if (z && z.zone) serverZones.set(z.zone, z.offset || "+00:00");
}

/** Whether the server knows `zone`. */
export function isKnownZone(zone) {
  return Boolean(zone) && serverZones.has(zone);
}

/** Every zone the server knows, sorted. */
export function zoneNames() {
  return [...serverZones.keys()].sort();
}

/** "GMT-07:00": the zone's UTC offset now, as the server said. */
export function zoneOffsetLabel(zone) {
  const offset = serverZones.get(zone);
  return offset ? `GMT${offset}` : "";
}

/** The server local time of the instant `ms` in `zone`, with the offset the server gave
 * for now (for "it's 09:00 there now", "today"): "2026-03-10T09:55:00-07:00". */
export function nowText(zone, ms = Date.now()) {
  return textAtOffset(ms, serverZones.get(zone) || "+00:00");
}

/** The instant `ms` written with the UTC offset `offset` ("-07:00"). */
export function textAtOffset(ms, offset) {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h, m] = offset.slice(1).split(":").map(Number);
  const shifted = new Date(ms + sign * (h * 60 + m) * 60000);
  return `${shifted.toISOString().slice(0, 19)}${offset}`;
}

/** The UTC offset written at the end of a server local time ("+09:00"; "+00:00" for Z). */
export function offsetOf(text) {
  const m = /([+-]\d{2}:\d{2}|Z)$/.exec(String(text || ""));
  return !m || m[1] === "Z" ? "+00:00" : m[1];
}

/** The browser's own wall clock of `ms`, for a link the server sent no local time with. */
export function browserText(ms) {
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date}T${pad(d.getHours())}:${pad(d.getMinutes())}:00`;
}
