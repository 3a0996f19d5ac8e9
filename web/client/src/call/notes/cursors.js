// Remote cursors and selections from Yjs awareness, under a CSP with no inline styles.
//
// y-codemirror.next's own plugin (yRemoteSelections, MIT) colours them with `style`
// attributes, which a Content-Security-Policy without 'unsafe-inline' refuses (a nonce
// does not cover attributes). This is the same plugin — same decorations, same local
// cursor published into awareness, same classes, so yRemoteSelectionsTheme styles it —
// with the colours given as classes whose rules go into one <style> element carrying the
// page's CSP nonce (rules added through the CSSOM are not inline styles), and the caret's
// colour set through the CSSOM.

import { Decoration, ViewPlugin, WidgetType } from "@codemirror/view";
import { RangeSet } from "@codemirror/state";
import * as Y from "yjs";

const HEX = /^#[0-9a-fA-F]{3,8}$/;
const DEFAULT_COLOR = "#30bced";

/** CSS rules for the colours people pick, one class per colour, in a nonce'd sheet. */
class ColorRules {
  constructor(doc, nonce) {
    this.doc = doc;
    this.nonce = nonce;
    this.classes = new Map(); // colour -> class
    this.sheet = null;
  }

  /** The class that gives a selection `color` as its background. */
  background(color) {
    let name = this.classes.get(color);
    if (name) return name;
    name = `cm-yColor-${color.slice(1)}`;
    if (!this.sheet) {
      const tag = this.doc.createElement("style");
      if (this.nonce) tag.nonce = this.nonce;
      this.doc.head.appendChild(tag);
      this.sheet = tag.sheet;
    }
    this.sheet.insertRule(`.${name} { background-color: ${color}; }`, this.sheet.cssRules.length);
    this.classes.set(color, name);
    return name;
  }
}

class RemoteCaret extends WidgetType {
  constructor(color, name) {
    super();
    this.color = color;
    this.name = name;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = "cm-ySelectionCaret";
    caret.style.backgroundColor = this.color; // the CSSOM, not a style attribute
    caret.style.borderColor = this.color;
    const dot = document.createElement("div");
    dot.className = "cm-ySelectionCaretDot";
    const info = document.createElement("div");
    info.className = "cm-ySelectionInfo";
    info.textContent = this.name;
    caret.append("\u2060", dot, "\u2060", info, "\u2060");
    return caret;
  }

  eq(widget) {
    return widget.color === this.color && widget.name === this.name;
  }

  get estimatedHeight() {
    return -1;
  }

  ignoreEvent() {
    return true;
  }
}

/** The plugin for `ytext` and `awareness`; `nonce` is the page's CSP nonce. */
export function remoteCursors(ytext, awareness, nonce) {
  const rules = new ColorRules(document, nonce);

  class RemoteCursors {
    constructor(view) {
      this.decorations = RangeSet.of([]);
      this.listener = ({ added, updated, removed }) => {
        const clients = added.concat(updated, removed);
        if (clients.some((id) => id !== awareness.doc.clientID)) view.dispatch({});
      };
      awareness.on("change", this.listener);
    }

    destroy() {
      awareness.off("change", this.listener);
    }

    update(update) {
      publishCursor(update, ytext, awareness);
      this.decorations = Decoration.set(remoteDecorations(update.view, ytext, awareness, rules), true);
    }
  }

  return ViewPlugin.fromClass(RemoteCursors, { decorations: (v) => v.decorations });
}

/** Put this editor's selection into awareness (as y-codemirror.next does). */
function publishCursor(update, ytext, awareness) {
  const local = awareness.getLocalState();
  if (local == null) return;
  const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus();
  const sel = hasFocus ? update.state.selection.main : null;
  if (sel != null) {
    const anchor = Y.createRelativePositionFromTypeIndex(ytext, sel.anchor);
    const head = Y.createRelativePositionFromTypeIndex(ytext, sel.head);
    const current = local.cursor;
    if (current == null
        || !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor)
        || !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)) {
      awareness.setLocalStateField("cursor", { anchor, head });
    }
  } else if (local.cursor != null && hasFocus) {
    awareness.setLocalStateField("cursor", null);
  }
}

function colorsOf(user) {
  const color = HEX.test(user?.color || "") ? user.color : DEFAULT_COLOR;
  const light = user?.colorLight || `${color}33`;
  return { color, light: HEX.test(light) ? light : `${DEFAULT_COLOR}33` };
}

function remoteDecorations(view, ytext, awareness, rules) {
  const ydoc = ytext.doc;
  const found = [];
  awareness.getStates().forEach((state, clientId) => {
    if (clientId === awareness.doc.clientID) return;
    const cursor = state.cursor;
    if (cursor?.anchor == null || cursor?.head == null) return;
    const anchor = Y.createAbsolutePositionFromRelativePosition(cursor.anchor, ydoc);
    const head = Y.createAbsolutePositionFromRelativePosition(cursor.head, ydoc);
    if (anchor == null || head == null || anchor.type !== ytext || head.type !== ytext) return;
    const { color, light } = colorsOf(state.user);
    const name = state.user?.name || "Anonymous";
    const painted = `cm-ySelection ${rules.background(light)}`;
    const start = Math.min(anchor.index, head.index);
    const end = Math.max(anchor.index, head.index);
    const doc = view.state.doc;
    const startLine = doc.lineAt(start);
    const endLine = doc.lineAt(end);
    const mark = (from, to) => { // CodeMirror refuses empty marks
      if (from < to) found.push(Decoration.mark({ class: painted }).range(from, to));
    };
    if (startLine.number === endLine.number) {
      mark(start, end);
    } else {
      mark(start, startLine.to);
      mark(endLine.from, end);
      for (let n = startLine.number + 1; n < endLine.number; n++) {
        const from = doc.line(n).from;
        found.push(Decoration.line({ class: `cm-yLineSelection ${rules.background(light)}` }).range(from));
      }
    }
    found.push(Decoration.widget({
      side: head.index - anchor.index > 0 ? -1 : 1, // outside the remote selection
      block: false,
      widget: new RemoteCaret(color, name),
    }).range(head.index));
  });
  return found;
}
