// mentorcall programme admin page (/programmes#programme=<id>): sign in with the admin key,
// pick one of your programmes (GET /api/programmes), create or open one by its id, import people from a CSV file, then review.js (matching,
// lock, swap, publish) and dashboard.js (coffee rounds, participation, chart).

import { AdminApi, errorText } from "./api.js";
import { Review } from "./review.js";
import { Dashboard } from "./dashboard.js";
import { el } from "../schedule/availability.js";

const $ = (id) => document.getElementById(id);

function show(id, text) {
  $(id).textContent = text || "";
  $(id).hidden = !text;
}

function programmeFromHash() {
  return new URLSearchParams(window.location.hash.replace(/^#/, "")).get("programme") || "";
}

class AdminPage {
  constructor() {
    this.api = new AdminApi();
    this.state = "loading";
    this.programme = null;
    this.people = new Map(); // key -> {key, name, role, zone, capacity}
    this.review = new Review(this);
    this.dashboard = new Dashboard(this);
  }

  setState(state) {
    this.state = state;
    document.body.dataset.state = state;
  }

  status(text) {
    $("status").textContent = text;
  }

  /** "Kenji Sato" for a key (the key itself when unknown). */
  nameOf(key) {
    return this.people.get(key)?.name || key;
  }

  async start() {
    $("signin-form").addEventListener("submit", (e) => { e.preventDefault(); this.signIn($("admin-key").value.trim()); });
    $("sign-out").addEventListener("click", () => this.signOut());
    $("create-form").addEventListener("submit", (e) => { e.preventDefault(); this.create(); });
    $("open-form").addEventListener("submit", (e) => { e.preventDefault(); this.go($("open-id").value.trim()); });
    $("close-programme").addEventListener("click", () => this.go(""));
    $("import-form").addEventListener("submit", (e) => { e.preventDefault(); this.importFile(); });
    window.addEventListener("hashchange", () => this.open(programmeFromHash()));
    this.review.bind();
    this.dashboard.bind();
    let session = null;
    try {
      session = await this.api.session();
    } catch (err) {
      this.showSignIn(errorText(err));
      return;
    }
    if (session?.admin_key) await this.signedIn();
    else this.showSignIn();
  }

  showSignIn(text = "") {
    $("signin").hidden = false;
    $("app").hidden = true;
    $("sign-out").hidden = true;
    show("signin-error", text);
    this.setState("signin");
    this.status("Sign in with the admin key.");
  }

  async signIn(key) {
    if (!key) return;
    let session;
    try {
      session = await this.api.signIn(key);
    } catch (err) {
      this.showSignIn(errorText(err));
      return;
    }
    $("admin-key").value = "";
    if (!session.admin_key) {
      await this.api.signOut().catch(() => {});
      this.showSignIn("That is a room's admin token: programmes need the admin key.");
      return;
    }
    await this.signedIn();
  }

  async signedIn() {
    $("signin").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    await this.open(programmeFromHash());
  }

  async signOut() {
    await this.api.signOut().catch(() => {});
    this.showSignIn();
  }

  /** After a request failed: a 401 means the session ended (sign in again). */
  failed(err) {
    if (err?.status === 401) {
      this.showSignIn(errorText(err));
      return true;
    }
    return false;
  }

  go(id) {
    window.location.hash = id ? `programme=${encodeURIComponent(id)}` : "";
    if (!id) this.open("");
  }

  async create() {
    const body = {
      name: $("p-name").value.trim(),
      default_availability: $("p-default").value.trim(),
      min_overlap_h: Number($("p-overlap").value || 0),
      require_shared_language: $("p-language").checked,
      auto_book: $("p-autobook").checked,
    };
    try {
      const made = await this.api.create(body);
      show("create-error", "");
      this.go(made.programme_id);
    } catch (err) {
      if (this.failed(err)) return;
      show("create-error", errorText(err));
    }
  }

  async open(id) {
    this.programme = null;
    $("choose").hidden = Boolean(id);
    $("mine").hidden = Boolean(id);
    $("programme").hidden = !id;
    if (!id) {
      $("title").textContent = "Mentoring programmes";
      await this.listProgrammes();
      this.setState("choose");
      this.status("Pick a programme, create one or open one by its id.");
      return;
    }
    try {
      this.programme = await this.api.programme(id);
    } catch (err) {
      if (this.failed(err)) return;
      $("choose").hidden = false;
      $("mine").hidden = false;
      $("programme").hidden = true;
      await this.listProgrammes();
      show("open-error", err.code === "programme_not_found" ? `There is no programme with the id "${id}".` : errorText(err));
      this.setState("choose");
      return;
    }
    show("open-error", "");
    $("title").textContent = `Programme · ${this.programme.name}`;
    $("programme-heading").textContent = this.programme.name;
    await this.refresh();
    this.setState("ready");
    this.status(`Programme ${this.programme.name} is open.`);
  }

  /** "Your programmes": each a link to open it (the way back to a programme whose id is lost). */
  async listProgrammes() {
    let listed;
    try {
      listed = await this.api.list();
    } catch (err) {
      if (this.failed(err)) return;
      show("mine-error", errorText(err));
      return;
    }
    show("mine-error", "");
    $("mine-empty").hidden = listed.programmes.length > 0;
    $("mine-more").hidden = !listed.more;
    const day = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    $("programme-list").replaceChildren(...listed.programmes.map((p) => el("li", { "data-programme": p.programme_id },
      el("a", { href: `#programme=${encodeURIComponent(p.programme_id)}`, class: "programme-name" }, p.name),
      el("span", { class: "muted" },
        ` · ${p.people} ${p.people === 1 ? "person" : "people"} · ${p.published ? "published" : "not published"}` +
        ` · created ${day.format(new Date(p.created_at))} · id ${p.programme_id}`))));
  }

  /** Everything of the open programme, again (after an import, a matching, a publish). */
  async refresh(imported = null) {
    const id = this.programme.programme_id;
    try {
      this.programme = await this.api.programme(id);
      const listed = await this.api.people(id);
      this.people = new Map(listed.people.map((p) => [p.key, p]));
    } catch (err) {
      if (this.failed(err)) return;
      this.status(errorText(err));
      return;
    }
    const p = this.programme;
    $("programme-facts").textContent =
      `Id ${p.programme_id} · ${p.mentors} mentor${p.mentors === 1 ? "" : "s"}, ${p.mentees} mentee${p.mentees === 1 ? "" : "s"}` +
      ` · at least ${p.min_overlap_h} h a week in common${p.require_shared_language ? " · a shared language" : ""}` +
      ` · ${p.published ? "published" : "not published yet"}`;
    this.renderPeople(imported);
    await this.review.load();
    await this.dashboard.load();
  }

  renderPeople(imported) {
    const links = new Map((imported?.people || []).map((p) => [p.key, p.schedule_link]));
    const people = [...this.people.values()];
    $("people-box").hidden = !people.length;
    $("people-summary").textContent = `${people.length} people imported: show them`;
    $("links-note").hidden = !links.size;
    $("people").tBodies[0].replaceChildren(...people.map((p) => el("tr", {},
      el("td", { class: "name" }, p.name, el("span", { class: "key muted" }, p.key)),
      el("td", {}, p.role === "mentor" ? `mentor (${p.capacity})` : p.role),
      el("td", {}, p.zone.replace(/_/g, " ")),
      el("td", {}, links.has(p.key) ? el("a", { href: links.get(p.key), class: "link" }, "schedule link") : ""))));
  }

  async importFile() {
    const file = $("csv-file").files[0];
    show("import-notice", "");
    $("import-error").hidden = true;
    if (!file) return;
    try {
      const imported = await this.api.importCsv(this.programme.programme_id, file);
      await this.refresh(imported);
      $("people-box").open = true;
      show("import-notice", `Imported ${imported.imported} people from ${file.name}.`);
      this.status(`Imported ${imported.imported} people.`);
    } catch (err) {
      if (this.failed(err)) return;
      $("import-error").hidden = false;
      $("import-error-text").textContent = `${errorText(err)} Fix the file and import it again.`;
      $("import-rows-wrap").hidden = !err.rows.length;
      $("import-rows").tBodies[0].replaceChildren(...err.rows.map((r) =>
        el("tr", {}, el("td", {}, String(r.row)), el("td", {}, r.key || "—"), el("td", {}, r.reason))));
      this.status(errorText(err));
    }
  }
}

const page = new AdminPage();

// Read by the end-to-end tests (tests/e2e/test_programmes.py).
window.mentorcallProgrammes = {
  get state() {
    return page.state;
  },
};

page.start();
