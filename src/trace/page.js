// The trace page (src/trace/html.rs): draws a run's effect events as a sequence diagram
// and steps through them. One row per event, time downward; one lane per native stack.
//
// The data (src/trace/json.rs) is read once; the model (lanes, which switch carries an
// operation, the clause boxes, the place to show for each event) is computed once in one
// pass plus binary searches. Drawing is virtualised: only the rows in view and a few
// either side exist in the document, drawn CHUNK rows to an <svg> and dropped when out of
// view, so a step or a scroll costs the same for 100 events as for 100,000, and a step
// that stays in view only moves the highlight.
//
// URL options, after `#`, joined by `&`: `step=N` shows event N (from 1; the page keeps it
// up to date as you step, so a link points at an event); `press=KEY,KEY` presses keys
// after loading (`ArrowRight`, `Shift+ArrowLeft`, `End`…: the browser test's way to step);
// `bench=N` times N steps and N scroll jumps, goes back to where it was, and writes the
// figures on <body> as data-step-ms, data-scroll-ms (means), data-step-median-ms,
// data-step-max-ms and the same for scrolls (with data-load-ms, always written: from
// navigation start to the first drawing done).
"use strict";

(function () {
  /** Height of one event's row, in pixels. */
  const ROW = 24;
  /** Where an event's mark sits within its row. */
  const MID = 15;
  /** Width of the event numbers' column. */
  const GUTTER = 58;
  /** Room right of the last lane, for labels. */
  const LABEL_ROOM = 220;
  /** Narrowest and widest lane. */
  const LANE_MIN = 116;
  const LANE_MAX = 210;
  /** Rows drawn above and below the visible ones (at least). */
  const OVERSCAN = 8;
  /** Rows per <svg>: the rows are drawn and dropped a chunk at a time. */
  const CHUNK = 32;
  /** The SVG namespace. */
  const SVG = "http://www.w3.org/2000/svg";
  /** Source lines shown above and below the current one. */
  const CONTEXT = 5;
  /** Longest label drawn in the diagram (the side panel shows it whole). */
  const LABEL_CHARS = 44;
  /** Rows per bucket of the clause-box index. */
  const BUCKET = 128;

  const data = JSON.parse(document.getElementById("trace-data").textContent);
  const events = data.events;
  const n = events.length;
  const model = buildModel(events);

  const el = (id) => document.getElementById(id);
  const diagram = el("diagram");
  const canvas = el("canvas");
  const rows = el("rows");
  const lanesHead = el("lanes");
  const stepInput = el("step");

  let laneWidth = LANE_MIN;
  let current = 0;
  const chunks = new Map();
  let frameRequested = false;
  let addressTimer = 0;
  const sourceLines = new Map();

  // ---- the model ----

  /** Lanes, switches, clause boxes and places, computed once from the events. */
  function buildModel(events) {
    const stackSet = new Set();
    const switchRows = [];
    // Rows, in order: the switches leaving each stack; the resumes and reclaims of each
    // continuation; the resumes and discontinues on each stack; the slow suspends on each.
    const index = {
      switchesFrom: new Map(),
      kEnds: new Map(),
      resumesOn: new Map(),
      slowSuspendsOn: new Map(),
    };
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      stackSet.add(e.s);
      if (e.t === "switch") {
        stackSet.add(e.from);
        stackSet.add(e.to);
        listIn(index.switchesFrom, e.from).push(i);
        switchRows.push(i);
      }
      if (e.t === "resume" || e.t === "reclaimed") listIn(index.kEnds, e.k).push(i);
      if (e.t === "resume" || e.t === "discontinue") listIn(index.resumesOn, e.s).push(i);
      if (e.t === "suspend" && !e.fast) listIn(index.slowSuspendsOn, e.s).push(i);
    }
    const stacks = [...stackSet].sort((a, b) => a - b);
    const laneOf = new Map(stacks.map((s, i) => [s, i]));
    const carriesOp = new Uint8Array(events.length);
    const boxes = [];
    for (let i = 0; i < events.length; i++) {
      if (events[i].t === "suspend") {
        const box = clauseBox(events, i, index, carriesOp);
        if (box) boxes.push(box);
      }
    }
    nestBoxes(boxes);
    return {
      stacks,
      laneOf,
      switchRows,
      carriesOp,
      boxes,
      buckets: bucketBoxes(boxes, events.length),
      placeRow: placeRows(events),
    };
  }

  /** The array kept under `key` in `map`, made empty when missing. */
  function listIn(map, key) {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    return list;
  }

  /** The first value in the sorted `list` greater than `after`, or -1. */
  function firstAfter(list, after) {
    if (!list) return -1;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo] : -1;
  }

  /**
   * The clause box of the suspend at row `i`, marking in `carriesOp` the switch that takes
   * the operation to the handler.
   *
   * A clause of the handler around the whole program (`h` null: an operation no handler of
   * the program's catches) is one row on the suspending stack: the trace sees no switch
   * and no continuation for it.
   * A clause on the fast path is a box on the suspending stack from the suspend to the
   * resume of its k (or to k reclaimed, or to the first switch leaving that stack: the
   * clause returned without resuming and the handle's value goes back).
   * A slow clause starts at the switch that brings the operation to the handler's stack
   * (the first switch leaving the suspending stack after the suspend, unless another slow
   * suspend there comes first; or the switch just before it, when the tracer recorded the
   * suspend on the handler's stack) and ends at
   * the first of: the next switch leaving the handler's stack (its resume, or control
   * passing on), its k reclaimed (it returned without resuming), or the row before a
   * resume or discontinue of another continuation on that stack (it returned, keeping k,
   * and the code after the handle goes on). The trace has no event for a clause's end:
   * these are the signs of it.
   */
  function clauseBox(events, i, index, carriesOp) {
    const e = events[i];
    if (e.h === null) return { stack: e.s, start: i, end: i, fast: e.fast, row: i };
    const kEnd = firstAfter(index.kEnds.get(e.k), i);
    if (e.fast) {
      let end = kEnd;
      if (end < 0) end = firstAfter(index.switchesFrom.get(e.s), i);
      return { stack: e.s, start: i, end: end < 0 ? i : end, fast: true, row: i };
    }
    let arrive = firstAfter(index.switchesFrom.get(e.s), i);
    const nextSuspend = firstAfter(index.slowSuspendsOn.get(e.s), i);
    let stack;
    if (arrive >= 0 && (nextSuspend < 0 || nextSuspend > arrive)) {
      stack = events[arrive].to;
    } else if (i > 0 && events[i - 1].t === "switch" && events[i - 1].to === e.s) {
      arrive = i - 1;
      stack = e.s;
    } else {
      return null;
    }
    carriesOp[arrive] = 1;
    let end = firstAfter(index.switchesFrom.get(stack), arrive);
    if (end < 0) end = events.length - 1;
    if (kEnd >= 0 && events[kEnd].t === "reclaimed" && kEnd < end) end = kEnd;
    const other = otherResume(events, index.resumesOn.get(stack), arrive, e.k);
    if (other >= 0 && other - 1 < end) end = Math.max(arrive, other - 1);
    return { stack, start: arrive, end, fast: false, row: i };
  }

  /** The first row after `after` in `rows` (resumes and discontinues on one stack) that is
   * not about continuation `k`, or -1. */
  function otherResume(events, rows, after, k) {
    let row = firstAfter(rows, after);
    while (row >= 0 && events[row].k === k) row = firstAfter(rows, row);
    return row;
  }

  /** Gives each box its nesting level on its lane: 0, or one more than the box it is in. */
  function nestBoxes(boxes) {
    boxes.sort((a, b) => a.start - b.start || b.end - a.end);
    const open = new Map();
    for (const box of boxes) {
      const ends = listIn(open, box.stack);
      let level = 0;
      while (level < ends.length && ends[level] >= box.start) level++;
      ends[level] = box.end;
      box.level = level;
    }
  }

  /** For each BUCKET rows, the boxes that overlap them. */
  function bucketBoxes(boxes, count) {
    const buckets = Array.from({ length: Math.ceil(count / BUCKET) }, () => []);
    for (const box of boxes) {
      const last = Math.floor(box.end / BUCKET);
      for (let b = Math.floor(box.start / BUCKET); b <= last; b++) buckets[b].push(box);
    }
    return buckets;
  }

  /** For each row, the row whose place the source panel shows: its own, or the last before. */
  function placeRows(events) {
    const rowOf = new Int32Array(events.length);
    let last = -1;
    for (let i = 0; i < events.length; i++) {
      if (events[i].at) last = i;
      rowOf[i] = last;
    }
    return rowOf;
  }

  // ---- words ----

  /** A stack's name: main, s1, s2… */
  function stackName(s) {
    return s === 0 ? "main" : "s" + s;
  }

  /** An event as one line of text, as the text trace says it; `short` for a label in the
   * diagram. */
  function describe(e, short) {
    switch (e.t) {
      case "handle":
        return "handle: h" + e.h + " installed";
      case "suspend":
        return (
          "suspend " + e.op + "(" + e.args.join(", ") + ") → " +
          (e.h !== null ? "h" + e.h : short ? "program" : "the handler around the program") +
          (e.k !== null ? ", k" + e.k : "") +
          (e.fast && !short ? " (fast path)" : "")
        );
      case "resume":
        return "resume k" + (e.k !== null ? e.k : "?") + "(" + e.v + ")" + (e.shallow !== null ? " with h" + e.shallow : "");
      case "return":
        return "return clause of h" + e.h + " (" + e.v + ")";
      case "discontinue":
        return "discontinue k" + (e.k !== null ? e.k : "?");
      case "cont":
        return "cont " + e.f + " → k" + e.k;
      case "finished":
        return "k" + e.k + " finished → " + e.v;
      case "reclaimed":
        return "k" + e.k + " reclaimed, never resumed";
      case "switch":
        return "switch " + stackName(e.from) + " → " + stackName(e.to) + (e.label !== null ? ": " + e.label : "");
    }
    return e.t;
  }

  /** `text` cut to `max` characters with an ellipsis. */
  function cut(text, max) {
    return text.length <= max ? text : text.slice(0, max - 1) + "…";
  }

  /** `text` escaped for HTML and SVG markup. */
  function esc(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  /** A place as `file:line:column`; the standard library's places have no line (0). */
  function placeText(at) {
    if (at[1] === 0) return "the standard library";
    return data.sources[at[0]].name + ":" + at[1] + ":" + at[2];
  }

  // ---- geometry ----

  /** The x of lane `stack`'s line. */
  function laneX(stack) {
    return GUTTER + laneWidth * (model.laneOf.get(stack) + 0.5);
  }

  /** Lays out the lanes for the diagram's width: lane width, header, canvas size. */
  function layout() {
    const lanes = model.stacks.length;
    const room = diagram.clientWidth - GUTTER - LABEL_ROOM;
    laneWidth = Math.max(LANE_MIN, Math.min(LANE_MAX, Math.floor(room / Math.max(lanes, 1))));
    const width = GUTTER + laneWidth * lanes + LABEL_ROOM;
    canvas.style.width = width + "px";
    canvas.style.height = n * ROW + "px";
    lanesHead.style.width = width + "px";
    lanesHead.innerHTML = model.stacks
      .map(
        (s) =>
          '<div class="lane-head" data-stack="' + s + '" style="left:' + laneX(s) + 'px">' +
          stackName(s) + "</div>"
      )
      .join("");
    el("lane-lines").innerHTML = model.stacks
      .map((s) => '<div class="lane-line" style="left:' + (laneX(s) - 0.5) + 'px"></div>')
      .join("");
    undraw();
  }

  // ---- drawing ----

  /** Draws the chunks of rows in view (and OVERSCAN rows either side), drops the others. */
  function draw() {
    const top = diagram.scrollTop;
    const bottom = top + diagram.clientHeight - lanesHead.offsetHeight;
    const firstChunk = Math.max(0, Math.floor((top / ROW - OVERSCAN) / CHUNK));
    const lastChunk = Math.min(Math.ceil(n / CHUNK) - 1, Math.floor((bottom / ROW + OVERSCAN) / CHUNK));
    for (const [c, svg] of chunks) {
      if (c < firstChunk || c > lastChunk) {
        svg.remove();
        chunks.delete(c);
      }
    }
    for (let c = firstChunk; c <= lastChunk; c++) {
      if (!chunks.has(c)) chunks.set(c, drawChunk(c));
    }
    rows.dataset.first = firstChunk * CHUNK + 1;
    rows.dataset.last = Math.min(n, (lastChunk + 1) * CHUNK);
  }

  /** Drops every chunk drawn (the lanes moved). */
  function undraw() {
    for (const svg of chunks.values()) svg.remove();
    chunks.clear();
  }

  /** Chunk `c`: an <svg> of rows `c * CHUNK` to the chunk's last, in its place. */
  function drawChunk(c) {
    const first = c * CHUNK;
    const last = Math.min(n, first + CHUNK) - 1;
    const width = canvas.offsetWidth;
    const y0 = first * ROW;
    const height = (last - first + 1) * ROW;
    const out = [];
    drawBars(out, first, last);
    drawBoxes(out, first, last);
    for (let i = first; i <= last; i++) drawEvent(out, i);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "chunk");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 " + y0 + " " + width + " " + height);
    svg.style.top = y0 + "px";
    svg.innerHTML = out.join("");
    rows.appendChild(svg);
    return svg;
  }

  /** The bars showing which stack runs: one per run of rows on the same stack. */
  function drawBars(out, first, last) {
    let start = first;
    for (let i = first; i <= last; i++) {
      if (i === last || events[i + 1].s !== events[start].s) {
        const x = laneX(events[start].s) - 3;
        out.push('<rect class="bar" x="' + x + '" y="' + start * ROW + '" width="6" height="' + (i - start + 1) * ROW + '"/>');
        start = i + 1;
      }
    }
  }

  /** The clause boxes that overlap rows `first..=last`, whole: the chunk's <svg> clips them. */
  function drawBoxes(out, first, last) {
    const seen = new Set();
    for (let b = Math.floor(first / BUCKET); b <= Math.floor(last / BUCKET); b++) {
      for (const box of model.buckets[b]) {
        if (seen.has(box) || box.end < first || box.start > last) continue;
        seen.add(box);
        const e = events[box.row];
        const x = laneX(box.stack) - 11 + box.level * 5;
        const y = box.start * ROW + (box.fast ? 4 : MID - 3);
        const h = (box.end - box.start + 1) * ROW - (box.fast ? 8 : MID - 1);
        out.push(
          '<rect class="box ' + (box.fast ? "fast" : "slow") + '" data-start="' + (box.start + 1) +
            '" data-end="' + (box.end + 1) + '" x="' + x + '" y="' + y + '" width="22" height="' + h +
            '" rx="3"><title>' + esc("clause of " + (e.h === null ? "the handler around the program" : "h" + e.h) +
            " for " + e.op + ", k" + e.k + (box.fast ? ", fast path" : "") + ": events " +
            (box.start + 1) + "–" + (box.end + 1)) + "</title></rect>"
        );
      }
    }
  }

  /** Row `i`: its number and its event (an arrow, or a mark with a label). */
  function drawEvent(out, i) {
    const e = events[i];
    const y = i * ROW + MID;
    const cur = i === current ? " current" : "";
    out.push('<g data-row="' + (i + 1) + '" class="event ' + e.t + cur + '">');
    out.push('<text class="num" x="' + (GUTTER - 10) + '" y="' + (y + 4) + '">' + (i + 1) + "</text>");
    if (e.t === "switch") drawArrow(out, e, i, y);
    else drawMark(out, e, y);
    out.push("</g>");
  }

  /** A switch: an arrow from lane to lane, its label above it. */
  function drawArrow(out, e, i, y) {
    const kind = model.carriesOp[i] ? "op" : "value";
    const x1 = laneX(e.from);
    const x2 = laneX(e.to);
    const dir = x2 >= x1 ? 1 : -1;
    out.push(
      '<line class="arrow ' + kind + '" data-row="' + (i + 1) + '" x1="' + (x1 + 4 * dir) + '" y1="' + y +
        '" x2="' + (x2 - 5 * dir) + '" y2="' + y + '" marker-end="url(#head-' + kind + ')"/>'
    );
    const label = cut(e.label || "", LABEL_CHARS);
    out.push('<text class="label arrow-label ' + kind + '" x="' + (x1 + x2) / 2 + '" y="' + (y - 4) +
      '" text-anchor="middle">' + esc(label) + "</text>");
  }

  /** Any other event: a mark on its lane, its label to the right. */
  function drawMark(out, e, y) {
    const x = laneX(e.s);
    let shape;
    switch (e.t) {
      case "handle":
        shape = '<rect class="mark handle" x="' + (x - 4.5) + '" y="' + (y - 4.5) + '" width="9" height="9"/>';
        break;
      case "suspend":
        shape = '<circle class="mark suspend' + (e.fast ? " fast" : "") + '" cx="' + x + '" cy="' + y + '" r="5"/>';
        break;
      case "resume":
      case "return":
        shape = '<path class="mark ' + e.t + '" d="M' + (x - 4.5) + " " + (y - 5) + " L" + (x + 5) + " " + y +
          " L" + (x - 4.5) + " " + (y + 5) + ' Z"/>';
        break;
      case "cont":
      case "finished":
        shape = '<circle class="mark ' + e.t + '" cx="' + x + '" cy="' + y + '" r="4"/>';
        break;
      default:
        shape = '<path class="mark end' + (e.t === "discontinue" ? " discontinue" : "") + '" d="M' + (x - 4) + " " +
          (y - 4) + " L" + (x + 4) + " " + (y + 4) + " M" + (x + 4) + " " + (y - 4) + " L" + (x - 4) + " " + (y + 4) + '"/>';
    }
    out.push(shape);
    out.push('<text class="label" x="' + (x + 16) + '" y="' + (y + 4) + '">' + esc(cut(describe(e, true), LABEL_CHARS)) + "</text>");
  }

  // ---- the side panel ----

  /** Shows the current event: its number, text, facts and source. */
  function showCurrent() {
    const e = events[current];
    el("event-number").textContent = current + 1 + " of " + n;
    el("event-text").textContent = describe(e);
    const facts = [["stack", stackName(e.s)], ["depth", e.d]];
    if (e.t === "switch") facts.push(["carries", (model.carriesOp[current] ? "an operation: " : "") + (e.label || "nothing the trace saw")]);
    if (e.t === "suspend") facts.push(["path", e.fast ? "fast: the clause runs on " + stackName(e.s) + ", no switch" : "slow: a switch to the handler's stack"]);
    facts.push(["place", e.at ? placeText(e.at) : "none"]);
    el("event-facts").innerHTML = facts.map(([k, v]) => "<dt>" + k + "</dt><dd>" + esc(v) + "</dd>").join("");
    showSource(e);
  }

  /** The source around the current event's place (or the last place before it, greyed). */
  function showSource(e) {
    const name = el("source-name");
    const pre = el("source-lines");
    const row = model.placeRow[current];
    if (row < 0) {
      name.textContent = "source";
      pre.innerHTML = '<span class="none">No event so far has a place in the source.</span>';
      return;
    }
    const at = events[row].at;
    const stale = row !== current;
    name.textContent = placeText(at) + (stale ? " (event " + (row + 1) + "; this one has no place)" : "");
    if (at[1] === 0) {
      pre.innerHTML = '<span class="none">In the standard library\'s own kont code (map, each, …), whose source the page does not show.</span>';
      return;
    }
    const lines = linesOf(at[0]);
    if (!lines) {
      pre.innerHTML = '<span class="none">The text of ' + esc(data.sources[at[0]].name) + " is not in this page.</span>";
      return;
    }
    const line = at[1];
    const from = Math.max(1, line - CONTEXT);
    const to = Math.min(lines.length, line + CONTEXT);
    const out = [];
    for (let l = from; l <= to; l++) {
      const text = lines[l - 1];
      const here = l === line;
      const code = here && !stale ? markColumn(text, at[2]) : esc(text);
      out.push('<div class="line' + (here ? " current" + (stale ? " stale" : "") : "") + '" data-line="' + l +
        '"><span class="ln">' + l + "</span>" + code + "</div>");
    }
    pre.innerHTML = out.join("");
  }

  /** Source `index`'s lines, split once. */
  function linesOf(index) {
    if (!sourceLines.has(index)) {
      const text = data.sources[index].text;
      sourceLines.set(index, text === null ? null : text.split(/\r?\n/));
    }
    return sourceLines.get(index);
  }

  /** A line's text with the character at `column` (from 1) marked. */
  function markColumn(text, column) {
    const chars = Array.from(text);
    if (column < 1 || column > chars.length) return esc(text);
    return esc(chars.slice(0, column - 1).join("")) + '<span class="col">' + esc(chars[column - 1]) + "</span>" +
      esc(chars.slice(column).join(""));
  }

  // ---- stepping ----

  /** Makes row `i` the current event; scrolls it into view unless `keepScroll`. */
  function go(i, keepScroll) {
    current = Math.max(0, Math.min(n - 1, i));
    stepInput.value = current + 1;
    if (!keepScroll) reveal(current);
    draw();
    highlight();
    showCurrent();
    clearTimeout(addressTimer);
    addressTimer = setTimeout(followAddress, 300);
  }

  /** Puts the current event in the address (once stepping pauses: browsers limit how
   * often a page may change it). */
  function followAddress() {
    try {
      history.replaceState(null, "", "#step=" + (current + 1));
    } catch (_) {
      // Where a browser refuses (some do for file: addresses), the address does not follow.
    }
  }

  /** Marks the current row in the rows drawn: the band, and the class `current` on its
   * event (and on no other). */
  function highlight() {
    el("band").style.top = current * ROW + "px";
    const was = rows.querySelector(".event.current");
    const row = rows.querySelector('.event[data-row="' + (current + 1) + '"]');
    if (was !== row) {
      if (was) was.classList.remove("current");
      if (row) row.classList.add("current");
    }
  }

  /** Scrolls so that row `i` is in view, a third of the way down if it was not. */
  function reveal(i) {
    const head = lanesHead.offsetHeight;
    const top = diagram.scrollTop;
    const view = diagram.clientHeight - head;
    const y = i * ROW;
    if (y < top || y + ROW > top + view) diagram.scrollTop = Math.max(0, y - Math.floor(view / 3));
  }

  /** The next (`dir` 1) or previous (-1) switch from the current event, or the current one. */
  function nearSwitch(dir) {
    const list = model.switchRows;
    if (dir > 0) {
      const next = firstAfter(list, current);
      return next < 0 ? current : next;
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < current) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? list[lo - 1] : current;
  }

  /** What a key does, or null. */
  function action(key, shift) {
    switch (key) {
      case "ArrowRight":
      case "ArrowDown":
        return shift ? () => go(nearSwitch(1)) : () => go(current + 1);
      case "ArrowLeft":
      case "ArrowUp":
        return shift ? () => go(nearSwitch(-1)) : () => go(current - 1);
      case "Home":
        return () => go(0);
      case "End":
        return () => go(n - 1);
      case "PageDown":
        return () => go(current + Math.floor(diagram.clientHeight / ROW));
      case "PageUp":
        return () => go(current - Math.floor(diagram.clientHeight / ROW));
    }
    return null;
  }

  /** Keys step, except while typing an event number. */
  function onKey(event) {
    if (event.target === stepInput && !event.key.startsWith("Arrow")) return;
    const act = action(event.key, event.shiftKey);
    if (act) {
      event.preventDefault();
      act();
    }
  }

  /** The row under the mouse in `event`. */
  function rowAt(event) {
    const row = Math.floor((event.clientY - canvas.getBoundingClientRect().top) / ROW);
    return Math.max(0, Math.min(n - 1, row));
  }

  /** A click on a row makes it current. */
  function onClick(event) {
    go(rowAt(event), true);
  }

  /** The tooltip: the event under the mouse, whole. */
  function onHover(event) {
    const row = rowAt(event);
    canvas.title = row + 1 + ": " + describe(events[row]);
  }

  /** Redraws at most once a frame while scrolling. */
  function onScroll() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      draw();
    });
  }

  /** The options after `#` in the address. */
  function options() {
    const out = {};
    for (const part of location.hash.slice(1).split("&")) {
      const eq = part.indexOf("=");
      if (eq > 0) out[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
    }
    return out;
  }

  /** Presses the keys `press=` names, as if typed. */
  function press(keys) {
    for (const name of keys.split(",")) {
      const shift = name.startsWith("Shift+");
      const key = shift ? name.slice(6) : name;
      document.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey: shift, bubbles: true }));
    }
  }

  /** Times `count` steps and `count` scroll jumps, each with its layout, and records them. */
  function bench(count) {
    const time = (fn) => {
      const t = performance.now();
      fn();
      void document.body.offsetHeight;
      return performance.now() - t;
    };
    const from = current;
    const steps = [];
    for (let i = 0; i < count; i++) steps.push(time(() => go(current + 1)));
    const scrolls = [];
    for (let i = 0; i < count; i++) {
      const row = Math.floor(((i * 7919) % count) / count * n);
      scrolls.push(time(() => {
        diagram.scrollTop = row * ROW;
        draw();
      }));
    }
    go(from);
    const mean = (xs) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3);
    const max = (xs) => Math.max(...xs).toFixed(3);
    const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1].toFixed(3);
    Object.assign(document.body.dataset, {
      stepMs: mean(steps),
      stepMedianMs: median(steps),
      stepMaxMs: max(steps),
      scrollMs: mean(scrolls),
      scrollMedianMs: median(scrolls),
      scrollMaxMs: max(scrolls),
    });
  }

  // ---- start ----

  /** Fills the header, wires the controls, draws, and follows the address's options. */
  function start() {
    el("count").textContent = n;
    stepInput.max = n;
    const count = (x) => x.toLocaleString("en-US");
    el("stats").textContent =
      count(n) + " events · " + count(model.stacks.length) + " stacks · " + count(model.switchRows.length) +
      " switches · " + count(model.boxes.length) + " clauses";
    el("first").onclick = () => go(0);
    el("prev").onclick = () => go(current - 1);
    el("next").onclick = () => go(current + 1);
    el("last").onclick = () => go(n - 1);
    el("prev-switch").onclick = () => go(nearSwitch(-1));
    el("next-switch").onclick = () => go(nearSwitch(1));
    stepInput.onchange = () => go(Number(stepInput.value) - 1);
    document.addEventListener("keydown", onKey);
    diagram.addEventListener("scroll", onScroll);
    canvas.addEventListener("click", onClick);
    canvas.addEventListener("mousemove", onHover);
    window.addEventListener("resize", () => {
      layout();
      draw();
      highlight();
    });
    window.addEventListener("hashchange", () => {
      const step = Number(options().step);
      if (step >= 1 && step - 1 !== current) go(step - 1);
    });
    layout();
    const opts = options();
    go(opts.step ? Number(opts.step) - 1 : 0);
    void document.body.offsetHeight;
    document.body.dataset.loadMs = performance.now().toFixed(1);
    if (opts.press) press(opts.press);
    if (opts.bench) bench(Number(opts.bench));
  }

  /** The notes above the diagram: events left out, how the run ended. */
  function showNotes() {
    const count = (x) => x.toLocaleString("en-US");
    const notes = [];
    if (data.stopped !== null) {
      notes.push(
        "Recording stopped after " + count(data.stopped) + " events, the limit (--trace-limit N changes it); " +
        "the program went on untraced."
      );
    }
    if (data.total > n) {
      notes.push(
        "This page shows the first " + count(n) + " of the " + count(data.total) +
        " events recorded, the most a page holds (--trace-limit N traces only the start of a run)."
      );
    }
    if (notes.length) {
      const note = el("cap-note");
      note.hidden = false;
      note.textContent = notes.join(" ");
    }
    if (data.ending !== null) {
      el("run-end").hidden = false;
      el("run-end-text").textContent = data.ending;
    }
  }

  showNotes();
  if (n === 0) {
    el("stats").textContent = "no events: the run made none";
    return;
  }
  start();
})();
