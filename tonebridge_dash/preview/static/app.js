/* The page: one dashboard from its JSON. Lays the panels out on Grafana's
   24-column grid, resolves the variables against Prometheus, runs every
   panel's queries and draws it; window.__preview says when all are done. */
"use strict";
(function () {
  const D = window.TBData, P = window.TBPanels;
  const COLUMNS = 24, ROW_PX = 30, MARGIN = 8;
  const ALIASES = { graph: "timeseries", singlestat: "stat", "grafana-singlestat-panel": "stat",
    "grafana-piechart-panel": "piechart", "table-old": "table" };
  const DRAWN = new Set(["timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "piechart", "text", "logs",
    "barchart"]);
  const RANGES = [["now-5m", "Last 5 minutes"], ["now-15m", "Last 15 minutes"], ["now-30m", "Last 30 minutes"],
    ["now-1h", "Last 1 hour"], ["now-3h", "Last 3 hours"], ["now-6h", "Last 6 hours"], ["now-12h", "Last 12 hours"],
    ["now-24h", "Last 24 hours"], ["now-2d", "Last 2 days"], ["now-7d", "Last 7 days"], ["now-30d", "Last 30 days"]];
  const REFRESHES = ["", "5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h"];
  const params = new URLSearchParams(location.search);
  const staticMode = params.get("png") === "1";
  window.__preview = { done: false, panels: [], lastPanelMs: null };
  let config, dash, variables = [], range, generation = 0, timer = null, lastWidth = 0;
  let tab = Math.max(0, parseInt(params.get("tab") || "0", 10) || 0);  // a v2 TabsLayout: the tab shown
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const obj = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
  const arr = (v) => (Array.isArray(v) ? v : []);
  const num = (v, d) => (typeof v === "number" && isFinite(v) ? v : d);

  // --- the dashboard as Grafana reads it, whatever its age ---------------
  function migrateRows(rows) {
    const out = [];
    let y = 0;
    for (const row of arr(rows).map(obj)) {
      const h = Math.max(1, Math.ceil((parseInt(row.height, 10) || 250) / ROW_PX));
      const children = [];
      let x = 0;
      const rowY = y + (row.showTitle || row.collapse ? 1 : 0);
      for (const p of arr(row.panels).map(obj)) {
        const w = Math.min(COLUMNS, Math.max(1, Math.round(num(p.span, 4) * 2)));
        if (x + w > COLUMNS) { x = 0; y += h; }
        children.push(Object.assign({}, p, { gridPos: { x, y: Math.max(y, rowY), w, h } }));
        x += w;
      }
      if (row.showTitle || row.collapse) {
        out.push({ type: "row", title: row.title || "", collapsed: !!row.collapse, gridPos: { x: 0, y, w: 24, h: 1 },
          panels: row.collapse ? children : [] });
      }
      if (!row.collapse) out.push(...children);
      y = Math.max(y + 1, ...children.map((c) => c.gridPos.y + c.gridPos.h));
    }
    return out;
  }

  function legacy(p) {
    const fc = p.fieldConfig = obj(p.fieldConfig);
    fc.defaults = obj(fc.defaults);
    fc.overrides = arr(fc.overrides);
    const was = p.type;
    p.type = ALIASES[p.type] || p.type;
    if (was === "graph") {
      const yaxis = obj(arr(p.yaxes)[0]);
      if (!fc.defaults.unit && yaxis.format) fc.defaults.unit = yaxis.format;
      fc.defaults.custom = Object.assign({ fillOpacity: num(p.fill, 1) * 10, lineWidth: num(p.linewidth, 1),
        stacking: { mode: p.stack ? (p.percentage ? "percent" : "normal") : "none", group: "A" } }, obj(fc.defaults.custom));
      const legend = obj(p.legend);
      if (!p.options || !p.options.legend) {
        const calcs = [["current", "lastNotNull"], ["avg", "mean"], ["max", "max"], ["min", "min"], ["total", "sum"]]
          .filter(([k]) => legend[k]).map(([, c]) => c);
        p.options = Object.assign({}, p.options, { legend: { showLegend: legend.show !== false,
          displayMode: legend.alignAsTable ? "table" : "list", placement: legend.rightSide ? "right" : "bottom", calcs } });
      }
    } else if (was === "singlestat" || was === "grafana-singlestat-panel") {
      if (!fc.defaults.unit && p.format) fc.defaults.unit = p.format;
      const calc = { current: "lastNotNull", avg: "mean", total: "sum", max: "max", min: "min", first: "first" }[p.valueName] || "lastNotNull";
      p.options = Object.assign({ reduceOptions: { calcs: [calc] }, colorMode: p.colorBackground ? "background" : p.colorValue ? "value" : "none",
        graphMode: obj(p.sparkline).show ? "area" : "none" }, obj(p.options).reduceOptions ? p.options : {});
      if (typeof p.thresholds === "string" && Array.isArray(p.colors)) {
        const vals = p.thresholds.split(",").map(parseFloat).filter(isFinite);
        fc.defaults.thresholds = { mode: "absolute", steps: [{ color: p.colors[0], value: null },
          ...vals.map((v, i) => ({ color: p.colors[i + 1] || p.colors[p.colors.length - 1], value: v }))] };
      }
    }
    return p;
  }

  function normalize(data) {
    let panels = Array.isArray(data.panels) ? data.panels : migrateRows(data.rows);
    const fix = (p, i) => {
      p = legacy(Object.assign({}, p));
      const g = obj(p.gridPos);
      const w = Math.min(COLUMNS, Math.max(1, Math.round(num(g.w, p.type === "row" ? 24 : 12))));
      p.gridPos = { x: Math.min(Math.max(0, Math.round(num(g.x, 0))), COLUMNS - w), y: Math.max(0, Math.round(num(g.y, i))),
        w, h: p.type === "row" ? 1 : Math.max(1, Math.round(num(g.h, 8))) };
      p.key = p.key || "p" + (fix.n = (fix.n || 0) + 1);
      if (p.type === "row") p.panels = arr(p.panels).filter((c) => c && typeof c === "object").map(fix);
      return p;
    };
    return panels.filter((p) => p && typeof p === "object").map(fix);
  }

  // --- the grid -----------------------------------------------------------
  function sections(panels) {
    const sorted = panels.slice().sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x);
    const out = [{ row: null, children: [] }];
    for (const p of sorted) {
      if (p.type === "row") out.push({ row: p, children: p.collapsed ? p.panels : p.panels.slice() });
      else out[out.length - 1].children.push(p);
    }
    return out;
  }

  function collides(a, b) {
    return a !== b && a.x < b.x + b.w && a.x + a.w > b.x && a.y < b.y + b.h && a.y + a.h > b.y;
  }

  /* Positions as Grafana's grid gives them: sections in order, rows folded, then compacted upwards. */
  function layout(panels) {
    const items = [];
    let y = 0;
    for (const s of sections(panels)) {
      if (s.row) items.push({ panel: s.row, x: 0, y: y++, w: COLUMNS, h: 1 });
      if (s.row && s.row.collapsed) continue;
      const top = Math.min(...s.children.map((c) => c.gridPos.y));
      let bottom = y;
      for (const c of s.children) {
        const it = { panel: c, x: c.gridPos.x, y: y + c.gridPos.y - top, w: c.gridPos.w, h: c.gridPos.h };
        items.push(it);
        bottom = Math.max(bottom, it.y + it.h);
      }
      y = bottom;
    }
    const placed = [];
    for (const it of items.slice().sort((a, b) => a.y - b.y || a.x - b.x)) {
      while (it.y > 0 && !placed.some((o) => collides(Object.assign({}, it, { y: it.y - 1 }), o))) it.y--;
      let hit;
      while ((hit = placed.find((o) => collides(it, o)))) it.y = hit.y + hit.h;
      placed.push(it);
    }
    return items;
  }

  /* A v2 dashboard's tabs (__tabs: title and panel ids of each): a tab bar, one tab's panels at a time. */
  function tabs() {
    return arr(dash.__tabs).filter((t) => t && typeof t === "object");
  }

  function shownPanels() {
    const all = tabs();
    if (!all.length) return dash.panels;
    const ids = new Set(arr(all[Math.min(tab, all.length - 1)].panels));
    return dash.panels.filter((p) => ids.has(p.id));
  }

  function tabBar() {
    const nav = $("tabs");
    nav.textContent = "";
    const all = tabs();
    nav.hidden = !all.length;
    all.forEach((t, i) => {
      const b = el("button", "tab" + (i === Math.min(tab, all.length - 1) ? " active" : ""), D.interpolate(String(t.title || ""), byName()));
      b.dataset.tab = String(i);
      b.onclick = () => { tab = i; writeUrl(); tabBar(); drawAll(); };
      nav.appendChild(b);
    });
  }

  function pixels(it, width) {
    const col = (width - MARGIN * (COLUMNS - 1)) / COLUMNS;
    return { left: Math.round((col + MARGIN) * it.x), top: Math.round((ROW_PX + MARGIN) * it.y),
      width: Math.round(col * it.w + Math.max(0, it.w - 1) * MARGIN), height: Math.round(ROW_PX * it.h + Math.max(0, it.h - 1) * MARGIN) };
  }

  // --- variables ------------------------------------------------------------
  const byName = () => Object.fromEntries(variables.map((v) => [v.name, v]));

  async function optionsOf(v) {
    const query = typeof v.query === "object" && v.query ? v.query.query || "" : String(v.query || "");
    if (v.type === "custom") {
      return query.split(/(?<!\\),/).map((s) => s.trim()).filter(Boolean).map((s) => {
        const m = /^(.*?)\s:\s(.*)$/.exec(s);
        return m ? { text: m[1], value: m[2] } : { text: s, value: s };
      });
    }
    if (v.type === "interval") return query.split(",").map((s) => s.trim()).filter(Boolean).map((s) => ({ text: s, value: s }));
    if (v.type === "datasource") {
      const value = D.variableText({ currentValues: arr(obj(v.current).value ? [].concat(v.current.value) : []) }) || "prometheus";
      return [{ text: String(obj(v.current).text || value), value }];
    }
    if (v.type === "constant" || v.type === "textbox") return [{ text: query, value: query }];
    if (v.type !== "query") return arr(v.options).filter((o) => o && o.value !== "$__all").map((o) => ({ text: String(o.text), value: String(o.value) }));
    const text = D.interpolate(query, byName(), builtins());
    const span = { start: String(Math.floor(range.from / 1000)), end: String(Math.ceil(range.to / 1000)) };
    let values, m;
    if ((m = /^\s*label_values\s*\((.*),\s*([a-zA-Z_]\w*)\s*\)\s*$/s.exec(text))) {
      values = await D.prom("label/" + m[2] + "/values", Object.assign({ "match[]": m[1].trim() }, span));
    } else if ((m = /^\s*label_values\s*\(\s*([a-zA-Z_]\w*)\s*\)\s*$/.exec(text))) {
      values = await D.prom("label/" + m[1] + "/values", span);
    } else if (/^\s*label_names\s*\(.*\)\s*$/.test(text)) {
      values = await D.prom("labels", span);
    } else if ((m = /^\s*metrics\s*\((.*)\)\s*$/.exec(text))) {
      const re = new RegExp(m[1]);
      values = (await D.prom("label/__name__/values", span)).filter((n) => re.test(n));
    } else {
      const expr = (m = /^\s*query_result\s*\((.*)\)\s*$/s.exec(text)) ? m[1] : text;
      const data = await D.prom("query", { query: expr, time: String(range.to / 1000) });
      values = arr(data.result).map((s) => D.labelText(s.metric || {}) + " " + (s.value || [])[1] + " " + (s.value || [])[0] * 1000);
    }
    let out = values.map((x) => ({ text: String(x), value: String(x) }));
    const rx = /^\/(.*)\/([gimsuy]*)$/.exec(v.regex || "");
    if (rx) {
      const re = new RegExp(rx[1], rx[2].replace("g", ""));
      out = out.map((o) => { const hit = re.exec(o.value); if (!hit) return null;
        const g = hit.groups || {}; const val = g.value || hit[1] || hit[0]; return { text: g.text || val, value: val }; }).filter(Boolean);
    }
    const seen = new Set();
    out = out.filter((o) => !seen.has(o.value) && seen.add(o.value));
    const s = v.sort || 0, cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    if (s === 1 || s === 2) out.sort((a, b) => cmp(a.text, b.text));
    if (s === 3 || s === 4) out.sort((a, b) => parseFloat(a.text) - parseFloat(b.text));
    if (s === 5 || s === 6) out.sort((a, b) => cmp(a.text.toLowerCase(), b.text.toLowerCase()));
    if (s === 2 || s === 4 || s === 6) out.reverse();
    return out;
  }

  async function resolveVariable(v, keepChoice) {
    try { v.options = await optionsOf(v); v.error = null; } catch (e) { v.options = []; v.error = e.message; }
    if (v.includeAll) v.options.unshift({ text: "All", value: "$__all" });
    const fromUrl = params.getAll("var-" + v.name);
    const current = keepChoice && v.currentValues ? v.currentValues : fromUrl.length ? fromUrl : [].concat(obj(v.current).value ?? []).map(String);
    const valid = current.filter((c) => v.options.some((o) => o.value === c) || (c === "$__all" && v.includeAll));
    if (v.type === "constant" || v.type === "textbox") v.currentValues = [current[0] ?? v.options[0].value];
    else if (valid.length) v.currentValues = v.multi ? valid : [valid[0]];
    else v.currentValues = v.options.length ? [v.options[0].value] : [];
  }

  function builtins() {
    return { __from: String(range.from), __to: String(range.to), __range: Math.round((range.to - range.from) / 1000) + "s",
      __interval: "1m", __rate_interval: "1m", __dashboard: dash.title || "" };
  }

  function variableBar() {
    const bar = $("variables");
    bar.textContent = "";
    for (const v of variables) {
      if (v.hide === 2 || v.type === "constant" || v.type === "adhoc") continue;
      const box = el("label", "variable");
      box.dataset.variable = v.name;
      if (v.hide !== 1) box.appendChild(el("span", "variable-label", v.label || v.name));
      if (v.type === "textbox") {
        const input = el("input");
        input.value = v.currentValues[0] || "";
        input.onchange = () => { v.currentValues = [input.value]; changed(v); };
        box.appendChild(input);
      } else if (v.multi) {
        box.appendChild(multiPicker(v));
      } else {
        const select = el("select");
        for (const o of v.options) { const op = el("option", "", o.text); op.value = o.value; select.appendChild(op); }
        select.value = v.currentValues[0] ?? "";
        select.onchange = () => { v.currentValues = [select.value]; changed(v); };
        box.appendChild(select);
      }
      if (v.error) { box.classList.add("variable-error"); box.title = v.error; }
      bar.appendChild(box);
    }
  }

  function multiPicker(v) {
    const wrap = el("span", "multi");
    const label = () => v.currentValues.map((x) => (v.options.find((o) => o.value === x) || { text: x }).text).join(" + ") || "None";
    const button = el("button", "multi-button", label());
    const menu = el("div", "multi-menu");
    for (const o of v.options) {
      const line = el("label", "multi-option");
      const box = el("input");
      box.type = "checkbox";
      box.value = o.value;
      box.checked = v.currentValues.includes(o.value);
      line.appendChild(box);
      line.appendChild(document.createTextNode(" " + o.text));
      menu.appendChild(line);
    }
    button.onclick = (e) => { e.preventDefault(); menu.classList.toggle("open"); };
    menu.onchange = (e) => {
      let chosen = Array.from(menu.querySelectorAll("input:checked")).map((b) => b.value);
      if (e.target.value === "$__all" || !chosen.length) chosen = v.includeAll ? ["$__all"] : chosen;
      else chosen = chosen.filter((c) => c !== "$__all");
      menu.querySelectorAll("input").forEach((b) => { b.checked = chosen.includes(b.value); });
      v.currentValues = chosen;
      button.textContent = label();
      changed(v);
    };
    wrap.appendChild(button);
    wrap.appendChild(menu);
    return wrap;
  }

  async function changed(v) {
    const after = variables.slice(variables.indexOf(v) + 1);
    for (const other of after) await resolveVariable(other, true);
    writeUrl();
    if (after.length) variableBar();
    drawAll();
  }

  function writeUrl() {
    const q = new URLSearchParams();
    if (staticMode) q.set("png", "1");
    q.set("from", range.raw.from);
    q.set("to", range.raw.to);
    for (const v of variables) for (const x of v.currentValues || []) if (v.type !== "constant") q.append("var-" + v.name, x);
    if ($("refresh").value) q.set("refresh", $("refresh").value);
    if (tabs().length) q.set("tab", String(tab));
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }

  // --- time ---------------------------------------------------------------
  function setRange(from, to) {
    const now = config.now === null ? Date.now() : config.now;
    const f = D.parseTime(from, now, false), t = D.parseTime(to, now, true);
    range = { from: f === null ? now - 6 * 3600000 : f, to: t === null ? now : t, raw: { from: String(from), to: String(to) } };
    if (range.to <= range.from) range.from = range.to - 3600000;
    const fmt = (ms) => { const d = new Date(ms - (dash.timezone === "utc" ? 0 : new Date(ms).getTimezoneOffset() * 60000));
      return d.toISOString().substring(0, 19).replace("T", " "); };
    $("range-text").textContent = fmt(range.from) + " to " + fmt(range.to) + (dash.timezone === "utc" ? " UTC" : "");
  }

  function timeControls() {
    const select = $("range");
    const options = RANGES.slice();
    const key = range.raw.from + "|" + range.raw.to;
    if (!(range.raw.to === "now" && RANGES.some(([f]) => f === range.raw.from))) options.unshift([key, range.raw.from + " to " + range.raw.to]);
    for (const [value, text] of options) { const o = el("option", "", text); o.value = value.includes("|") ? value : value + "|now"; select.appendChild(o); }
    select.value = key;
    select.onchange = () => { const [f, t] = select.value.split("|"); setRange(f, t); writeUrl(); refreshVariables(); };
    const refresh = $("refresh");
    for (const r of REFRESHES) { const o = el("option", "", r || "Off"); o.value = r; refresh.appendChild(o); }
    refresh.value = params.get("refresh") ?? (REFRESHES.includes(dash.refresh) ? dash.refresh : "");
    refresh.onchange = () => { schedule(); writeUrl(); };
    if (staticMode) refresh.value = "";
    schedule();
  }

  function schedule() {
    if (timer) clearInterval(timer);
    const ms = D.durationMs($("refresh").value);
    timer = ms && !staticMode ? setInterval(() => { setRange(range.raw.from, range.raw.to); drawAll(); }, Math.max(ms, 5000)) : null;
  }

  async function refreshVariables() {
    for (const v of variables) await resolveVariable(v, true);
    variableBar();
    drawAll();
  }

  // --- panels ---------------------------------------------------------------
  function datasourceOf(target, panel) {
    const ds = target.datasource || panel.datasource;
    if (ds && typeof ds === "object") {
      if (ds.uid === "-- Mixed --" || ds.type === "mixed") return target.datasource && target.datasource !== ds ? datasourceOf(target, {}) : "unknown";
      if (ds.type) return ds.type === "prometheus" || ds.type === "datasource" && ds.uid !== "grafana" ? "prometheus" : ds.type;
      return String(ds.uid || "").startsWith("$") ? variableDatasource(ds.uid) : "prometheus";
    }
    if (typeof ds === "string") {
      if (ds === "-- Grafana --" || ds === "-- Dashboard --") return "grafana";
      if (ds.startsWith("$")) return variableDatasource(ds);
      return /loki|elastic|influx|graphite|tempo|mysql|postgres|cloudwatch|testdata/i.test(ds) ? ds : "prometheus";
    }
    return "prometheus";
  }

  function variableDatasource(ref) {
    const v = byName()[ref.replace(/^\$\{?|\}$/g, "")];
    return !v || v.type !== "datasource" || !v.query || /prometheus/i.test(String(v.query)) ? "prometheus" : String(v.query);
  }

  function status(item, state, message) {
    item.state = state;
    item.error = message || null;
    item.element.dataset.state = state;
    const badge = item.element.querySelector(".panel-status");
    badge.textContent = state === "error" ? "!" : "";
    badge.title = message || "";
  }

  function notice(item, cls, text) {
    const body = item.element.querySelector(".panel-body");
    body.textContent = "";
    body.appendChild(el("div", cls, text));
  }

  /* A panel of Elasticsearch queries: the server runs them (the page names only the panel, the range and the
     variables' values); without an Elasticsearch URL, a box with the queries. */
  async function drawElastic(item, gen, targets) {
    const p = item.panel, body = item.element.querySelector(".panel-body"), E = window.TBElastic;
    if (!config.elasticsearch) { body.textContent = ""; E.queryBox(p, body, targets); return status(item, "query"); }
    const q = new URLSearchParams({ from: String(range.from), to: String(range.to) });
    for (const v of variables) for (const x of v.currentValues || []) q.append("var-" + v.name, x);
    const r = await fetch("/api/es/" + encodeURIComponent(dash.uid) + "/" + encodeURIComponent(String(p.id)) + "?" + q);
    if (gen !== generation) return;
    if (!r.ok) { notice(item, "panel-error", "HTTP " + r.status); return status(item, "error", "HTTP " + r.status); }
    const answer = await r.json();
    if (gen !== generation) return;
    body.textContent = "";
    const drawn = E.draw(p, body, answer.frames || [], { static: staticMode, utc: dash.timezone === "utc", from: range.from, to: range.to });
    if (drawn.error && drawn.state === "nodata") { notice(item, "panel-error", drawn.error); return status(item, "error", drawn.error); }
    if (drawn.state === "nodata") notice(item, "panel-nodata", "No data");
    status(item, drawn.error ? "error" : drawn.state, drawn.error);
  }

  async function drawPanel(item, gen) {
    const p = item.panel, body = item.element.querySelector(".panel-body");
    const elastic = arr(p.targets).filter((t) => t && !t.hide && datasourceOf(t, p) === "elasticsearch");
    if (elastic.length && DRAWN.has(p.type) && p.type !== "text") return drawElastic(item, gen, elastic);
    if (!DRAWN.has(p.type)) {
      notice(item, "panel-unsupported", p.libraryPanel && !p.type ? "Library panel: not drawn by the preview"
        : "Panel type '" + (p.type || "none") + "': not drawn by the preview");
      return status(item, "unsupported");
    }
    if (p.type === "text") { body.textContent = ""; P.text(p, body); return status(item, "drawn"); }
    const targets = arr(p.targets).filter((t) => t && !t.hide);
    const prom = targets.filter((t) => typeof t.expr === "string" && t.expr.trim() && datasourceOf(t, p) === "prometheus");
    if (!prom.length) {
      const other = targets.map((t) => datasourceOf(t, p)).find((d) => d !== "prometheus");
      if (other) { notice(item, "panel-unsupported", "Queries to '" + other + "': not drawn by the preview"); return status(item, "unsupported"); }
      notice(item, "panel-nodata", "No data");
      return status(item, "nodata");
    }
    const iv = D.intervals(range, p, item.px.width, D.durationMs(config.scrapeInterval) || 15000);
    const answers = await Promise.allSettled(prom.map((t) => D.runTarget(t, D.interpolate(t.expr, byName(), iv.builtins), range, iv.ms)));
    if (gen !== generation) return;
    const series = answers.filter((a) => a.status === "fulfilled").flatMap((a) => a.value);
    const errors = answers.filter((a) => a.status === "rejected").map((a) => a.reason.message);
    body.textContent = "";
    if (errors.length && !series.length) { notice(item, "panel-error", errors[0]); return status(item, "error", errors[0]); }
    let state;
    try {
      state = P[p.type](p, body, series, { static: staticMode, utc: dash.timezone === "utc", from: range.from, to: range.to });
    } catch (e) {
      notice(item, "panel-error", "The preview could not draw this panel: " + e.message);
      console.warn(e);
      return status(item, "failed", e.message);
    }
    if (state === "nodata") notice(item, "panel-nodata", "No data");
    status(item, errors.length ? "error" : state, errors[0]);
  }

  let items = [];

  function build() {
    const grid = $("grid");
    grid.textContent = "";
    const width = grid.clientWidth;
    lastWidth = width;
    items = layout(shownPanels());
    let bottom = 0;
    for (const it of items) {
      const p = it.panel;
      it.px = pixels(it, width);
      const e = el(p.type === "row" ? "div" : "section", p.type === "row" ? "row-panel" : "panel");
      Object.assign(e.style, { left: it.px.left + "px", top: it.px.top + "px", width: it.px.width + "px", height: it.px.height + "px" });
      e.dataset.panelId = p.id === undefined ? "" : String(p.id);
      e.dataset.type = p.type || "";
      e.dataset.x = it.x; e.dataset.y = it.y; e.dataset.w = it.w; e.dataset.h = it.h;
      bottom = Math.max(bottom, it.px.top + it.px.height);
      it.element = e;
      if (p.type === "row") {
        e.appendChild(el("span", "chevron", p.collapsed ? "\u25B8" : "\u25BE"));
        e.appendChild(el("span", "row-title", D.interpolate(p.title || "", byName())));
        if (p.collapsed) e.appendChild(el("span", "row-count", "(" + p.panels.length + " panel" + (p.panels.length === 1 ? "" : "s") + ")"));
        e.onclick = () => { toggle(p); };
      } else {
        if (p.transparent) e.classList.add("transparent");
        const head = el("div", "panel-header");
        head.appendChild(el("span", "panel-status"));
        const title = el("span", "panel-title", D.interpolate(p.title || "", byName()));
        head.appendChild(title);
        if (p.description) {
          const info = el("span", "panel-info", "i");
          info.title = D.interpolate(String(p.description), byName());
          title.title = info.title;
          head.appendChild(info);
        }
        e.appendChild(head);
        e.appendChild(el("div", "panel-body"));
      }
      grid.appendChild(e);
    }
    grid.style.height = bottom + "px";
  }

  function toggle(row) {
    if (row.collapsed) {
      row.collapsed = false;
    } else {
      // fold: the panels of its section go back inside it
      const mine = sections(dash.panels).find((s) => s.row === row);
      row.panels = mine ? mine.children : [];
      row.collapsed = true;
    }
    dash.panels = dash.panels.filter((p) => p.type === "row" || !row.panels.includes(p));
    if (!row.collapsed) {
      const top = Math.min(...row.panels.map((c) => c.gridPos.y));
      row.panels.forEach((c) => { c.gridPos.y = row.gridPos.y + 1 + (c.gridPos.y - top); });
      const below = Math.max(0, ...row.panels.map((c) => c.gridPos.y + c.gridPos.h)) - row.gridPos.y - 1;
      dash.panels.forEach((p) => { if (p.gridPos.y > row.gridPos.y) p.gridPos.y += below; });
      dash.panels.push(...row.panels);
      row.panels = [];
    }
    drawAll();
  }

  function drawAll() {
    const gen = ++generation;
    build();
    window.__preview = { done: false, panels: [], lastPanelMs: null };
    const visible = items.filter((it) => it.panel.type !== "row");
    const jobs = visible.map((it) => {
      status(it, "loading");
      it.element.querySelector(".panel-body").appendChild(el("div", "panel-loading", "Loading\u2026"));
      return drawPanel(it, gen).catch((e) => { status(it, "failed", e.message); console.warn(e); });
    });
    Promise.all(jobs).then(() => {
      if (gen !== generation) return;
      window.__preview = { done: true, lastPanelMs: performance.now(), tab: tabs().length ? tab : null, panels: visible.map((it) => ({
        id: it.panel.id, title: it.panel.title || "", type: it.panel.type, state: it.state, error: it.error,
        x: it.x, y: it.y, w: it.w, h: it.h })) };
      document.body.dataset.state = "done";
    });
  }

  async function main() {
    const uid = decodeURIComponent(location.pathname.replace(/^\/d\//, ""));
    const get = (u) => fetch(u).then((r) => { if (!r.ok) throw new Error(u + ": HTTP " + r.status); return r.json(); });
    [config, dash] = await Promise.all([get("/api/config"), get("/api/dashboards/" + encodeURIComponent(uid))]);
    dash = obj(dash);
    dash.panels = normalize(dash);
    document.title = (dash.title || uid) + " - preview";
    $("title").textContent = dash.title || uid;
    if (staticMode) document.body.classList.add("static");
    const time = obj(dash.time);
    setRange(params.get("from") || time.from || "now-6h", params.get("to") || time.to || "now");
    variables = arr(obj(dash.templating).list).filter((v) => v && typeof v === "object" && v.name).map((v) => Object.assign({}, v));
    for (const v of variables) await resolveVariable(v, false);
    variableBar();
    timeControls();
    tabBar();
    drawAll();
    window.addEventListener("resize", () => {
      if ($("grid").clientWidth !== lastWidth) { clearTimeout(main.resize); main.resize = setTimeout(drawAll, 150); }
    });
  }

  main().catch((e) => {
    $("grid").textContent = "";
    $("grid").appendChild(el("div", "page-error", "The preview could not open this dashboard: " + e.message));
    window.__preview = { done: true, panels: [], lastPanelMs: performance.now(), error: e.message };
    console.warn(e);
  });
})();
