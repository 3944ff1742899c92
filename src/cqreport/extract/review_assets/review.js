// Review page logic. Everything from the release or the CSV is inserted with textContent,
// never innerHTML, so markup in a release cannot run here.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("review-data").textContent);
  const KEY = "cqreport-review:" + data.candidates_file + ":" + data.release;
  const SHOWN = ["metric_id", "entity_id", "period_start", "period_end", "period_label", "value",
    "unit", "qualifier", "yoy_pct", "yoy_wording", "yoy_diff", "vs_national_pp", "prior_value",
    "prior_label", "source_id", "note"];
  const NUMERIC = new Set(["value", "yoy_pct", "yoy_diff", "vs_national_pp", "prior_value", "streak_months"]);
  const metricIds = new Set(data.catalogue.metrics.map(m => m.metric_id));
  const saved = loadSaved();
  // state per candidate: {status, edits: {col: value}}
  const state = data.candidates.map((c, i) => saved.cands && saved.cands[i] && saved.cands[i].n === c.n
    ? saved.cands[i] : { n: c.n, status: (c.row.status || "").toLowerCase(), edits: {} });
  const mstate = data.proposed_metrics.map((m, i) => saved.metrics && saved.metrics[i]
    ? saved.metrics[i] : { status: (m.status || "").toLowerCase(), edits: {} });

  function loadSaved() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(KEY, JSON.stringify({ cands: state, metrics: mstate })); } catch (e) { /* private mode */ }
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  function isFormula(s) { return /^[=+\-@\t\r]/.test(s); }
  function isNumber(s) { return s === "" || (/^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s)); }

  // datalists: metric and entity ids with their names, for autocompletion
  const mlist = document.getElementById("metric-ids");
  for (const m of data.catalogue.metrics) mlist.append(el("option", { value: m.metric_id, label: m.name_zh + " · " + m.name_en + " [" + m.units + "]" }));
  for (const m of data.proposed_metrics) mlist.append(el("option", { value: m.metric_id, label: "(proposed) " + (m.name_zh || "") }));
  const elist = document.getElementById("entity-ids");
  for (const e of data.catalogue.entities) elist.append(el("option", { value: e.entity_id, label: e.name_zh + " · " + e.name_en }));

  function sentence(c) {
    const ctx = c.context;
    const p = el("p", { class: "sentence" });
    p.append(ctx.before);
    const mark = el("mark");
    const v = c.row.value || "";
    const i = v ? ctx.quote.indexOf(v) : -1;
    if (i >= 0) { mark.append(ctx.quote.slice(0, i), el("b", { text: v }), ctx.quote.slice(i + v.length)); }
    else mark.append(ctx.quote);
    p.append(mark, ctx.after);
    if (!ctx.found) p.append(" ", el("span", { class: "missing", text: "(quote not found in the release at its offsets)" }));
    return p;
  }

  function confClass(x) { return x >= 0.9 ? "hi" : x >= 0.7 ? "mid" : "lo"; }

  function card(c, idx) {
    const st = state[idx];
    const row = c.row;
    const div = el("div", { class: "card", id: "cand-" + c.n, "data-n": String(c.n) });
    const conf = parseFloat(row.confidence || "");
    const head = el("div", { class: "meta" },
      el("span", { class: "n", text: "candidate " + c.n }), " · ",
      isNaN(conf) ? "" : el("span", { class: "conf " + confClass(conf), text: conf.toFixed(2), title: "confidence" }),
      row.reason ? el("span", { class: "reason", text: " · " + row.reason }) : null);
    div.append(head, sentence(c));
    const fields = el("div", { class: "fields" });
    const cols = SHOWN.filter(k => data.header.includes(k));
    for (const col of cols) {
      const inp = el("input", { name: col, "data-col": col, value: col in st.edits ? st.edits[col] : (row[col] || "") });
      if (col === "metric_id") inp.setAttribute("list", "metric-ids");
      if (col === "entity_id") inp.setAttribute("list", "entity-ids");
      inp.addEventListener("input", () => { st.edits[col] = inp.value; if (inp.value === (row[col] || "")) delete st.edits[col]; refresh(div, c, idx); save(); });
      fields.append(el("label", {}, col, inp));
    }
    div.append(fields);
    const sugg = (row.suggestions || "").split("|").map(s => s.trim()).filter(Boolean);
    if (sugg.length) {
      const box = el("div", { class: "sugg" }, "suggestions: ");
      for (const s of sugg) {
        const [id, score] = s.split(":");
        const m = data.catalogue.metrics.find(x => x.metric_id === id);
        const b = el("button", { type: "button", "data-metric": id, title: m ? m.name_zh + " · " + m.name_en : "" , text: id + (score ? " " + score : "") });
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
    const warn = el("span", { class: "missing warn" });
    acts.append(warn);
    div.append(acts);
    refresh(div, c, idx);
    return div;
  }

  function problems(c, st) {
    const out = [];
    const v = col => (col in st.edits ? st.edits[col] : (c.row[col] || ""));
    if (st.status !== "accepted") return out;
    const mid = v("metric_id");
    if (!mid || mid === "unknown") out.push("choose a metric_id");
    else if (!metricIds.has(mid) && !data.proposed_metrics.some((m, i) => m.metric_id === mid && mstate[i].status === "accepted"))
      out.push("metric_id " + mid + " is not in the catalogue");
    for (const col of SHOWN) {
      const x = v(col);
      if (NUMERIC.has(col) && !isNumber(x)) out.push(col + " is not a number");
      else if (!NUMERIC.has(col) && isFormula(x)) out.push(col + " starts like a spreadsheet formula");
    }
    return out;
  }

  function refresh(div, c, idx) {
    const st = state[idx];
    div.classList.toggle("accepted", st.status === "accepted");
    div.classList.toggle("rejected", st.status === "rejected");
    div.classList.toggle("edited", Object.keys(st.edits).length > 0);
    for (const b of div.querySelectorAll(".actions button")) b.setAttribute("aria-pressed", String(b.dataset.status === st.status));
    for (const inp of div.querySelectorAll(".fields input")) inp.classList.toggle("changed", inp.dataset.col in st.edits);
    div.querySelector(".warn").textContent = problems(c, st).join("; ");
  }

  function counts() {
    const n = s => state.filter(x => x.status === s).length;
    document.getElementById("counts").textContent =
      data.candidates.length + " candidates · " + n("accepted") + " accepted · " + n("rejected") + " rejected · " +
      (data.candidates.length - n("accepted") - n("rejected")) + " undecided";
  }

  function metricCard(m, idx) {
    const st = mstate[idx];
    const div = el("div", { class: "card", "data-metric-row": String(idx + 1) });
    div.append(el("div", { class: "meta" }, el("span", { class: "n", text: "proposed metric " + (idx + 1) })));
    const fields = el("div", { class: "fields" });
    for (const col of data.metrics_header.filter(k => k !== "status")) {
      const inp = el("input", { "data-col": col, value: col in st.edits ? st.edits[col] : (m[col] || "") });
      inp.addEventListener("input", () => { st.edits[col] = inp.value; save(); });
      fields.append(el("label", {}, col, inp));
    }
    div.append(fields);
    const acts = el("div", { class: "actions" });
    for (const [label, value] of [["Accept", "accepted"], ["Reject", "rejected"], ["Undecided", ""]]) {
      const b = el("button", { type: "button", "data-status": value, text: label });
      b.addEventListener("click", () => {
        st.status = value; save();
        div.classList.toggle("accepted", value === "accepted"); div.classList.toggle("rejected", value === "rejected");
        for (const x of acts.children) x.setAttribute("aria-pressed", String(x.dataset.status === value));
      });
      acts.append(b);
    }
    div.append(acts);
    div.classList.toggle("accepted", st.status === "accepted");
    return div;
  }

  function csvCell(s) { s = String(s == null ? "" : s); return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function toCsv(header, rows) { return "\ufeff" + [header, ...rows].map(r => r.map(csvCell).join(",")).join("\r\n") + "\r\n"; }
  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  document.getElementById("download").addEventListener("click", () => {
    const header = data.header.includes("status") ? data.header : [...data.header, "status"];
    const rows = data.candidates.map((c, i) => header.map(col => col === "status" ? state[i].status
      : (col in state[i].edits ? state[i].edits[col] : (c.row[col] || ""))));
    download(data.reviewed_file, toCsv(header, rows));
  });
  document.getElementById("download-metrics").addEventListener("click", () => {
    const header = data.metrics_header.includes("status") ? data.metrics_header : [...data.metrics_header, "status"];
    const rows = data.proposed_metrics.map((m, i) => header.map(col => col === "status" ? mstate[i].status
      : (col in mstate[i].edits ? mstate[i].edits[col] : (m[col] || ""))));
    download(data.reviewed_metrics_file, toCsv(header, rows));
  });
  document.getElementById("reset").addEventListener("click", () => { localStorage.removeItem(KEY); location.reload(); });
  document.getElementById("filter").addEventListener("input", e => {
    const q = e.target.value.trim().toLowerCase();
    data.candidates.forEach((c, i) => {
      const hay = [c.context.before, c.context.quote, c.context.after, ...Object.values(c.row), ...Object.values(state[i].edits), state[i].status || "undecided"].join(" ").toLowerCase();
      document.getElementById("cand-" + c.n).classList.toggle("hidden", q !== "" && !hay.includes(q));
    });
  });

  const cards = document.getElementById("cards");
  data.candidates.forEach((c, i) => cards.append(card(c, i)));
  if (data.proposed_metrics.length) {
    document.getElementById("metrics-section").hidden = false;
    const box = document.getElementById("metrics");
    data.proposed_metrics.forEach((m, i) => box.append(metricCard(m, i)));
  }
  counts();
  document.body.dataset.ready = "1";
})();
