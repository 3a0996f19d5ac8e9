// Instants shown as wall-clock times in a chosen IANA zone, the same way everywhere:
// "Tue 10 Mar, 09:55" (24-hour clock, English day and month names), so the page reads the
// same in every browser locale and tests can compute the expected text with zoneinfo.

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

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

const formatters = new Map();

function partsFormatter(zone) {
  const key = zone || "";
  let fmt = formatters.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: zone || undefined,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      hourCycle: "h23",
    });
    formatters.set(key, fmt);
  }
  return fmt;
}

/** The wall clock of instant `ms` (epoch milliseconds) in `zone` (the browser's if empty). */
export function wallClock(ms, zone) {
  const parts = {};
  for (const p of partsFormatter(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, weekday, hour: Number(parts.hour) % 24, minute: Number(parts.minute) };
}

const pad = (n) => String(n).padStart(2, "0");

/** "09:55" */
export function formatTime(ms, zone) {
  const w = wallClock(ms, zone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** "Tue 10 Mar" */
export function formatDay(ms, zone) {
  const w = wallClock(ms, zone);
  return `${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month - 1]}`;
}

/** "Tue 10 Mar, 09:55" */
export function formatDateTime(ms, zone) {
  return `${formatDay(ms, zone)}, ${formatTime(ms, zone)}`;
}

/** "09:00–09:30", or "Tue 10 Mar, 23:45–Wed 11 Mar, 00:15" across midnight (with the day). */
export function formatSpan(startMs, endMs, zone, { withDay = false } = {}) {
  const sameDay = localDate(startMs, zone) === localDate(endMs - 1, zone);
  const start = withDay ? formatDateTime(startMs, zone) : formatTime(startMs, zone);
  const end = sameDay ? formatTime(endMs, zone) : formatDateTime(endMs, zone);
  return `${start}–${end}`;
}

/** The local calendar date of `ms` in `zone` as "2026-03-10". */
export function localDate(ms, zone) {
  const w = wallClock(ms, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
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

/** "GMT+09:00" for `zone` at instant `ms`. */
export function utcOffset(ms, zone) {
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date(ms));
    const name = parts.find((p) => p.type === "timeZoneName")?.value || "GMT";
    return name === "GMT" ? "GMT+00:00" : name;
  } catch {
    return "";
  }
}

/** "Los Angeles" for "America/Los_Angeles"; "UTC" stays. */
export function placeName(zone) {
  const last = String(zone || "").split("/").pop() || "";
  return last.replace(/_/g, " ");
}

/** The zone this browser runs in (its current IANA name). */
export function browserZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return CURRENT_NAME[zone] || zone;
}

/** Whether the browser can format times in `zone`. */
export function isKnownZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone the browser knows, by current name, sorted; `extra` names are kept. */
export function allZones(...extra) {
  let names = [];
  try {
    names = Intl.supportedValuesOf("timeZone");
  } catch {
    names = [];
  }
  const set = new Set(names.map((z) => CURRENT_NAME[z] || z));
  set.add("UTC");
  for (const z of extra) if (z) set.add(z);
  return [...set].sort();
}
