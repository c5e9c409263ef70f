/* What a panel's numbers come from, as Grafana computes them: the time
   range, $__interval and $__rate_interval, the variables and their
   substitution into PromQL, the Prometheus queries (through the preview
   server), series and tables, reducers, thresholds, value mappings and
   colours. */
"use strict";
(function (root) {
  const UNITS = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000, M: 2592000000, y: 31536000000 };

  function durationMs(text) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)$/.exec(String(text || "").trim());
    return m ? parseFloat(m[1]) * UNITS[m[2]] : null;
  }

  /* "now-6h", "now/d", "now-1d/d", epoch milliseconds or an ISO date -> ms. */
  function parseTime(text, now, roundUp) {
    if (typeof text === "number") return text;
    const s = String(text || "").trim();
    if (/^\d{10,}$/.test(s)) return parseInt(s, 10);
    if (s.startsWith("now")) {
      let t = now, rest = s.substring(3);
      const re = /^([+-])(\d+)(ms|s|m|h|d|w|M|y)|^\/(s|m|h|d|w|M|y)/;
      let m;
      while (rest && (m = re.exec(rest))) {
        if (m[1]) t += (m[1] === "-" ? -1 : 1) * parseInt(m[2], 10) * UNITS[m[3]];
        else {
          const unit = UNITS[m[4]] || 1, start = Math.floor(t / unit) * unit;
          t = roundUp ? start + unit - 1 : start;
        }
        rest = rest.substring(m[0].length);
      }
      return t;
    }
    const d = Date.parse(s);
    return isNaN(d) ? null : d;
  }

  function roundInterval(ms) {
    const steps = [[10, 1], [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1500, 1000],
      [3500, 2000], [7500, 5000], [12500, 10000], [17500, 15000], [25000, 20000], [45000, 30000], [90000, 60000],
      [210000, 120000], [450000, 300000], [750000, 600000], [1050000, 900000], [1500000, 1200000],
      [2700000, 1800000], [5400000, 3600000], [9000000, 7200000], [16200000, 10800000], [32400000, 21600000],
      [86400000, 43200000], [604800000, 86400000], [1814400000, 604800000], [3628800000, 2592000000]];
    for (const [limit, value] of steps) if (ms < limit) return value;
    return 31536000000;
  }

  function secondsToHms(seconds) {
    const parts = [[31536000, "y"], [86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
    for (const [size, unit] of parts) {
      const n = Math.floor(seconds / size);
      if (n && seconds % size === 0) return n + unit;
    }
    const ms = Math.round(seconds * 1000);
    return ms >= 1000 && ms % 1000 === 0 ? ms / 1000 + "s" : ms + "ms";
  }

  /* Grafana's query interval for a panel: range / max data points, rounded,
     never under the panel's min interval or the scrape interval. */
  function intervals(range, panel, widthPx, scrapeMs) {
    const maxPoints = panel.maxDataPoints || Math.max(widthPx, 100);
    const lower = String(panel.interval || "").replace(/^>/, "");
    const minMs = durationMs(lower) || scrapeMs;
    const ms = Math.max(roundInterval((range.to - range.from) / maxPoints), minMs);
    const rateS = Math.max(ms + scrapeMs, 4 * scrapeMs) / 1000;
    const rangeS = Math.round((range.to - range.from) / 1000);
    return {
      ms, builtins: {
        __interval: secondsToHms(ms / 1000), __interval_ms: String(ms), __rate_interval: rateS + "s",
        __rate_interval_ms: String(rateS * 1000), __range: rangeS + "s", __range_s: String(rangeS),
        __range_ms: String(rangeS * 1000), __from: String(range.from), __to: String(range.to), __auto: secondsToHms(ms / 1000),
      },
    };
  }

  // --- variables --------------------------------------------------------
  const regexEscape = (v) => String(v).replace(/\\/g, "\\\\\\\\").replace(/[$^*{}\[\]'+?.()|]/g, "\\\\$&");
  const plainEscape = (v) => String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");

  /* The text Grafana's Prometheus datasource puts in a query for a variable. */
  function variableText(v, format) {
    let values = v.currentValues || [];
    const isAll = values.includes("$__all");
    if (isAll) {
      if (v.allValue !== undefined && v.allValue !== null && v.allValue !== "") {
        if (!format || format === "regex" || format === "raw") return String(v.allValue);
      }
      values = (v.options || []).map((o) => o.value).filter((x) => x !== "$__all");
    }
    if (format === "raw" || format === "text") return values.join(",");
    if (format === "csv") return values.join(",");
    if (format === "pipe") return values.join("|");
    if (format === "json") return JSON.stringify(values);
    if (format === "glob") return values.length > 1 ? "{" + values.join(",") + "}" : values[0] || "";
    if (format === "doublequote") return values.map((x) => '"' + x + '"').join(",");
    if (format === "singlequote") return values.map((x) => "'" + x + "'").join(",");
    if (format === "queryparam") return values.map((x) => "var-" + v.name + "=" + encodeURIComponent(x)).join("&");
    if (v.type === "datasource" || v.type === "interval" || v.type === "constant" || v.type === "textbox") {
      return values.length ? String(values[0]) : "";
    }
    const multi = v.multi || v.includeAll;
    if (format === "regex" || multi) {
      if (values.length === 1) return regexEscape(values[0]);
      return "(" + values.map(regexEscape).join("|") + ")";
    }
    return values.length ? plainEscape(values[0]) : "";
  }

  const VARIABLE = /\$\{(\w+)(?::([\w-]+))?\}|\[\[(\w+)(?::([\w-]+))?\]\]|\$(\w+)/g;

  function interpolate(text, variables, builtins) {
    return String(text || "").replace(VARIABLE, (all, a, fa, b, fb, c) => {
      const name = a || b || c, format = fa || fb;
      if (builtins && Object.prototype.hasOwnProperty.call(builtins, name)) return builtins[name];
      const v = variables[name];
      return v ? variableText(v, format) : all;
    });
  }

  // --- Prometheus -------------------------------------------------------
  async function prom(path, params) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    }
    let answer;
    try {
      // GET: Prometheus answers label values only to GET, and the rest to both.
      const r = await fetch("/api/prom/api/v1/" + path + "?" + body.toString());
      answer = await r.json().catch(() => ({ status: "error", error: "HTTP " + r.status + " from Prometheus" }));
    } catch (e) {
      answer = { status: "error", error: "the preview server did not answer" };
    }
    if (answer.status !== "success") {
      const err = new Error(answer.error || "query failed");
      err.kind = answer.errorType || "error";
      throw err;
    }
    return answer.data;
  }

  const labelText = (labels) => {
    const name = labels.__name__ || "";
    const rest = Object.keys(labels).filter((k) => k !== "__name__").sort()
      .map((k) => k + '="' + labels[k] + '"').join(", ");
    return rest ? name + "{" + rest + "}" : name || "{}";
  };

  /* The series name Grafana shows: the legend format with {{label}} filled in. */
  function seriesName(target, labels, expr) {
    const legend = target.legendFormat;
    if (legend && legend !== "__auto") return legend.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (a, k) => labels[k] || "");
    if (Object.keys(labels).length === 0) return expr;
    return labelText(labels);
  }

  /* Run one target; series of {name, labels, refId, times (s), values}. */
  async function runTarget(target, expr, range, stepMs) {
    const end = range.to / 1000;
    if (target.instant && !target.range) {
      const data = await prom("query", { query: expr, time: end.toFixed(3) });
      return toSeries(data, target, expr, true);
    }
    let step = Math.max(stepMs / 1000, 1, Math.ceil((range.to - range.from) / 1000 / 11000));
    const intervalFactor = target.intervalFactor || 1;
    const own = durationMs(String(target.interval || "").replace(/^>/, ""));
    if (own) step = Math.max(step, own / 1000);
    step *= intervalFactor;
    const start = Math.floor(range.from / 1000 / step) * step, last = Math.floor(end / step) * step;
    const data = await prom("query_range", { query: expr, start: String(start), end: String(last), step: String(step) });
    return toSeries(data, target, expr, false);
  }

  function toSeries(data, target, expr, instant) {
    const out = [];
    const result = data.result;
    if (data.resultType === "scalar" || data.resultType === "string") {
      out.push({ name: seriesName(target, {}, expr), labels: {}, refId: target.refId, times: [result[0]],
        values: [parseFloat(result[1])], instant: true });
      return out;
    }
    for (const s of result || []) {
      const labels = s.metric || {};
      const pairs = s.values || (s.value ? [s.value] : []);
      out.push({ name: seriesName(target, labels, expr), labels, refId: target.refId, instant,
        times: pairs.map((p) => p[0]), values: pairs.map((p) => parseFloat(p[1])) });
    }
    return out;
  }

  /* Cumulative `le` buckets -> per-bucket counts, sorted by bound (format "heatmap"). */
  function heatmapBuckets(series) {
    const withLe = series.filter((s) => s.labels.le !== undefined)
      .map((s) => ({ ...s, le: s.labels.le === "+Inf" ? Infinity : parseFloat(s.labels.le) }))
      .sort((a, b) => a.le - b.le);
    for (let i = withLe.length - 1; i > 0; i--) {
      const cur = withLe[i], below = withLe[i - 1];
      cur.values = cur.values.map((v, j) => v - (below.values[j] || 0));
    }
    return withLe;
  }

  // --- reducers ---------------------------------------------------------
  const finite = (vs) => vs.filter((v) => v !== null && !isNaN(v));
  const REDUCERS = {
    lastNotNull: (vs) => { const f = finite(vs); return f.length ? f[f.length - 1] : null; },
    last: (vs) => (vs.length ? vs[vs.length - 1] : null),
    firstNotNull: (vs) => { const f = finite(vs); return f.length ? f[0] : null; },
    first: (vs) => (vs.length ? vs[0] : null),
    mean: (vs) => { const f = finite(vs); return f.length ? f.reduce((a, b) => a + b, 0) / f.length : null; },
    max: (vs) => { const f = finite(vs); return f.length ? Math.max(...f) : null; },
    min: (vs) => { const f = finite(vs); return f.length ? Math.min(...f) : null; },
    sum: (vs) => { const f = finite(vs); return f.length ? f.reduce((a, b) => a + b, 0) : null; },
    count: (vs) => vs.length,
    range: (vs) => { const f = finite(vs); return f.length ? Math.max(...f) - Math.min(...f) : null; },
    delta: (vs) => { const f = finite(vs); let d = 0; for (let i = 1; i < f.length; i++) d += Math.max(0, f[i] - f[i - 1]); return d; },
    diff: (vs) => { const f = finite(vs); return f.length ? f[f.length - 1] - f[0] : null; },
    median: (vs) => { const f = finite(vs).sort((a, b) => a - b); return f.length ? f[Math.floor(f.length / 2)] : null; },
  };
  REDUCERS.current = REDUCERS.lastNotNull; REDUCERS.avg = REDUCERS.mean; REDUCERS.total = REDUCERS.sum;
  const REDUCER_NAMES = { lastNotNull: "Last *", last: "Last", firstNotNull: "First *", first: "First", mean: "Mean",
    max: "Max", min: "Min", sum: "Total", count: "Count", range: "Range", delta: "Delta", diff: "Difference", median: "Median" };
  const reduce = (values, calc) => (REDUCERS[calc] || REDUCERS.lastNotNull)(values);

  // --- colours ----------------------------------------------------------
  const NAMED = {
    red: "#F2495C", "dark-red": "#C4162A", "semi-dark-red": "#E02F44", "light-red": "#FF7383", "super-light-red": "#FFA6B0",
    orange: "#FF9830", "dark-orange": "#FA6400", "semi-dark-orange": "#FF780A", "light-orange": "#FFB357", "super-light-orange": "#FFCB7D",
    yellow: "#FADE2A", "dark-yellow": "#E0B400", "semi-dark-yellow": "#F2CC0C", "light-yellow": "#FFEE52", "super-light-yellow": "#FFF899",
    green: "#73BF69", "dark-green": "#37872D", "semi-dark-green": "#56A64B", "light-green": "#96D98D", "super-light-green": "#C8F2C2",
    blue: "#5794F2", "dark-blue": "#1F60C4", "semi-dark-blue": "#3274D9", "light-blue": "#8AB8FF", "super-light-blue": "#C0D8FF",
    purple: "#B877D9", "dark-purple": "#8F3BB8", "semi-dark-purple": "#A352CC", "light-purple": "#CA95E5", "super-light-purple": "#DEB6F2",
    text: "#CCCCDC", transparent: "rgba(0,0,0,0)", white: "#FFFFFF", black: "#000000",
  };
  const PALETTE = ["green", "semi-dark-yellow", "light-blue", "semi-dark-orange", "red", "blue", "purple", "#705DA0",
    "dark-green", "yellow", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477", "#B7DBAB", "#F4D598",
    "#70DBED", "#F9BA8F", "#F29191", "#82B5D8", "#E5A8E2", "#AEA2E0", "#629E51", "#E5AC0E", "#64B0C8", "#E0752D"];
  /* A dashboard's colour name or CSS colour; anything else (a url(), a
     gradient, more CSS) is no colour, and goes nowhere near a style. */
  const color = (name) => {
    const c = NAMED[String(name || "").toLowerCase()] || NAMED[name] || name || NAMED.green;
    return typeof c === "string" && CSS.supports("color", c) ? c : NAMED.text;
  };
  const paletteColor = (i) => color(PALETTE[i % PALETTE.length]);

  function alpha(c, a) {
    const hex = color(c);
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(hex);
    if (!m) return hex;
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + a + ")";
  }

  function thresholdSteps(field) {
    const t = field.thresholds;
    const steps = t && Array.isArray(t.steps) && t.steps.length ? t.steps : [{ color: "green", value: null }, { color: "red", value: 80 }];
    return steps.map((s) => ({ color: s.color, value: s.value === null || s.value === undefined ? -Infinity : Number(s.value) }));
  }

  function thresholdColor(field, value, range) {
    const steps = thresholdSteps(field);
    let v = value;
    if (field.thresholds && field.thresholds.mode === "percentage" && range) {
      v = range.max === range.min ? 0 : ((value - range.min) / (range.max - range.min)) * 100;
    }
    let chosen = steps[0];
    for (const s of steps) if (v >= s.value) chosen = s;
    return color(chosen.color);
  }

  /* A value mapping that applies to v: {text, color} or null. */
  function mapValue(field, v) {
    for (const m of field.mappings || []) {
      const o = m.options || {};
      if (m.type === "value" && v !== null) {
        const hit = o[String(v)];
        if (hit) return hit;
      } else if (m.type === "range" && v !== null) {
        const from = o.from === null || o.from === undefined ? -Infinity : o.from;
        const to = o.to === null || o.to === undefined ? Infinity : o.to;
        if (v >= from && v <= to) return o.result || null;
      } else if (m.type === "special") {
        const isNull = v === null || v === undefined, isNan = typeof v === "number" && isNaN(v);
        if ((o.match === "null" && isNull) || (o.match === "nan" && isNan) || (o.match === "null+nan" && (isNull || isNan))) return o.result || null;
      } else if (m.type === "regex" && v !== null) {
        try { if (new RegExp(o.pattern).test(String(v))) return o.result || null; } catch (e) { /* a bad pattern maps nothing */ }
      }
    }
    return null;
  }

  /* What a panel shows for one value: {text, color, numeric}. */
  function display(field, value, fallbackColor, range) {
    const mapped = mapValue(field, value);
    let text;
    if (mapped && mapped.text !== undefined && mapped.text !== null && mapped.text !== "") text = mapped.text;
    else if (value === null || value === undefined) text = field.noValue || "No data";
    else if (typeof value === "number" && isNaN(value)) text = "NaN";
    else text = TBUnits.text(value, field.unit, field.decimals);
    let c;
    if (mapped && mapped.color) c = color(mapped.color);
    else if (field.color && field.color.mode === "fixed") c = color(field.color.fixedColor);
    else if (fallbackColor && field.color && field.color.mode && field.color.mode !== "thresholds") c = fallbackColor;
    else c = value === null || isNaN(value) ? NAMED.text : thresholdColor(field, value, range);
    return { text, color: c, numeric: value };
  }

  /* The field config of one series: defaults, then the overrides that match it. */
  function fieldFor(panel, name, refId) {
    const fc = panel.fieldConfig || {};
    const field = JSON.parse(JSON.stringify(fc.defaults || {}));
    field.custom = field.custom || {};
    for (const o of fc.overrides || []) {
      const m = o.matcher || {};
      let hit = false;
      if (m.id === "byName") hit = m.options === name;
      else if (m.id === "byRegexp") { try { hit = new RegExp(m.options).test(name); } catch (e) { hit = false; } }
      else if (m.id === "byFrameRefID") hit = m.options === refId;
      else if (m.id === "byType") hit = m.options === "number";
      if (!hit) continue;
      for (const p of o.properties || []) {
        if (!p || !p.id) continue;
        if (p.id.startsWith("custom.")) field.custom[p.id.substring(7)] = p.value;
        else if (p.id === "color") field.color = p.value;
        else field[p.id] = p.value;
      }
    }
    if (field.displayName) field.displayName = field.displayName.replace(/\$\{__field\.displayName\}/g, name);
    return field;
  }

  root.TBData = {
    durationMs, parseTime, intervals, interpolate, variableText, regexEscape, prom, runTarget, heatmapBuckets,
    reduce, REDUCER_NAMES, color, alpha, paletteColor, thresholdSteps, thresholdColor, display, fieldFor, mapValue,
    labelText, NAMED,
  };
})(window);
