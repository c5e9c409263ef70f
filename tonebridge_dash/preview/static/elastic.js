/* Elasticsearch panels: the server runs a panel's queries (/api/es/<uid>/<panel>)
   and answers frames (logs, series, table, error); these draw them. Without
   an Elasticsearch URL, a panel shows a labelled box with its queries. Every
   value from a log line is put in the page as text, never as markup. */
"use strict";
(function (root) {
  const P = root.TBPanels, D = root.TBData;
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const LEVEL_COLOURS = { TRACE: "#8AB8FF", DEBUG: "#8AB8FF", INFO: "#73BF69", WARN: "#FADE2A", WARNING: "#FADE2A",
    ERROR: "#F2495C", FATAL: "#B877D9", CRITICAL: "#B877D9" };

  /* The box a panel shows when the preview has no Elasticsearch to ask. */
  function queryBox(panel, body, targets) {
    const box = el("div", "panel-query");
    box.appendChild(el("div", "panel-query-label", "Elasticsearch query (preview --elasticsearch-url draws it)"));
    for (const t of targets) {
      const line = el("div", "panel-query-line");
      line.appendChild(el("span", "panel-query-ref", (t.refId || "A") + " "));
      line.appendChild(el("code", "", t.query && String(t.query).trim() ? t.query : "*"));
      const metrics = (Array.isArray(t.metrics) ? t.metrics : []).map((m) => m && (m.type + (m.field ? "(" + m.field + ")" : "")));
      const buckets = (Array.isArray(t.bucketAggs) ? t.bucketAggs : []).map((b) => b && (b.type + (b.field ? "(" + b.field + ")" : "")));
      line.appendChild(el("div", "panel-query-aggs", metrics.concat(buckets.length ? ["by " + buckets.join(", ")] : []).join(" ")));
      box.appendChild(line);
    }
    body.appendChild(box);
    return "query";
  }

  function time(value) {
    const ms = typeof value === "number" ? value : Date.parse(String(value));
    return isFinite(ms) ? new Date(ms).toISOString().replace("T", " ").substring(0, 23) : String(value ?? "");
  }

  function logs(panel, body, frames) {
    const lines = frames.filter((f) => f.type === "logs").flatMap((f) => f.lines);
    if (!lines.length) return "nodata";
    const list = el("div", "log-lines");
    for (const line of lines) {
      const row = el("div", "log-line");
      row.appendChild(el("span", "log-time", time(line.time)));
      const level = el("span", "log-level", line.level ?? "");
      level.style.color = LEVEL_COLOURS[String(line.level || "").toUpperCase()] || "#CCCCDC";
      row.appendChild(level);
      row.appendChild(el("span", "log-message", line.message ?? ""));
      const fields = Object.entries(line.fields || {}).filter(([, v]) => v !== null && v !== "");
      if (fields.length) row.appendChild(el("span", "log-fields", fields.map(([k, v]) => k + "=" + v).join(" ")));
      list.appendChild(row);
    }
    body.appendChild(list);
    return "drawn";
  }

  function frameTable(panel, body, frame) {
    if (!frame.rows.length) return "nodata";
    const wrap = el("div", "table-wrap"), t = el("table", "grid-table");
    const head = el("tr");
    frame.columns.forEach((c) => head.appendChild(el("th", "", (D.fieldFor(panel, c, "").displayName) || c)));
    t.appendChild(head);
    for (const r of frame.rows) {
      const tr = el("tr");
      r.forEach((v, i) => {
        const f = D.fieldFor(panel, frame.columns[i], "");
        tr.appendChild(typeof v === "number" ? el("td", "num", D.display(f, v).text) : el("td", "", v ?? ""));
      });
      t.appendChild(tr);
    }
    wrap.appendChild(t);
    body.appendChild(wrap);
    return "drawn";
  }

  /* Bars of the first numeric column by the first (key) column, as Grafana's bar chart shows a table. */
  function barchart(panel, body, frames) {
    let rows = [];
    for (const f of frames) {
      if (f.type === "table") {
        const numeric = f.columns.findIndex((c, i) => i > 0 && f.rows.some((r) => typeof r[i] === "number"));
        rows = rows.concat(f.rows.map((r) => ({ key: r.slice(0, Math.max(1, numeric)).join(" "), value: r[numeric] })));
      } else if (f.type === "series") {
        rows = rows.concat(f.series.map((s) => ({ key: s.name, value: D.reduce(s.values, "sum") })));
      }
    }
    rows = rows.filter((r) => typeof r.value === "number" && isFinite(r.value));
    if (!rows.length) return "nodata";
    const max = Math.max(...rows.map((r) => r.value), 0) || 1;
    const field = D.fieldFor(panel, "", "");
    const list = el("div", "es-bars");
    rows.forEach((r, i) => {
      const row = el("div", "es-bar-row");
      row.appendChild(el("span", "es-bar-label", r.key));
      const track = el("span", "es-bar-track"), bar = el("span", "es-bar-fill");
      bar.style.width = Math.max(0, (100 * r.value) / max) + "%";
      bar.style.background = D.paletteColor(i);
      track.appendChild(bar);
      row.appendChild(track);
      row.appendChild(el("span", "es-bar-value", D.display(field, r.value).text));
      list.appendChild(row);
    });
    body.appendChild(list);
    return "drawn";
  }

  /* Draw a panel from its frames; the state the page reports. */
  function draw(panel, body, frames, view) {
    const errors = frames.filter((f) => f.type === "error").map((f) => f.error);
    const good = frames.filter((f) => f.type !== "error");
    let state = "nodata";
    if (panel.type === "logs") state = logs(panel, body, good);
    else if (panel.type === "barchart") state = barchart(panel, body, good);
    else if (panel.type === "table") {
      const table = good.find((f) => f.type === "table");
      state = table ? frameTable(panel, body, table) : P.table(panel, body, good.flatMap((f) => f.series || []));
    } else {
      const series = good.flatMap((f) => f.series || []);
      const table = good.find((f) => f.type === "table");
      if (series.length && P[panel.type]) state = P[panel.type](panel, body, series, view);
      else if (table) state = frameTable(panel, body, table);
    }
    return { state, error: errors[0] || null };
  }

  root.TBElastic = { queryBox, draw, logs, barchart, frameTable };
})(window);
