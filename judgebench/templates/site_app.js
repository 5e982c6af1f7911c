/* judgebench leaderboard page: table sorting and the response explorer.
   All data is untrusted text: it only ever reaches the DOM through textContent,
   new Option() or setAttribute on non-URL attributes. Never innerHTML. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /* ---------- sortable tables ---------- */
  function cellValue(row, idx, numeric) {
    var cell = row.cells[idx];
    var v = cell ? cell.getAttribute("data-v") : null;
    if (v === null || v === "") return null;
    return numeric ? parseFloat(v) : v;
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, idx) {
      var btn = th.querySelector("button");
      if (!btn) return;
      btn.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var cur = th.getAttribute("aria-sort");
        var dir = cur === "descending" ? "ascending" : cur === "ascending" ? "descending"
          : (numeric ? "descending" : "ascending");
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var sign = dir === "ascending" ? 1 : -1;
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, idx, numeric), y = cellValue(b, idx, numeric);
          if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
          var c = numeric ? x - y : x.localeCompare(y);
          return sign * c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);

  /* ---------- response explorer ---------- */
  var root = document.getElementById("explorer-app");
  var dataEl = document.getElementById("jb-explorer");
  if (!root || !dataEl) return;
  var data;
  try { data = JSON.parse(dataEl.textContent || "{}"); } catch (e) { data = null; }
  var countEl = document.getElementById("ex-count");
  if (!data || !Array.isArray(data.prompts) || data.prompts.length === 0) {
    root.parentNode.insertBefore(el("p", "muted", "No responses were embedded in this page."), root);
    return;
  }
  root.hidden = false;

  var PAGE = 100;
  var prompts = data.prompts;
  var byId = Object.create(null);
  prompts.forEach(function (p, i) { byId[String(p.id)] = i; });
  var lowered = null; // built on first search only
  var refs = Array.isArray(data.references) ? data.references.map(String) : [];
  var models = (Array.isArray(data.models) ? data.models.map(String) : []).filter(function (m) {
    return refs.indexOf(m) === -1; // a reference is not compared with itself
  });
  if (models.length === 0 && Array.isArray(data.models)) models = data.models.map(String);
  var responses = data.responses || {};
  var judgments = data.judgments || {};
  var outcomes = data.outcomes || {};

  var selModel = document.getElementById("ex-model");
  var selRef = document.getElementById("ex-ref");
  var inQ = document.getElementById("ex-q");
  var selCat = document.getElementById("ex-cat");
  var selOut = document.getElementById("ex-outcome");
  var list = document.getElementById("ex-list");
  var more = document.getElementById("ex-more");
  var detail = document.getElementById("ex-detail");

  function fill(sel, values, allLabel) {
    clear(sel);
    if (allLabel) sel.appendChild(new Option(allLabel, ""));
    values.forEach(function (v) { sel.appendChild(new Option(v, v)); });
  }
  fill(selModel, models);
  fill(selRef, refs);
  var cats = {};
  prompts.forEach(function (p) { if (p.category) cats[String(p.category)] = 1; });
  fill(selCat, Object.keys(cats).sort(), "All categories");
  if (Object.keys(cats).length === 0) selCat.disabled = true;

  var state = { limit: PAGE, selected: null, matches: [] };

  function get(obj, keys) {
    for (var i = 0; i < keys.length; i++) {
      if (obj === null || typeof obj !== "object" || !Object.prototype.hasOwnProperty.call(obj, keys[i])) return undefined;
      obj = obj[keys[i]];
    }
    return obj;
  }
  function outcomeOf(pref) {
    if (typeof pref !== "number" || !isFinite(pref)) return "none";
    if (pref > 0.5 + 1e-9) return "win";
    if (pref < 0.5 - 1e-9) return "loss";
    return "tie";
  }
  var OUTCOME_TEXT = { win: "win", loss: "loss", tie: "tie", none: "no verdict" };
  function badge(kind) { return el("span", "badge " + kind, OUTCOME_TEXT[kind]); }

  /* outcomes[model][ref][prompt] as stored, or derived once from the judgments
     (mean preference of the ok ones) when a producer left that map out. */
  var derived = Object.create(null);
  function outcomesFor(model, ref) {
    var stored = get(outcomes, [model, ref]);
    if (stored && typeof stored === "object") return stored;
    var key = JSON.stringify([model, ref]);
    if (derived[key]) return derived[key];
    var out = Object.create(null), byPrompt = get(judgments, [model, ref]) || {};
    Object.keys(byPrompt).forEach(function (pid) {
      var js = byPrompt[pid], sum = 0, n = 0;
      if (!Array.isArray(js)) return;
      js.forEach(function (j) {
        if (j && j.status === "ok" && typeof j.preference === "number") { sum += j.preference; n += 1; }
      });
      out[pid] = n ? sum / n : null;
    });
    derived[key] = out;
    return out;
  }

  function computeMatches() {
    var q = inQ.value.trim().toLowerCase();
    var cat = selCat.value, want = selOut.value;
    var outs = outcomesFor(selModel.value, selRef.value);
    if (q && lowered === null) {
      lowered = prompts.map(function (p) { return (String(p.id) + "\n" + String(p.text || "")).toLowerCase(); });
    }
    var out = [];
    for (var i = 0; i < prompts.length; i++) {
      var p = prompts[i];
      if (cat && String(p.category || "") !== cat) continue;
      if (want && outcomeOf(outs[String(p.id)]) !== want) continue;
      if (q && lowered[i].indexOf(q) === -1) continue;
      out.push(i);
    }
    return out;
  }

  function renderList() {
    var outs = outcomesFor(selModel.value, selRef.value);
    clear(list);
    var shown = Math.min(state.limit, state.matches.length);
    var frag = document.createDocumentFragment();
    for (var k = 0; k < shown; k++) {
      var p = prompts[state.matches[k]];
      var id = String(p.id);
      var li = el("li");
      var b = el("button");
      b.type = "button";
      b.setAttribute("data-pid", id);
      if (id === state.selected) b.setAttribute("aria-current", "true");
      var head = el("span", "ex-item-head");
      head.appendChild(badge(outcomeOf(outs[id])));
      head.appendChild(el("span", "pid", id));
      if (p.category) head.appendChild(el("span", "", "· " + p.category));
      b.appendChild(head);
      b.appendChild(el("span", "ex-snip", String(p.text || "").slice(0, 160)));
      li.appendChild(b);
      frag.appendChild(li);
    }
    list.appendChild(frag);
    var n = state.matches.length;
    countEl.textContent = n === 0 ? "No prompt matches these filters."
      : (shown < n ? "Showing " + shown + " of " + n + " matching prompts." : n + (n === 1 ? " matching prompt." : " matching prompts."));
    more.hidden = shown >= n;
  }

  function textBlock(text, role) {
    var missing = typeof text !== "string" || text === "";
    var d = el("div", missing ? "text missing" : "text",
      typeof text !== "string" ? "(no response stored)" : (text === "" ? "(empty response)" : text));
    if (role) d.setAttribute("data-role", role);
    return d;
  }

  var ORDER_TEXT = {
    AB: "Order AB: model shown first (as A)",
    BA: "Order BA: reference shown first (model as B)",
    "": "Single-answer grading"
  };

  function renderDetail() {
    clear(detail);
    var id = state.selected;
    if (id === null || !(id in byId)) {
      detail.appendChild(el("p", "ex-empty", "Choose a prompt from the list to see both responses and the judge's verdicts."));
      return;
    }
    var p = prompts[byId[id]];
    var model = selModel.value, ref = selRef.value;
    var art = el("article");
    var h = el("h3");
    h.appendChild(document.createTextNode("Prompt "));
    h.appendChild(el("code", "", id));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(badge(outcomeOf(outcomesFor(model, ref)[id])));
    if (p.category) h.appendChild(el("span", "tag", p.category));
    art.appendChild(h);
    art.appendChild(textBlock(String(p.text || ""), "prompt"));

    var pair = el("div", "pair");
    var left = el("div"), right = el("div");
    left.appendChild(el("h4", "", "Model: " + model));
    left.appendChild(textBlock(get(responses, [model, id]), "model-response"));
    right.appendChild(el("h4", "", "Reference: " + ref));
    right.appendChild(textBlock(get(responses, [ref, id]), "reference-response"));
    pair.appendChild(left);
    pair.appendChild(right);
    art.appendChild(pair);

    art.appendChild(el("h4", "", "Judge verdicts"));
    var js = get(judgments, [model, ref, id]);
    if (!Array.isArray(js) || js.length === 0) {
      art.appendChild(el("p", "muted", "No judgment stored for this pair."));
    } else {
      var wrap = el("div", "judgments");
      js.slice().sort(function (a, b) {
        return String(a.order).localeCompare(String(b.order)) || (a.sample || 0) - (b.sample || 0);
      }).forEach(function (j) {
        var card = el("div", "jcard");
        card.setAttribute("data-order", String(j.order || ""));
        var order = String(j.order || "");
        card.appendChild(el("h4", "", (ORDER_TEXT[order] || ("Order " + order)) + (j.sample ? " · sample " + j.sample : "")));
        var line = el("p");
        line.appendChild(document.createTextNode("Judge's label "));
        line.appendChild(el("code", "", j.label === undefined || j.label === null || j.label === "" ? "—" : j.label));
        line.appendChild(document.createTextNode(" → for the model: "));
        if (j.status && j.status !== "ok") {
          line.appendChild(el("span", "badge none", String(j.status).replace("_", " ")));
        } else {
          line.appendChild(badge(outcomeOf(j.preference)));
          if (typeof j.preference === "number") line.appendChild(document.createTextNode(" preference " + j.preference.toFixed(2)));
          if (typeof j.score === "number") line.appendChild(document.createTextNode(" score " + j.score));
        }
        card.appendChild(line);
        card.appendChild(j.reasoning ? textBlock(String(j.reasoning), "reasoning") : el("p", "muted", "No reasoning given."));
        wrap.appendChild(card);
      });
      art.appendChild(wrap);
    }
    detail.appendChild(art);
  }

  function writeHash() {
    if (!history.replaceState) return;
    var parts = ["model=" + encodeURIComponent(selModel.value), "ref=" + encodeURIComponent(selRef.value)];
    if (state.selected !== null) parts.push("prompt=" + encodeURIComponent(state.selected));
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* file:// in some browsers */ }
  }
  function readHash() {
    var h = location.hash.slice(1);
    if (h.indexOf("prompt=") === -1 && h.indexOf("model=") === -1) return;
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("="), k = kv.slice(0, i), v;
      try { v = decodeURIComponent(kv.slice(i + 1)); } catch (e) { return; }
      if (k === "model" && models.indexOf(v) !== -1) selModel.value = v;
      if (k === "ref" && refs.indexOf(v) !== -1) selRef.value = v;
      if (k === "prompt" && v in byId) state.selected = v;
    });
  }

  function refresh() {
    state.limit = PAGE;
    state.matches = computeMatches();
    renderList();
  }
  var timer = null;
  inQ.addEventListener("input", function () {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; refresh(); }, 120);
  });
  [selCat, selOut].forEach(function (s) { s.addEventListener("change", refresh); });
  [selModel, selRef].forEach(function (s) {
    s.addEventListener("change", function () { refresh(); renderDetail(); if (state.selected !== null) writeHash(); });
  });
  more.addEventListener("click", function () { state.limit += PAGE; renderList(); });
  list.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button[data-pid]") : null;
    if (!b) return;
    state.selected = b.getAttribute("data-pid");
    Array.prototype.forEach.call(list.querySelectorAll("button[aria-current]"), function (x) { x.removeAttribute("aria-current"); });
    b.setAttribute("aria-current", "true");
    renderDetail();
    writeHash();
  });

  readHash();
  refresh();
  renderDetail();
  if (state.selected !== null) root.scrollIntoView();
})();
