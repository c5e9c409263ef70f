/* Drawing: time series through uPlot (Grafana's own renderer), and the
   canvas pictures uPlot has no type for: sparkline, gauge, pie, heatmap. */
"use strict";
(function (root) {
  const D = root.TBData;
  const FONT = "12px Inter, Helvetica, Arial, sans-serif";
  const AXIS = "rgba(204,204,220,0.65)";
  const GRID = "rgba(204,204,220,0.10)";

  function canvas(box, w, h) {
    const c = document.createElement("canvas");
    const ratio = window.devicePixelRatio || 1;
    c.width = Math.max(1, Math.round(w * ratio));
    c.height = Math.max(1, Math.round(h * ratio));
    c.style.width = w + "px";
    c.style.height = h + "px";
    box.appendChild(c);
    const ctx = c.getContext("2d");
    ctx.scale(ratio, ratio);
    return ctx;
  }

  /* The series of one panel on one time axis (uPlot's data: [times, ...values]). */
  function align(series) {
    const all = new Set();
    for (const s of series) for (const t of s.times) all.add(t);
    const times = Array.from(all).sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const columns = series.map((s) => {
      const col = new Array(times.length).fill(null);
      s.times.forEach((t, i) => { col[index.get(t)] = isFinite(s.values[i]) ? s.values[i] : null; });
      return col;
    });
    return [times, ...columns];
  }

  function stack(data, fields) {
    const out = data.map((c) => c.slice());
    const groups = {};
    fields.forEach((f, i) => {
      const st = f.custom.stacking;
      if (!st || !st.mode || st.mode === "none") return;
      const g = st.group || "A";
      const below = groups[g];
      if (below !== undefined) {
        out[i + 1] = out[i + 1].map((v, j) => (v === null ? null : v + (out[below + 1][j] || 0)));
      }
      f.stackedOn = below;
      groups[g] = i;
    });
    if (fields.some((f) => f.custom.stacking && f.custom.stacking.mode === "percent")) {
      // percent stacking: each column relative to the top of its stack
      const tops = {};
      fields.forEach((f, i) => { tops[(f.custom.stacking || {}).group || "A"] = i; });
      fields.forEach((f, i) => {
        const top = out[tops[(f.custom.stacking || {}).group || "A"] + 1];
        out[i + 1] = out[i + 1].map((v, j) => (v === null || !top[j] ? v : v / top[j]));
      });
    }
    return out;
  }

  function thresholdsHook(field, yScale) {
    const style = ((field.custom || {}).thresholdsStyle || {}).mode || "off";
    if (style === "off" || !field.thresholds) return null;
    const steps = D.thresholdSteps(field);
    return (u) => {
      const ctx = u.ctx, { left, top, width, height } = u.bbox;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      steps.forEach((s, i) => {
        const lo = s.value === -Infinity ? u.scales[yScale].min : s.value;
        const hi = i + 1 < steps.length ? steps[i + 1].value : u.scales[yScale].max;
        const yLo = u.valToPos(lo, yScale, true), yHi = u.valToPos(hi, yScale, true);
        if (style.indexOf("area") >= 0) {
          ctx.fillStyle = D.alpha(s.color, 0.15);
          ctx.fillRect(left, Math.min(yLo, yHi), width, Math.abs(yLo - yHi));
        }
        if ((style.indexOf("line") >= 0 || style.indexOf("dashed") >= 0) && s.value !== -Infinity) {
          ctx.strokeStyle = D.color(s.color);
          ctx.lineWidth = 1 * (window.devicePixelRatio || 1);
          ctx.setLineDash(style.indexOf("dashed") >= 0 ? [10, 10] : []);
          ctx.beginPath();
          ctx.moveTo(left, Math.round(yLo) + 0.5);
          ctx.lineTo(left + width, Math.round(yLo) + 0.5);
          ctx.stroke();
        }
      });
      ctx.restore();
    };
  }

  function textWidth(text) {
    const ctx = textWidth.ctx || (textWidth.ctx = document.createElement("canvas").getContext("2d"));
    ctx.font = FONT;
    return ctx.measureText(text).width;
  }

  function tickDecimals(incr) {
    if (!isFinite(incr) || incr <= 0) return undefined;
    const text = String(Math.round(incr * 1e6) / 1e6);
    const dot = text.indexOf(".");
    return dot < 0 ? undefined : text.length - dot - 1;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function timeLabel(seconds, utc, withDate) {
    const d = new Date(seconds * 1000);
    const [mo, da, h, mi] = utc ? [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
      : [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()];
    return (withDate ? pad(mo + 1) + "/" + pad(da) + " " : "") + pad(h) + ":" + pad(mi);
  }

  /* A Grafana time series panel's plot: lines, bars or points; fill; stacking; thresholds. */
  function timeseries(box, w, h, series, fields, opts) {
    const data = stack(align(series), fields);
    const base = fields[0] || { custom: {} };
    const unit = base.unit, decimals = base.decimals;
    const fmt = (v) => (v === null ? "" : TBUnits.text(v, unit, decimals));
    const percent = fields.some((f) => f.custom.stacking && f.custom.stacking.mode === "percent");
    const uSeries = [{}];
    const bands = [];
    fields.forEach((f, i) => {
      const c = f.seriesColor;
      const style = f.custom.drawStyle || "line";
      const fill = f.custom.fillOpacity ? D.alpha(c, f.custom.fillOpacity / 100) : undefined;
      const s = {
        label: f.seriesName, stroke: c, width: f.custom.lineWidth === undefined ? 1 : f.custom.lineWidth,
        fill, spanGaps: f.custom.spanNulls !== false, points: { show: style === "points" || f.custom.showPoints === "always", size: f.custom.pointSize || 5, fill: c },
      };
      if (style === "bars") s.paths = uPlot.paths.bars({ size: [0.8, 100] });
      else if (f.custom.lineInterpolation === "smooth") s.paths = uPlot.paths.spline();
      else if (f.custom.lineInterpolation === "stepBefore") s.paths = uPlot.paths.stepped({ align: -1 });
      else if (f.custom.lineInterpolation === "stepAfter") s.paths = uPlot.paths.stepped({ align: 1 });
      if (style === "points") s.width = 0;
      if (f.stackedOn !== undefined && fill) bands.push({ series: [i + 1, f.stackedOn + 1], fill });
      uSeries.push(s);
    });
    const min = percent ? 0 : base.min, max = percent ? 1 : base.max;
    const yRange = (u, lo, hi) => {
      let [a, b] = uPlot.rangeNum(lo === null ? 0 : lo, hi === null ? 1 : hi, 0.1, true);
      if (lo !== null && lo >= 0 && a < 0) a = 0;
      if (min !== undefined && min !== null) a = min;
      if (max !== undefined && max !== null) b = max;
      if (a === b) b = a + 1;
      return [a, b];
    };
    const hooks = {};
    const th = thresholdsHook(base, "y");
    if (th) { hooks.drawAxes = [th]; }
    const options = {
      width: Math.max(w, 50), height: Math.max(h, 30), legend: { show: false },
      cursor: opts.static ? { show: false } : { points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => [opts.from / 1000, opts.to / 1000] }, y: { range: yRange } },
      axes: [
        { stroke: AXIS, font: FONT, grid: { stroke: GRID, width: 1 }, ticks: { show: false }, size: 24, gap: 4,
          values: (u, vals) => vals.map((v) => timeLabel(v, opts.utc, opts.to - opts.from > 86400000 * 1.5)) },
        {
          stroke: AXIS, font: FONT, grid: { stroke: GRID, width: 1 }, ticks: { show: false }, gap: 6,
          // As Grafana: the decimals of the tick step, so that ticks read 0.200, 0.400...
          values: (u, vals, axis, space, incr) => vals.map((v) => (percent ? TBUnits.text(v, "percentunit", 0)
            : v === null ? "" : TBUnits.text(v, unit, decimals ?? tickDecimals(incr)))),
          size: (u, values) => Math.ceil(Math.max(20, ...(values || []).map(textWidth))) + 12,
        },
      ],
      series: uSeries, bands, hooks,
    };
    if (opts.utc) options.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
    const div = document.createElement("div");
    box.appendChild(div);
    return new uPlot(options, data, div);
  }

  function sparkline(box, w, h, s, c, fill) {
    const ctx = canvas(box, w, h);
    const pts = s.times.map((t, i) => [t, s.values[i]]).filter((p) => isFinite(p[1]));
    if (pts.length < 2) return;
    const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
    let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (t) => ((t - t0) / (t1 - t0 || 1)) * w;
    const y = (v) => h - 2 - ((v - lo) / (hi - lo)) * (h - 4);
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(x(p[0]), y(p[1])) : ctx.moveTo(x(p[0]), y(p[1]))));
    ctx.strokeStyle = c;
    ctx.lineWidth = 1;
    ctx.stroke();
    ctx.lineTo(w, h);
    ctx.lineTo(0, h);
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
  }

  /* Grafana's gauge: a 240-degree arc, the threshold colours on a thin outer ring. */
  function gauge(box, w, h, value, field, shown, showMarkers) {
    const ctx = canvas(box, w, h);
    const min = field.min !== undefined && field.min !== null ? field.min : 0;
    const max = field.max !== undefined && field.max !== null ? field.max : 100;
    const size = Math.min(w, h * 1.3);
    const r = size / 2 - 6, cx = w / 2, cy = h / 2 + r * 0.2;
    const start = Math.PI * (5 / 6), sweep = Math.PI * (4 / 3);
    const at = (v) => start + sweep * Math.min(1, Math.max(0, (v - min) / (max - min || 1)));
    const thick = Math.max(6, r * 0.18);
    if (showMarkers !== false) {
      const steps = D.thresholdSteps(field);
      steps.forEach((s, i) => {
        const a = s.value === -Infinity ? min : s.value;
        const b = i + 1 < steps.length ? steps[i + 1].value : max;
        ctx.beginPath();
        ctx.arc(cx, cy, r, at(a), at(b));
        ctx.strokeStyle = D.color(s.color);
        ctx.lineWidth = Math.max(2, thick * 0.25);
        ctx.stroke();
      });
    }
    const inner = r - thick * 0.5 - 4;
    ctx.beginPath();
    ctx.arc(cx, cy, inner, start, start + sweep);
    ctx.strokeStyle = "rgba(204,204,220,0.12)";
    ctx.lineWidth = thick;
    ctx.stroke();
    if (value !== null && isFinite(value)) {
      ctx.beginPath();
      ctx.arc(cx, cy, inner, start, at(value));
      ctx.strokeStyle = shown.color;
      ctx.stroke();
    }
    fitText(ctx, shown.text, cx, cy, inner * 1.3, inner * 0.6, shown.color);
  }

  function fitText(ctx, text, cx, cy, maxW, maxH, c) {
    let size = Math.max(8, Math.floor(maxH));
    ctx.font = "500 " + size + "px Inter, Helvetica, Arial, sans-serif";
    const width = ctx.measureText(text).width;
    if (width > maxW) size = Math.max(8, Math.floor(size * (maxW / width)));
    ctx.font = "500 " + size + "px Inter, Helvetica, Arial, sans-serif";
    ctx.fillStyle = c;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, cx, cy);
  }

  function pie(box, w, h, slices, donut) {
    const ctx = canvas(box, w, h);
    const total = slices.reduce((a, s) => a + Math.max(0, s.value || 0), 0);
    const r = Math.min(w, h) / 2 - 4, cx = w / 2, cy = h / 2;
    let a = -Math.PI / 2;
    for (const s of slices) {
      const part = total ? Math.max(0, s.value || 0) / total : 0;
      ctx.beginPath();
      ctx.moveTo(cx, cy);
      ctx.arc(cx, cy, r, a, a + part * 2 * Math.PI);
      ctx.closePath();
      ctx.fillStyle = s.color;
      ctx.fill();
      a += part * 2 * Math.PI;
    }
    if (donut) {
      ctx.globalCompositeOperation = "destination-out";
      ctx.beginPath();
      ctx.arc(cx, cy, r * 0.6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalCompositeOperation = "source-over";
    }
  }

  const ORANGES = ["#7f2704", "#a63603", "#d94801", "#f16913", "#fd8d3c", "#fdae6b", "#fdd0a2", "#fee6ce", "#fff5eb"];
  function scheme(t) {
    const x = Math.min(1, Math.max(0, t)) * (ORANGES.length - 1), i = Math.floor(x), f = x - i;
    const a = ORANGES[i], b = ORANGES[Math.min(i + 1, ORANGES.length - 1)];
    const mix = (k) => Math.round(parseInt(a.substr(k, 2), 16) * (1 - f) + parseInt(b.substr(k, 2), 16) * f);
    return "rgb(" + mix(1) + "," + mix(3) + "," + mix(5) + ")";
  }

  /* Grafana's heatmap of `le` buckets: one row per bucket (ordinal), one column per step. */
  function heatmap(box, w, h, buckets, options, opts) {
    const ctx = canvas(box, w, h);
    const yUnit = (options.yAxis || {}).unit;
    const labels = buckets.map((b) => (b.le === Infinity ? "+Inf" : TBUnits.text(b.le, yUnit)));
    const left = Math.ceil(Math.max(...labels.map((l) => textWidth(l)), 20)) + 10, bottom = 22;
    const pw = w - left - 4, ph = h - bottom - 4;
    const times = buckets.length ? buckets[0].times : [];
    const t0 = opts.from ? opts.from / 1000 : times[0], t1 = opts.to ? opts.to / 1000 : times[times.length - 1];
    const step = times.length > 1 ? times[1] - times[0] : 60;
    const xOf = (t) => left + ((t - step - t0) / Math.max(t1 - t0, 1)) * pw;
    const exponent = ((options.color || {}).exponent) || 0.5;
    const filter = ((options.filterValues || {}).le);
    let maxV = 0;
    for (const b of buckets) for (const v of b.values) if (isFinite(v)) maxV = Math.max(maxV, v);
    const cw = (step / Math.max(t1 - t0, 1)) * pw, ch = ph / Math.max(buckets.length, 1);
    const gap = Math.min(options.cellGap === undefined ? 1 : options.cellGap, cw / 3, ch / 3);
    buckets.forEach((b, r) => {
      b.values.forEach((v, i) => {
        if (!isFinite(v) || (filter !== undefined && v <= filter) || maxV <= 0) return;
        ctx.fillStyle = scheme(Math.pow(v / maxV, exponent));
        ctx.fillRect(xOf(b.times[i]), 4 + ph - (r + 1) * ch, Math.max(cw - gap, 0.5), Math.max(ch - gap, 0.5));
      });
    });
    ctx.font = FONT;
    ctx.fillStyle = AXIS;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil(buckets.length / Math.max(1, Math.floor(ph / 16))));
    labels.forEach((l, r) => { if (r % every === 0) ctx.fillText(l, left - 6, 4 + ph - (r + 0.5) * ch); });
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const n = Math.max(2, Math.floor(pw / 90));
    for (let k = 0; k < n; k++) {
      const t = t0 + ((k + 0.5) / n) * (t1 - t0);
      ctx.fillText(timeLabel(t, opts.utc, false), left + ((k + 0.5) / n) * pw, 4 + ph + 6);
    }
  }

  root.TBDraw = { timeLabel, timeseries, sparkline, gauge, pie, heatmap, canvas, fitText, textWidth, FONT };
})(window);
