// Review page logic. Everything from the release or the CSV is inserted with textContent,
// never innerHTML, so markup in a release cannot run here.
//
// What --append would say is never worked out here: served by `cqreport review`, the page sends
// its rows to the server, which runs the append's own checks (extract/append.py,
// check_reviewed) and answers with its messages; opened as a file, it shows the messages the
// extraction computed for the candidates as proposed.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  // choices belong to this exact candidates file: a new extraction starts clean
  const KEY = "cqreport-review:" + data.candidates_sha256;
  const SHOWN = ["metric_id", "entity_id", "period_start", "period_end", "period_label", "value",
    "unit", "qualifier", "yoy_pct", "yoy_wording", "yoy_diff", "vs_national_pp", "streak_months", "rank",
    "prior_value", "prior_label", "source_id", "quote", "note", "note_zh", "caution", "caution_zh"];
  // the curator's prose, in a box of its own: the quote, and each note and caution in both languages
  const PROSE = ["quote", "note", "note_zh", "caution", "caution_zh"];
  const SIDES = ["source", "entities", "metrics"];
  // the release squashed of whitespace, for finding quotes as they are typed
  const squash = s => s.replace(/\s+/g, "");
  const squashed = squash(data.text);
  const saved = loadSaved();
  const added = (saved.added || []).map(a => a);
  const cands = data.candidates.concat(added.map(a => ({ n: a.n, row: a.row, context: contextOf(a.row), section: 0, history: [], added: true })));
  const state = cands.map((c, i) => saved.cands && saved.cands[i] && saved.cands[i].n === c.n
    ? saved.cands[i] : { n: c.n, status: (c.row.status || "").toLowerCase(), edits: {} });
  const sstate = {};
  for (const s of SIDES) {
    const rows = data.sides[s].rows;
    sstate[s] = rows.map((r, i) => saved.sides && saved.sides[s] && saved.sides[s][i]
      ? saved.sides[s][i] : { status: (r.status || "").toLowerCase(), edits: {} });
  }
  let problems = data.problems.slice();
  let checked = !data.live;  // as a file: the extraction's messages stand for the rows as proposed

  function loadSaved() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }
  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify({ cands: state, sides: sstate, added: added }));
    } catch (e) { /* private mode */ }
    schedule();
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  const val = (c, st, col) => (col in st.edits ? st.edits[col] : (c.row[col] || ""));

  // --- the quote, found in the release as typed ------------------------------------------
  function fragments(q) { return q.split(/\s*(?:…+|\.\.\.)\s*/).filter(f => f.trim()); }
  function quoteFound(q) { return q.trim() !== "" && fragments(q).every(f => squashed.includes(squash(f))); }
  function contextOf(row) {
    const q = row.quote || "";
    const first = fragments(q)[0] || "";
    const i = first ? data.text.indexOf(first) : -1;
    if (i < 0) return { before: "", quote: q, after: "", found: quoteFound(q) };
    let s = i, e = i + first.length;
    while (s > 0 && !/[。！？；!?\n]/.test(data.text[s - 1]) && i - s < 300) s--;
    while (e < data.text.length && !/[。！？；!?\n]/.test(data.text[e - 1]) && e - i < 300) e++;
    return { before: data.text.slice(s, i), quote: q, after: data.text.slice(i + first.length, e), found: quoteFound(q) };
  }

  // datalists: metric and entity ids with their names, for autocompletion
  const mlist = document.getElementById("metric-ids");
  for (const m of data.catalogue.metrics) mlist.append(el("option", { value: m.metric_id, label: m.name_zh + " · " + m.name_en + " [" + m.units + "]" }));
  for (const m of data.sides.metrics.rows) mlist.append(el("option", { value: m.metric_id, label: "(proposed) " + (m.name_zh || "") }));
  const elist = document.getElementById("entity-ids");
  for (const e of data.catalogue.entities) elist.append(el("option", { value: e.entity_id, label: e.name_zh + " · " + e.name_en }));
  for (const e of data.sides.entities.rows) elist.append(el("option", { value: e.entity_id, label: "(proposed) " + (e.name_zh || "") }));

  function sentence(c, st) {
    const q = val(c, st, "quote");
    const ctx = q === (c.row.quote || "") ? c.context : contextOf({ quote: q });
    const p = el("p", { class: "sentence" });
    p.append(ctx.before);
    const mark = el("mark");
    const v = val(c, st, "value");
    const i = v ? ctx.quote.indexOf(v) : -1;
    if (i >= 0) mark.append(ctx.quote.slice(0, i), el("b", { text: v }), ctx.quote.slice(i + v.length));
    else mark.append(ctx.quote);
    p.append(mark, ctx.after);
    if (!quoteFound(q)) p.append(" ", el("span", { class: "missing quote-missing", text: "(the quote is not in the release: only whitespace may differ, fragments joined with …)" }));
    return p;
  }

  function confClass(x) { return x >= 0.9 ? "hi" : x >= 0.7 ? "mid" : "lo"; }

  function historyBox(c) {
    if (!c.history || !c.history.length) return null;
    const box = el("div", { class: "history" }, el("b", { text: "Already in the data: " }));
    for (const h of c.history) {
      const li = el("div", { class: "past" + (h.caution ? " doubted" : "") });
      li.append("row " + h.row + " (" + h.source_id + ", " + h.title + "): " + h.metric_id + " / " + h.entity_id + " " +
        (h.qualifier ? h.qualifier + " " : "") + h.value + " " + h.unit + " at " + h.period_end + " «" + h.quote + "»");
      if (h.caution) li.append(el("div", { class: "caution", text: "caution: " + h.caution }));
      box.append(li);
    }
    if (c.history.some(h => h.caution)) box.append(el("div", { class: "how", text: "A repeat keeps the doubt in its caution and caution_zh; to drop it, empty both and write in note (and note_zh): caution cleared: <why>." }));
    return box;
  }

  function card(c, idx) {
    const st = state[idx];
    const row = c.row;
    const div = el("div", { class: "card", id: "cand-" + c.n, "data-n": String(c.n), "data-section": String(c.section || 0) });
    const conf = parseFloat(row.confidence || "");
    const head = el("div", { class: "meta" },
      el("span", { class: "n", text: "candidate " + c.n + (c.added ? " (added by hand)" : "") }), " · ",
      isNaN(conf) ? "" : el("span", { class: "conf " + confClass(conf), text: conf.toFixed(2), title: "confidence" }),
      c.section ? " · section " + c.section : "",
      row.reason ? el("span", { class: "reason", text: " · " + row.reason }) : null);
    div.append(head, sentence(c, st));
    const hist = historyBox(c);
    if (hist) div.append(hist);
    const fields = el("div", { class: "fields" });
    for (const col of SHOWN.filter(k => data.header.includes(k))) {
      const inp = el(PROSE.includes(col) ? "textarea" : "input",
        { name: col, "data-col": col, rows: "2" });
      inp.value = val(c, st, col);
      if (col === "metric_id") inp.setAttribute("list", "metric-ids");
      if (col === "entity_id") inp.setAttribute("list", "entity-ids");
      inp.addEventListener("input", () => {
        st.edits[col] = inp.value;
        if (inp.value === (row[col] || "")) delete st.edits[col];
        if (col === "quote" || col === "value") div.querySelector(".sentence").replaceWith(sentence(c, st));
        refresh(div, c, idx); save();
      });
      fields.append(el("label", { class: PROSE.includes(col) ? "wide" : "" }, col, inp));
    }
    div.append(fields);
    const sugg = (row.suggestions || "").split("|").map(s => s.trim()).filter(Boolean);
    if (sugg.length) {
      const box = el("div", { class: "sugg" }, "suggestions: ");
      for (const s of sugg) {
        const [id, score] = s.split(":");
        const m = data.catalogue.metrics.find(x => x.metric_id === id);
        const b = el("button", { type: "button", "data-metric": id, title: m ? m.name_zh + " · " + m.name_en : "", text: id + (score ? " " + score : "") });
        b.addEventListener("click", () => { const inp = fields.querySelector('[data-col="metric_id"]'); inp.value = id; inp.dispatchEvent(new Event("input")); });
        box.append(b);
      }
      div.append(box);
    }
    const acts = el("div", { class: "actions" });
    for (const [label, value] of [["Accept", "accepted"], ["Reject", "rejected"], ["Undecided", ""]]) {
      const b = el("button", { type: "button", "data-status": value, text: label });
      b.addEventListener("click", () => { st.status = value; refresh(div, c, idx); save(); counts(); });
      acts.append(b);
    }
    acts.append(el("div", { class: "missing warn" }));
    div.append(acts);
    refresh(div, c, idx);
    return div;
  }

  function mine(prefix) {
    // the messages of one row, as --append words them ("candidate 4: …")
    return problems.filter(p => p.startsWith(prefix + ":"));
  }

  function refresh(div, c, idx) {
    const st = state[idx];
    div.classList.toggle("accepted", st.status === "accepted");
    div.classList.toggle("rejected", st.status === "rejected");
    div.classList.toggle("edited", Object.keys(st.edits).length > 0);
    for (const b of div.querySelectorAll(".actions button")) b.setAttribute("aria-pressed", String(b.dataset.status === st.status));
    for (const inp of div.querySelectorAll(".fields [data-col]")) {
      inp.classList.toggle("changed", inp.dataset.col in st.edits);
      if (inp.dataset.col === "quote") inp.classList.toggle("bad", !quoteFound(inp.value));
    }
    const own = st.status === "accepted" ? mine("candidate " + c.n) : [];
    const stale = !data.live && Object.keys(st.edits).length && st.status === "accepted";
    div.querySelector(".warn").textContent = own.join("\n") +
      (stale ? (own.length ? "\n" : "") + "(edited: open this page with cqreport review to check it as --append will)" : "");
  }

  function counts() {
    const n = s => state.filter(x => x.status === s).length;
    document.getElementById("counts").textContent =
      cands.length + " candidates · " + n("accepted") + " accepted · " + n("rejected") + " rejected · " +
      (cands.length - n("accepted") - n("rejected")) + " undecided";
  }

  // --- side files: the source row, proposed entities, proposed metrics ----------------------
  const KIND = { source: "source row", entities: "proposed entity", metrics: "proposed metric" };
  function sideCard(side, r, idx) {
    const st = sstate[side][idx];
    const hdr = data.sides[side].header;
    const div = el("div", { class: "card", "data-side": side, "data-row": String(idx + 1) });
    div.append(el("div", { class: "meta" }, el("span", { class: "n", text: KIND[side] + " " + (idx + 1) }),
      r.reason ? el("span", { class: "reason", text: " · " + r.reason }) : null));
    const fields = el("div", { class: "fields" });
    for (const col of hdr.filter(k => k !== "status" && k !== "reason")) {
      const inp = el("input", { "data-col": col });
      inp.value = col in st.edits ? st.edits[col] : (r[col] || "");
      if (col === "priority") inp.title = Object.entries(data.priority_meaning).map(([k, v]) => k + ": " + v).join("; ");
      inp.addEventListener("input", () => {
        st.edits[col] = inp.value; if (inp.value === (r[col] || "")) delete st.edits[col];
        inp.classList.toggle("changed", col in st.edits); inp.classList.toggle("empty", inp.value === ""); save();
      });
      inp.classList.toggle("empty", inp.value === "");
      fields.append(el("label", {}, col, inp));
    }
    div.append(fields);
    const acts = el("div", { class: "actions" });
    for (const [label, value] of [["Accept", "accepted"], ["Reject", "rejected"], ["Undecided", ""]]) {
      const b = el("button", { type: "button", "data-status": value, text: label });
      b.addEventListener("click", () => { st.status = value; sideRefresh(div, side, idx); save(); });
      acts.append(b);
    }
    acts.append(el("div", { class: "missing warn" }));
    div.append(acts);
    sideRefresh(div, side, idx);
    return div;
  }
  function sideRefresh(div, side, idx) {
    const st = sstate[side][idx];
    div.classList.toggle("accepted", st.status === "accepted");
    div.classList.toggle("rejected", st.status === "rejected");
    for (const b of div.querySelectorAll(".actions button")) b.setAttribute("aria-pressed", String(b.dataset.status === st.status));
    div.querySelector(".warn").textContent = st.status === "accepted" ? mine(KIND[side] + " " + (idx + 1)).join("\n") : "";
  }

  // --- CSV out -----------------------------------------------------------------------------
  function csvCell(s) { s = String(s == null ? "" : s); return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function toCsv(header, rows) { return "\ufeff" + [header, ...rows].map(r => r.map(csvCell).join(",")).join("\r\n") + "\r\n"; }
  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  const candHeader = () => data.header.includes("status") ? data.header : [...data.header, "status"];
  function candRows() {
    return cands.map((c, i) => Object.fromEntries(candHeader().map(col => [col, col === "status" ? state[i].status : val(c, state[i], col)])));
  }
  function sideRows(side) {
    const hdr = data.sides[side].header;
    return data.sides[side].rows.map((r, i) => Object.fromEntries(hdr.map(col => [col,
      col === "status" ? sstate[side][i].status : (col in sstate[side][i].edits ? sstate[side][i].edits[col] : (r[col] || ""))])));
  }
  document.getElementById("download").addEventListener("click", () => {
    const h = candHeader();
    download(data.reviewed_file, toCsv(h, candRows().map(r => h.map(c => r[c]))));
  });
  for (const side of SIDES) {
    document.getElementById("download-" + side).addEventListener("click", () => {
      const h = data.sides[side].header;
      download(data.sides[side].file, toCsv(h, sideRows(side).map(r => h.map(c => r[c]))));
    });
  }

  // --- --append's own checks, from the server -------------------------------------------------
  let timer = null;
  let asked = 0;  // the latest check asked for: an older answer is stale and is dropped
  function schedule() {
    if (!data.live) return;
    asked++;
    checked = false; showProblems();
    clearTimeout(timer);
    timer = setTimeout(check, 350);
  }
  async function check() {
    const mine = asked;
    const body = { header: candHeader(), rows: candRows(), sides: {} };
    for (const side of SIDES) body.sides[side] = { header: data.sides[side].header, rows: sideRows(side) };
    try {
      const res = await fetch("check", { method: "POST", headers: { "Content-Type": "application/json", "X-Review-Token": data.live }, body: JSON.stringify(body) });
      const out = await res.json();
      if (mine !== asked) return;
      problems = res.ok ? out.problems : ["the check failed: " + (out.error || res.status)];
    } catch (e) {
      if (mine !== asked) return;
      problems = ["the check failed: the cqreport review server does not answer (" + e + ")"];
    }
    if (mine !== asked) return;  // edited since: the newer check answers
    checked = true;
    showProblems();
  }
  function showProblems() {
    const ul = document.getElementById("problems");
    ul.replaceChildren(...problems.map(p => el("li", { text: p })));
    document.getElementById("problems-how").textContent = data.live
      ? (checked ? (problems.length ? problems.length + " problem(s): --append would refuse the download as it stands." : "None: --append would take the download as it stands.") : "checking…")
      : "The messages --append gives for every candidate accepted as proposed (this page is opened as a file; open it with cqreport review to check edits as you make them).";
    document.body.dataset.checked = checked ? "1" : "0";
    cands.forEach((c, i) => { const d = document.getElementById("cand-" + c.n); if (d) refresh(d, c, i); });
    for (const side of SIDES) document.querySelectorAll('[data-side="' + side + '"]').forEach((d, i) => sideRefresh(d, side, i));
  }

  // --- accept a group ------------------------------------------------------------------------
  const secSel = document.getElementById("group-section");
  for (const s of data.sections) if (data.candidates.some(c => c.section === s.n)) secSel.append(el("option", { value: String(s.n), text: s.n + ": " + s.head }));
  document.getElementById("accept-group").addEventListener("click", () => {
    const sec = parseInt(secSel.value, 10), min = parseFloat(document.getElementById("group-min").value);
    cands.forEach((c, i) => {
      const conf = parseFloat(c.row.confidence || "0");
      if (state[i].status === "" && (sec === 0 || c.section === sec) && conf >= min && val(c, state[i], "metric_id") !== "unknown") {
        state[i].status = "accepted";
        refresh(document.getElementById("cand-" + c.n), c, i);
      }
    });
    counts(); save();
  });

  // --- add a figure the extractor missed -----------------------------------------------------
  const pre = document.getElementById("release");
  pre.textContent = data.text;
  const addBtn = document.getElementById("add-figure");
  function selected() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const r = sel.getRangeAt(0);
    if (!pre.contains(r.startContainer) || !pre.contains(r.endContainer)) return null;
    const pos = (node, off) => { const w = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT); let n, acc = 0; while ((n = w.nextNode())) { if (n === node) return acc + off; acc += n.length; } return -1; };
    let s = pos(r.startContainer, r.startOffset), e = pos(r.endContainer, r.endOffset);
    while (s < e && /\s/.test(data.text[s])) s++;
    while (e > s && /\s/.test(data.text[e - 1])) e--;
    return s < e ? { s, e } : null;
  }
  document.addEventListener("selectionchange", () => { addBtn.disabled = selected() === null; });
  addBtn.addEventListener("click", () => {
    const sel = selected();
    if (!sel) return;
    const quote = data.text.slice(sel.s, sel.e);
    const m = quote.match(/(\d[\d,]*(?:\.\d+)?)\s*(万亿元|亿元|万元|亿美元|万美元|%|个百分点|万辆|辆|万标箱|标箱|列|家|个|(?:trillion|billion|million)\s+(?:yuan|U\.?S\.?\s*dollars|USD)|percent)?/);
    const n = Math.max(...cands.map(c => c.n)) + 1;
    const row = Object.fromEntries(data.header.map(h => [h, ""]));
    Object.assign(row, { metric_id: "unknown", entity_id: "unknown", value: m ? m[1].replace(/,/g, "") : "",
      unit: m && m[2] ? m[2].replace(/U\.?S\.?\s*dollars/, "USD") : "", quote: quote,
      quote_start: String(sel.s), quote_end: String(sel.e), source_id: (data.candidates[0] || { row: {} }).row.source_id || "",
      reason: "added by hand from the selected words", confidence: "" });
    added.push({ n: n, row: row });
    const c = { n: n, row: row, context: contextOf(row), section: 0, history: [], added: true };
    cands.push(c);
    state.push({ n: n, status: "accepted", edits: {} });
    document.getElementById("cards").append(card(c, cands.length - 1));
    document.getElementById("cand-" + n).scrollIntoView();
    counts(); save();
  });

  // --- the rest ------------------------------------------------------------------------------
  document.getElementById("reset").addEventListener("click", () => { localStorage.removeItem(KEY); location.reload(); });
  document.getElementById("filter").addEventListener("input", e => {
    const q = e.target.value.trim().toLowerCase();
    cands.forEach((c, i) => {
      const hay = [c.context.before, c.context.quote, c.context.after, ...Object.values(c.row), ...Object.values(state[i].edits), state[i].status || "undecided"].join(" ").toLowerCase();
      document.getElementById("cand-" + c.n).classList.toggle("hidden", q !== "" && !hay.includes(q));
    });
  });
  document.getElementById("priority-meaning").textContent = Object.entries(data.priority_meaning).map(([k, v]) => k + " = " + v).join("; ");
  if (data.warnings.length) {
    document.getElementById("warnings-section").hidden = false;
    document.getElementById("warnings").replaceChildren(...data.warnings.map(w => el("li", { text: w })));
  }
  const cardsBox = document.getElementById("cards");
  cands.forEach((c, i) => cardsBox.append(card(c, i)));
  for (const side of SIDES) {
    if (!data.sides[side].rows.length) continue;
    document.getElementById(side + "-section").hidden = false;
    const box = document.getElementById(side);
    data.sides[side].rows.forEach((r, i) => box.append(sideCard(side, r, i)));
  }
  counts();
  showProblems();
  if (data.live) check();
  document.body.dataset.ready = "1";
})();
