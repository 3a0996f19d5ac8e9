// Entry of the notes bundle (/static/call/notes.js): see panel.js.
export { NotesPanel } from "./panel.js";
