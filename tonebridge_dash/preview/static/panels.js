/* One function per panel type: draw(panel, body, series, view) fills the
   panel's body from its series and returns "drawn" or "nodata". */
"use strict";
(function (root) {
  const D = root.TBData, X = root.TBDraw;

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const hasData = (series) => series.some((s) => s.values.some((v) => isFinite(v)));
  const opt = (panel) => panel.options || {};
  const calcOf = (panel) => ((opt(panel).reduceOptions || {}).calcs || ["lastNotNull"])[0] || "lastNotNull";

  function fitFont(text, maxW, maxH, weight) {
    const ctx = fitFont.ctx || (fitFont.ctx = document.createElement("canvas").getContext("2d"));
    ctx.font = (weight || 500) + " 100px Inter, Helvetica, Arial, sans-serif";
    const w = ctx.measureText(text).width / 100 || 1;
    return Math.max(10, Math.floor(Math.min(maxH, maxW / w)));
  }

  /* The values a single-value panel shows: one per series (or per point with values: true). */
  function reduced(panel, series) {
    const ro = opt(panel).reduceOptions || {};
    const out = [];
    series.forEach((s, i) => {
      const field = D.fieldFor(panel, s.name, s.refId);
      if (ro.values) {
        s.values.forEach((v, j) => out.push({ name: s.name, field, value: v, series: s, index: out.length }));
      } else {
        out.push({ name: field.displayName || s.name, field, value: D.reduce(s.values, calcOf(panel)), series: s, index: i });
      }
    });
    const limit = ro.limit || (ro.values ? 5000 : out.length);
    return out.slice(0, limit);
  }

  function tiles(body, n, horizontal) {
    const box = el("div", "tiles " + (horizontal ? "tiles-row" : "tiles-column"));
    body.appendChild(box);
    const w = body.clientWidth, h = body.clientHeight;
    const tw = horizontal ? w / n : w, th = horizontal ? h : h / n;
    return { box, tw, th };
  }

  function stat(panel, body, series, view) {
    const values = reduced(panel, series);
    if (!values.length) return "nodata";
    const o = opt(panel);
    const w = body.clientWidth, h = body.clientHeight;
    const horizontal = o.orientation === "horizontal" ? false : o.orientation === "vertical" ? true : w > h;
    const { box, tw, th } = tiles(body, values.length, horizontal && values.length > 1);
    const textMode = o.textMode || "auto";
    const showName = textMode === "value_and_name" || textMode === "name" || (textMode === "auto" && values.length > 1);
    const colorMode = o.colorMode || "value";
    for (const v of values) {
      const shown = D.display(v.field, v.value);
      const tile = el("div", "stat-tile" + (o.graphMode === "area" ? " with-graph" : ""));
      tile.style.width = tw + "px";
      tile.style.height = th + "px";
      tile.dataset.value = v.value === null ? "" : String(v.value);
      if (colorMode === "background" || colorMode === "background_solid") {
        tile.style.background = colorMode === "background" ? "linear-gradient(120deg, " + D.alpha(shown.color, 0.75) + ", " + shown.color + ")" : shown.color;
      }
      box.appendChild(tile);
      const graph = o.graphMode === "area" && !v.series.instant && v.series.values.length > 1 && !opt(panel).reduceOptions?.values;
      const valueH = Math.min(graph ? th * 0.5 : th * 0.7, 120);
      const nameH = showName ? Math.min(th * 0.2, 20) : 0;
      if (showName) {
        const name = el("div", "stat-name", v.name);
        name.style.fontSize = Math.max(10, Math.floor(nameH * 0.8)) + "px";
        tile.appendChild(name);
      }
      if (textMode !== "name" && textMode !== "none") {
        const value = el("div", "stat-value", shown.text);
        value.style.fontSize = fitFont(shown.text, tw * 0.85, (valueH - nameH) * 0.8) + "px";
        value.style.color = colorMode === "value" ? shown.color : colorMode === "none" ? D.NAMED.text : "#fff";
        tile.appendChild(value);
      }
      if (graph) {
        const spark = el("div", "stat-graph");
        tile.appendChild(spark);
        const bg = colorMode === "background" || colorMode === "background_solid";
        X.sparkline(spark, Math.floor(tw), Math.floor(th * 0.4), v.series, bg ? "rgba(255,255,255,0.6)" : shown.color,
          bg ? "rgba(255,255,255,0.15)" : D.alpha(shown.color, 0.15));
      }
    }
    return "drawn";
  }

  function gauge(panel, body, series) {
    const values = reduced(panel, series);
    if (!values.length) return "nodata";
    const w = body.clientWidth, h = body.clientHeight;
    const { box, tw, th } = tiles(body, values.length, w > h);
    for (const v of values) {
      const tile = el("div", "gauge-tile");
      box.appendChild(tile);
      const nameH = values.length > 1 ? 18 : 0;
      if (nameH) tile.appendChild(el("div", "stat-name", v.name));
      const shown = D.display(v.field, v.value);
      tile.dataset.value = v.value === null ? "" : String(v.value);
      X.gauge(tile, Math.floor(tw), Math.floor(th - nameH), v.value, v.field, shown, opt(panel).showThresholdMarkers);
    }
    return "drawn";
  }

  function bargauge(panel, body, series) {
    const values = reduced(panel, series);
    if (!values.length) return "nodata";
    const o = opt(panel);
    const vertical = o.orientation === "vertical" || (o.orientation === "auto" && body.clientHeight > body.clientWidth);
    const box = el("div", "bars " + (vertical ? "bars-vertical" : "bars-horizontal"));
    body.appendChild(box);
    const maxAll = Math.max(...values.map((v) => (isFinite(v.value) ? v.value : 0)));
    for (const v of values) {
      const f = v.field;
      const shown = D.display(f, v.value);
      const min = f.min !== undefined && f.min !== null ? f.min : 0;
      const max = f.max !== undefined && f.max !== null ? f.max : Math.max(maxAll, min + 1);
      const share = isFinite(v.value) ? Math.min(1, Math.max(0, (v.value - min) / (max - min || 1))) : 0;
      const row = el("div", "bar-row");
      row.dataset.value = v.value === null ? "" : String(v.value);
      row.appendChild(el("div", "bar-name", v.name));
      const line = el("div", "bar-line");
      const track = el("div", "bar-track" + (o.showUnfilled === false ? "" : " unfilled"));
      const fill = el("div", "bar-fill");
      const dim = D.alpha(shown.color, 0.35);
      if (o.displayMode === "lcd") fill.style.background = "repeating-linear-gradient(" + (vertical ? "0deg" : "90deg") + ", " + shown.color + " 0 8px, transparent 8px 10px)";
      else if (o.displayMode === "basic") fill.style.background = shown.color;
      else fill.style.background = "linear-gradient(" + (vertical ? "0deg" : "90deg") + ", " + dim + ", " + shown.color + ")";
      fill.style[vertical ? "height" : "width"] = (share * 100).toFixed(2) + "%";
      track.appendChild(fill);
      line.appendChild(track);
      const value = el("div", "bar-value", shown.text);
      if ((o.valueMode || "color") === "color") value.style.color = shown.color;
      line.appendChild(value);
      row.appendChild(line);
      box.appendChild(row);
    }
    return "drawn";
  }

  function legendTable(panel, fields, series, placementRight) {
    const lo = opt(panel).legend || {};
    const calcs = lo.calcs || [];
    const asTable = lo.displayMode === "table";
    const box = el("div", "legend " + (asTable ? "legend-table" : "legend-list") + (placementRight ? " legend-right" : ""));
    let rows = series.map((s, i) => ({ s, f: fields[i], stats: calcs.map((c) => D.reduce(s.values, c)) }));
    if (lo.sortBy) {
      const k = calcs.findIndex((c) => D.REDUCER_NAMES[c] === lo.sortBy || c === lo.sortBy);
      if (k >= 0) rows.sort((a, b) => (lo.sortDesc ? -1 : 1) * ((a.stats[k] ?? -Infinity) - (b.stats[k] ?? -Infinity)));
    }
    if (asTable) {
      const t = el("table");
      const head = el("tr");
      head.appendChild(el("th", "", ""));
      calcs.forEach((c) => head.appendChild(el("th", "", D.REDUCER_NAMES[c] || c)));
      t.appendChild(head);
      for (const r of rows) {
        const tr = el("tr");
        const name = el("td", "legend-name");
        const sw = el("i", "swatch");
        sw.style.background = r.f.seriesColor;
        name.appendChild(sw);
        name.appendChild(document.createTextNode(r.f.seriesName));
        tr.appendChild(name);
        r.stats.forEach((v) => tr.appendChild(el("td", "legend-value", v === null ? "" : TBUnits.text(v, r.f.unit, r.f.decimals))));
        t.appendChild(tr);
      }
      box.appendChild(t);
    } else {
      for (const r of rows) {
        const item = el("span", "legend-item");
        const sw = el("i", "swatch");
        sw.style.background = r.f.seriesColor;
        item.appendChild(sw);
        item.appendChild(document.createTextNode(r.f.seriesName));
        r.stats.forEach((v, k) => item.appendChild(el("span", "legend-stat", (D.REDUCER_NAMES[calcs[k]] || calcs[k]) + ": " + (v === null ? "" : TBUnits.text(v, r.f.unit, r.f.decimals)))));
        box.appendChild(item);
      }
    }
    return box;
  }

  function seriesFields(panel, series) {
    return series.map((s, i) => {
      const f = D.fieldFor(panel, s.name, s.refId);
      const mode = (f.color || {}).mode || "palette-classic";
      if (mode === "fixed") f.seriesColor = D.color(f.color.fixedColor);
      else if (mode === "thresholds") f.seriesColor = D.thresholdColor(f, D.reduce(s.values, "lastNotNull"));
      else f.seriesColor = D.paletteColor(i);
      f.seriesName = f.displayName || s.name;
      return f;
    });
  }

  /* Plot and legend sharing the body: the legend takes what it needs, at most 40% of it. */
  function withLegend(panel, body, fields, series) {
    const lo = opt(panel).legend || {};
    const show = lo.showLegend !== false && lo.displayMode !== "hidden" && (lo.show !== false);
    const right = lo.placement === "right";
    body.classList.add(right ? "split-row" : "split-column");
    const plot = el("div", "plot");
    body.appendChild(plot);
    let w = body.clientWidth, h = body.clientHeight;
    if (show && series.length) {
      const legend = legendTable(panel, fields, series, right);
      if (right) legend.style.maxWidth = Math.floor(w * 0.4) + "px";
      else legend.style.maxHeight = Math.floor(h * 0.4) + "px";
      body.appendChild(legend);
      if (right) w -= legend.offsetWidth; else h -= legend.offsetHeight;
    }
    return { plot, w: Math.floor(w), h: Math.floor(h) };
  }

  function timeseries(panel, body, series, view) {
    const shown = series.filter((s) => s.values.length);
    if (!hasData(shown)) return "nodata";
    const fields = seriesFields(panel, shown);
    const visible = fields.map((f, i) => !((f.custom || {}).hideFrom || {}).viz && i).filter((i) => i !== false);
    const vs = visible.map((i) => shown[i]), vf = visible.map((i) => fields[i]);
    const { plot, w, h } = withLegend(panel, body, vf, vs);
    X.timeseries(plot, w, h, vs, vf, view);
    return "drawn";
  }

  function piechart(panel, body, series) {
    const values = reduced(panel, series).filter((v) => isFinite(v.value));
    if (!values.length) return "nodata";
    const fields = values.map((v, i) => Object.assign(v.field, { seriesColor: D.paletteColor(i), seriesName: v.name }));
    const lo = opt(panel).legend || {};
    const right = lo.placement === "right";
    body.classList.add(right ? "split-row" : "split-column");
    const plot = el("div", "plot");
    body.appendChild(plot);
    let w = body.clientWidth, h = body.clientHeight;
    const total = values.reduce((a, v) => a + Math.max(0, v.value), 0);
    if (lo.showLegend !== false && lo.displayMode !== "hidden") {
      const legend = el("div", "legend legend-table" + (right ? " legend-right" : ""));
      const t = el("table");
      const cols = lo.values || [];
      const head = el("tr");
      head.appendChild(el("th", "", ""));
      cols.forEach((c) => head.appendChild(el("th", "", c === "percent" ? "Percent" : "Value")));
      t.appendChild(head);
      values.forEach((v, i) => {
        const tr = el("tr");
        const name = el("td", "legend-name");
        const sw = el("i", "swatch");
        sw.style.background = fields[i].seriesColor;
        name.appendChild(sw);
        name.appendChild(document.createTextNode(v.name));
        tr.appendChild(name);
        cols.forEach((c) => tr.appendChild(el("td", "legend-value", c === "percent"
          ? TBUnits.text(total ? v.value / total : 0, "percentunit", 0) : TBUnits.text(v.value, v.field.unit, v.field.decimals))));
        t.appendChild(tr);
      });
      legend.appendChild(t);
      if (right) legend.style.maxWidth = Math.floor(w * 0.5) + "px"; else legend.style.maxHeight = Math.floor(h * 0.4) + "px";
      body.appendChild(legend);
      if (right) w -= legend.offsetWidth; else h -= legend.offsetHeight;
    }
    X.pie(plot, Math.floor(w), Math.floor(h), values.map((v, i) => ({ value: v.value, color: fields[i].seriesColor })),
      opt(panel).pieType === "donut");
    return "drawn";
  }

  function heatmap(panel, body, series, view) {
    if (!hasData(series)) return "nodata";
    let buckets = D.heatmapBuckets(series);
    if (!buckets.length) buckets = series.map((s, i) => ({ ...s, le: i }));
    X.heatmap(body, body.clientWidth, body.clientHeight, buckets, opt(panel), view);
    return "drawn";
  }

  /* Rows of a table panel: the series as Grafana's table format gives them, then the transformations. */
  function tableRows(panel, series) {
    const refIds = Array.from(new Set(series.map((s) => s.refId)));
    const valueName = (ref) => (refIds.length > 1 ? "Value #" + ref : "Value");
    const transformations = (panel.transformations || []).filter((t) => !t.disabled);
    const merge = transformations.some((t) => t.id === "merge" || t.id === "seriesToColumns" || t.id === "joinByField");
    const frameIndex = opt(panel).frameIndex || 0;
    const used = merge ? series : series.filter((s) => s.refId === refIds[Math.min(frameIndex, refIds.length - 1)]);
    const labelCols = Array.from(new Set(used.flatMap((s) => Object.keys(s.labels)))).sort();
    const rows = new Map();
    for (const s of used) {
      const key = labelCols.map((k) => s.labels[k] || "").join("\u0000");
      const row = rows.get(key) || Object.assign({ Time: s.times.length ? s.times[s.times.length - 1] * 1000 : null },
        ...labelCols.map((k) => ({ [k]: s.labels[k] || "" })));
      row[valueName(s.refId)] = D.reduce(s.values, "lastNotNull");
      rows.set(key, row);
    }
    let columns = ["Time", ...labelCols, ...refIds.filter((r) => used.some((s) => s.refId === r)).map(valueName)];
    let out = Array.from(rows.values()).sort((a, b) => labelCols.map((k) => String(a[k])).join() < labelCols.map((k) => String(b[k])).join() ? -1 : 1);
    for (const t of transformations) {
      if (t.id !== "organize") continue;
      const o = t.options || {};
      columns = columns.filter((c) => !(o.excludeByName || {})[c]);
      const index = o.indexByName || {};
      if (Object.keys(index).length) columns.sort((a, b) => (index[a] ?? 1e9) - (index[b] ?? 1e9));
      const rename = o.renameByName || {};
      out = out.map((r) => Object.fromEntries(columns.map((c) => [rename[c] || c, r[c]])));
      columns = columns.map((c) => rename[c] || c);
    }
    return { columns, rows: out };
  }

  function table(panel, body, series) {
    if (!series.length) return "nodata";
    const { columns, rows } = tableRows(panel, series);
    if (!rows.length) return "nodata";
    const wrap = el("div", "table-wrap");
    const t = el("table", "grid-table");
    if (opt(panel).showHeader !== false) {
      const head = el("tr");
      columns.forEach((c) => head.appendChild(el("th", "", D.fieldFor(panel, c, "").displayName || c)));
      t.appendChild(head);
    }
    for (const r of rows) {
      const tr = el("tr");
      for (const c of columns) {
        const f = D.fieldFor(panel, c, "");
        const v = r[c];
        let td;
        if (c === "Time" && typeof v === "number") td = el("td", "", new Date(v).toISOString().replace("T", " ").substring(0, 19));
        else if (typeof v === "number") {
          const shown = D.display(f, v);
          td = el("td", "num", shown.text);
          const mode = ((f.custom || {}).cellOptions || {}).type || (f.custom || {}).displayMode;
          if (mode === "color-text") td.style.color = shown.color;
          if (mode === "color-background" || mode === "color-background-solid") td.style.background = shown.color;
        } else td = el("td", "", v === undefined || v === null ? "" : String(v));
        tr.appendChild(td);
      }
      t.appendChild(tr);
    }
    wrap.appendChild(t);
    body.appendChild(wrap);
    return "drawn";
  }

  /* Markdown as DOM nodes: headings, lists, paragraphs, bold, italic, code and
     links, built with createElement and text nodes (the dashboard's text is
     never parsed as HTML: a tag in it is shown as it is written). */
  const INLINE = /\*\*(.+?)\*\*|\*(.+?)\*|`(.+?)`|\[([^\]]+)\]\(([^)\s]+)\)/g;
  const LINKABLE = /^(https?:|\/|#)/i;

  function inline(parent, s) {
    let at = 0;
    for (const m of s.matchAll(INLINE)) {  // matchAll works on a copy: the recursion is safe
      if (m.index > at) parent.appendChild(document.createTextNode(s.slice(at, m.index)));
      if (m[1] !== undefined) inline(parent.appendChild(el("b")), m[1]);
      else if (m[2] !== undefined) inline(parent.appendChild(el("i")), m[2]);
      else if (m[3] !== undefined) parent.appendChild(el("code", "", m[3]));
      else if (LINKABLE.test(m[5])) {
        const a = el("a");
        a.setAttribute("href", m[5]);
        a.rel = "noopener noreferrer";
        inline(parent.appendChild(a), m[4]);
      } else inline(parent, m[4]);
      at = m.index + m[0].length;
    }
    if (at < s.length) parent.appendChild(document.createTextNode(s.slice(at)));
    return parent;
  }

  function markdown(text) {
    const out = document.createDocumentFragment();
    let list = null;
    for (const line of String(text || "").split("\n")) {
      const h = /^(#{1,6})\s+(.*)$/.exec(line), li = /^\s*[-*]\s+(.*)$/.exec(line);
      if (li) { list = list || out.appendChild(el("ul")); inline(list.appendChild(el("li")), li[1]); continue; }
      list = null;
      if (h) inline(out.appendChild(el("h" + h[1].length)), h[2]);
      else if (line.trim()) inline(out.appendChild(el("p")), line);
    }
    return out;
  }

  /* HTML as Grafana's text panel takes it, through DOMPurify (vendored): no
     script, handler, javascript: URL, frame, form, style, <base> or <meta>
     survives, and the nodes come back as a fragment, never re-parsed. */
  const PURIFY = { RETURN_DOM_FRAGMENT: true, FORBID_ATTR: ["style", "action", "formaction"],
    FORBID_TAGS: ["style", "form", "base", "meta", "link", "noscript", "template", "input", "button", "textarea", "select"] };

  function text(panel, body) {
    const o = opt(panel);
    const box = el("div", "text-panel");
    const content = String(o.content !== undefined ? o.content : panel.content || "");
    box.appendChild((o.mode || panel.mode) === "html" ? root.DOMPurify.sanitize(content, PURIFY) : markdown(content));
    body.appendChild(box);
    return "drawn";
  }

  root.TBPanels = { stat, gauge, bargauge, timeseries, piechart, heatmap, table, text, tableRows, markdown };
})(window);
