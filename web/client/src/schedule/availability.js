// The weekly availability editor: time ranges per weekday and days off, in the person's
// own zone (wall-clock times: 09:00 stays 09:00 across daylight-saving changes).

import { formatCalendarDate } from "../shared/time.js";

export const WEEKDAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];
const MAX_RANGES_PER_DAY = 12; // the server's limit
const NEW_RANGE = ["09:00", "12:00"];

const $ = (id) => document.getElementById(id);

/** A small DOM builder: el("button", {type: "button", class: "x"}, "text"). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** "HH:MM" from what the server stores ("08:30" or "08:30:00"). */
function hhmm(value) {
  return String(value || "").slice(0, 5);
}

const minutes = (value) => {
  const [h, m] = value.split(":").map(Number);
  return h * 60 + m;
};

/** Problems a person can fix before saving, one sentence each (empty: fine). */
export function checkWeekly(weekly) {
  const problems = [];
  for (const [key, name] of WEEKDAYS) {
    for (const [start, end] of weekly[key] || []) {
      if (!start || !end) {
        problems.push(`${name}: fill in both times of each range, or remove it.`);
      } else if (end !== "00:00" && minutes(end) <= minutes(start)) {
        problems.push(`${name}: ${start}–${end} ends before it starts. (Use 00:00 to mean midnight.)`);
      }
    }
  }
  return problems;
}

export class AvailabilityEditor {
  /** `onChange()` is called whenever the person edits something. */
  constructor(onChange) {
    this.onChange = onChange;
    this.weekly = {};
    this.daysOff = [];
    this.extra = [];
    $("add-day-off").addEventListener("click", () => this.addDayOff());
    $("day-off-input").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        this.addDayOff();
      }
    });
  }

  /** Show a stored availability (or an empty week). */
  load(availability) {
    this.weekly = {};
    for (const [key] of WEEKDAYS) {
      const ranges = availability?.weekly?.[key] || [];
      this.weekly[key] = ranges.map(([s, e]) => [hhmm(s), hhmm(e)]);
    }
    this.daysOff = [...(availability?.days_off || [])].map(String).sort();
    this.extra = [...(availability?.extra || [])]; // kept as is; not edited on this page
    this.render();
  }

  /** The body of PUT /api/me/availability for `zone`. */
  toBody(zone) {
    const weekly = {};
    for (const [key] of WEEKDAYS) {
      if (this.weekly[key]?.length) weekly[key] = this.weekly[key].map(([s, e]) => [s, e]);
    }
    return { zone, weekly, days_off: [...this.daysOff], extra: this.extra };
  }

  problems() {
    return checkWeekly(this.weekly);
  }

  changed() {
    this.onChange();
  }

  render() {
    const box = $("weekly");
    box.replaceChildren(...WEEKDAYS.map(([key, name]) => this.dayRow(key, name)));
    this.renderDaysOff();
  }

  dayRow(key, name) {
    const ranges = this.weekly[key];
    const list = el("div", { class: "ranges" });
    if (!ranges.length) list.append(el("span", { class: "muted day-free" }, "Not available"));
    ranges.forEach((range, index) => {
      const label = `${name}, range ${index + 1}`;
      const start = el("input", {
        type: "time", value: range[0], "aria-label": `${label}, from`, required: true,
      });
      const end = el("input", {
        type: "time", value: range[1], "aria-label": `${label}, until`, required: true,
      });
      start.addEventListener("change", () => {
        range[0] = start.value;
        this.changed();
      });
      end.addEventListener("change", () => {
        range[1] = end.value;
        this.changed();
      });
      const remove = el(
        "button",
        { type: "button", class: "small quiet remove", "aria-label": `Remove ${label}`, title: "Remove" },
        el("span", { class: "remove-word" }, "Remove"),
        el("span", { class: "remove-mark", "aria-hidden": "true" }, "✕"),
      );
      remove.addEventListener("click", () => {
        ranges.splice(index, 1);
        this.render();
        this.changed();
        $("weekly").querySelector(`[data-day="${key}"] .add-range`)?.focus();
      });
      list.append(el("div", { class: "range" }, start, el("span", { "aria-hidden": "true" }, "–"), end, remove));
    });
    const add = el(
      "button",
      { type: "button", class: "small add-range", "aria-label": `Add a time range on ${name}` },
      "Add time",
    );
    add.disabled = ranges.length >= MAX_RANGES_PER_DAY;
    add.addEventListener("click", () => {
      const last = ranges[ranges.length - 1];
      // A new range starts where the last one ended, so it rarely overlaps.
      const follows = last && last[1] && last[1] !== "00:00" && last[1] < "23:00";
      ranges.push(follows ? [last[1], laterBy(last[1], 60)] : [...NEW_RANGE]);
      this.render();
      this.changed();
      const inputs = $("weekly").querySelectorAll(`[data-day="${key}"] input`);
      inputs[inputs.length - 2]?.focus();
    });
    return el(
      "div",
      { class: "day-row", dataset: { day: key }, role: "group", "aria-label": name },
      el("span", { class: "day-name" }, name),
      list,
      add,
    );
  }

  renderDaysOff() {
    const list = $("days-off");
    if (!this.daysOff.length) {
      list.replaceChildren(el("li", { class: "muted" }, "None"));
      return;
    }
    list.replaceChildren(
      ...this.daysOff.map((day) => {
        const remove = el(
          "button",
          { type: "button", class: "small quiet", "aria-label": `Remove day off ${formatCalendarDate(day)}` },
          "Remove",
        );
        remove.addEventListener("click", () => {
          this.daysOff = this.daysOff.filter((d) => d !== day);
          this.renderDaysOff();
          this.changed();
        });
        return el("li", { dataset: { day } }, el("span", {}, formatCalendarDate(day)), remove);
      }),
    );
  }

  addDayOff() {
    const input = $("day-off-input");
    const day = input.value;
    if (!day) {
      input.focus();
      return;
    }
    if (!this.daysOff.includes(day)) {
      this.daysOff = [...this.daysOff, day].sort();
      this.renderDaysOff();
      this.changed();
    }
    input.value = "";
  }
}

function laterBy(value, mins) {
  const total = Math.min(minutes(value) + mins, 24 * 60 - 1);
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}
