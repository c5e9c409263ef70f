/* Grafana's value formatters (packages/grafana-data/src/valueFormats),
   rewritten for the units dashboards use: format(value, unit, decimals)
   gives {prefix, text, suffix} as Grafana's getValueFormat(unit) does. */
"use strict";
(function (root) {
  function decimalsFor(value) {
    const log10 = Math.floor(Math.log(Math.abs(value)) / Math.LN10);
    let dec = -log10 + 1;
    const magn = Math.pow(10, -dec);
    const norm = value / magn;
    if (norm > 2.25) ++dec;
    if (value % 1 === 0) dec = 0;
    return Math.max(0, dec);
  }

  function toFixed(value, decimals) {
    if (value === null) return "";
    if (value === Infinity || value === -Infinity) return value.toLocaleString();
    if (decimals === null || decimals === undefined) decimals = decimalsFor(value);
    if (value === 0) return value.toFixed(decimals);
    const factor = decimals ? Math.pow(10, Math.max(0, decimals)) : 1;
    const formatted = String(Math.round(value * factor) / factor);
    if (formatted.indexOf("e") !== -1 || value === 0) return formatted;
    const dot = formatted.indexOf(".");
    const precision = dot === -1 ? 0 : formatted.length - dot - 1;
    if (precision < decimals) {
      return (precision ? formatted : formatted + ".") + String(factor).slice(1, decimals - precision + 1);
    }
    return formatted;
  }

  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const logb = (b, x) => Math.log10(x) / Math.log10(b);

  function scaled(factor, ext, offset) {
    offset = offset || 0;
    return (size, decimals) => {
      if (size === null || size === undefined) return { text: "" };
      if (size === Infinity || size === -Infinity || isNaN(size)) return { text: size.toLocaleString() };
      const i = Math.floor(logb(factor, Math.abs(size)));
      const suffix = ext[clamp(offset + i, 0, ext.length - 1)];
      return { text: toFixed(size / Math.pow(factor, clamp(i, -offset, ext.length - offset - 1)), decimals), suffix };
    };
  }

  function fixedUnit(unit, asPrefix) {
    return (size, decimals) => {
      if (size === null) return { text: "" };
      const text = toFixed(size, decimals);
      if (!unit) return { text };
      return asPrefix ? { text, prefix: unit } : { text, suffix: " " + unit };
    };
  }

  function count(symbol) {
    const scaler = scaled(1000, ["", "K", "M", "B", "T"]);
    return (size, decimals) => {
      if (size === null) return { text: "" };
      const v = scaler(size, decimals);
      v.suffix += " " + symbol;
      return v;
    };
  }

  function currency(symbol, asSuffix) {
    const scaler = scaled(1000, ["", "K", "M", "B", "T"]);
    return (value, decimals) => {
      if (value === null || value === undefined) return { text: "" };
      const negative = value < 0;
      const v = scaler(Math.abs(value), decimals);
      if (asSuffix) v.suffix = v.suffix !== undefined ? v.suffix + symbol : undefined;
      else v.prefix = symbol;
      if (negative) v.prefix = "-" + (v.prefix && v.prefix.length ? v.prefix : "");
      return v;
    };
  }

  const SI = ["f", "p", "n", "µ", "m", "", "k", "M", "G", "T", "P", "E", "Z", "Y"];
  const SI_BASE = SI.indexOf("");
  const si = (unit, offset) => scaled(1000, SI.map((p) => " " + p + unit), SI_BASE + (offset || 0));
  const BIN = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"];
  const binary = (unit, offset) => scaled(1024, BIN.map((p) => " " + p + unit), offset || 0);

  const withSuffix = (value, decimals, ext) => ({ text: toFixed(value, decimals), suffix: ext });

  // Time: the steps of Grafana's toSeconds, toMilliSeconds, toMinutes... as
  // [below this size, divide by, suffix], the last one for anything larger.
  function stepped(table) {
    return (size, decimals) => {
      if (size === null) return { text: "" };
      const a = Math.abs(size);
      const [, divisor, ext] = table.find(([limit]) => a < limit) || table[table.length - 1];
      return withSuffix(size / divisor, decimals, ext);
    };
  }
  const toSeconds = stepped([[1e-6, 1e-9, " ns"], [1e-3, 1e-6, " µs"], [1, 1e-3, " ms"], [60, 1, " s"], [3600, 60, " min"],
    [86400, 3600, " hour"], [604800, 86400, " day"], [31536000, 604800, " week"], [Infinity, 3.15569e7, " year"]]);
  const seconds = (size, decimals) => (size === 0 ? { text: "0", suffix: " s" } : toSeconds(size, decimals));
  const milliseconds = stepped([[1000, 1, " ms"], [60000, 1000, " s"], [3600000, 60000, " min"], [86400000, 3600000, " hour"],
    [31536000000, 86400000, " day"], [Infinity, 31536000000, " year"]]);
  const microseconds = stepped([[1000, 1, " µs"], [1e6, 1000, " ms"], [Infinity, 1e6, " s"]]);
  const nanoseconds = stepped([[1000, 1, " ns"], [1e6, 1000, " µs"], [1e9, 1e6, " ms"], [6e10, 1e9, " s"], [Infinity, 6e10, " min"]]);
  const minutes = stepped([[60, 1, " min"], [1440, 60, " hour"], [10080, 1440, " day"], [604800, 10080, " week"], [Infinity, 5.25948e5, " year"]]);
  const hours = stepped([[24, 1, " hour"], [168, 24, " day"], [8760, 168, " week"], [Infinity, 8760, " year"]]);
  const days = stepped([[7, 1, " day"], [365, 7, " week"], [Infinity, 365, " year"]]);

  const FORMATS = {
    none: fixedUnit(""),
    short: scaled(1000, ["", " K", " Mil", " Bil", " Tri", " Quadr", " Quint", " Sext", " Sept"]),
    sishort: si(""),
    percent: (v, d) => (v === null ? { text: "" } : { text: toFixed(v, d), suffix: "%" }),
    percentunit: (v, d) => (v === null ? { text: "" } : { text: toFixed(100 * v, d), suffix: "%" }),
    humidity: fixedUnit("%H"), dB: fixedUnit("dB"), pixel: fixedUnit("px"),
    bytes: binary("B"), decbytes: si("B"), bits: binary("b"), decbits: si("b"),
    kbytes: binary("B", 1), deckbytes: si("B", 1), mbytes: binary("B", 2), decmbytes: si("B", 2),
    gbytes: binary("B", 3), decgbytes: si("B", 3), tbytes: binary("B", 4), dectbytes: si("B", 4),
    pps: si("p/s"), binBps: binary("B/s"), Bps: si("B/s"), binbps: binary("b/s"), bps: si("b/s"),
    KiBs: binary("B/s", 1), KBs: si("B/s", 1), MiBs: binary("B/s", 2), MBs: si("B/s", 2),
    Kbits: si("b/s", 1), Mbits: si("b/s", 2), Gbits: si("b/s", 3),
    cps: count("c/s"), ops: count("ops/s"), reqps: count("req/s"), rps: count("rd/s"), wps: count("wr/s"),
    iops: count("io/s"), eps: count("evt/s"), mps: count("msg/s"), recps: count("rec/s"), rowsps: count("rows/s"),
    cpm: count("c/m"), opm: count("ops/m"), reqpm: count("req/m"), rpm: count("rd/m"), wpm: count("wr/m"),
    currencyUSD: currency("$"), currencyGBP: currency("£"), currencyEUR: currency("€"), currencyJPY: currency("¥"),
    ns: nanoseconds, µs: microseconds, us: microseconds, ms: milliseconds, s: seconds, m: minutes, h: hours, d: days,
    watt: si("W"), volt: si("V"), amp: si("A"), hertz: si("Hz"), celsius: fixedUnit("°C"),
  };

  function formatter(unit) {
    if (!unit) return FORMATS.none;
    if (FORMATS[unit]) return FORMATS[unit];
    const i = unit.indexOf(":");
    if (i > 0) {
      const key = unit.substring(0, i), sub = unit.substring(i + 1);
      if (key === "prefix") return fixedUnit(sub, true);
      if (key === "suffix") return fixedUnit(sub, false);
      if (key === "count") return count(sub);
      if (key === "currency") return currency(sub);
      if (key === "si") {
        const c = sub.charAt(0), at = SI.indexOf(c);
        const offset = at < 0 || !c ? 0 : at - SI_BASE;
        return si(offset === 0 ? sub : sub.substring(1), offset);
      }
      if (key === "bool") {
        const j = sub.indexOf("/");
        return (v) => ({ text: v ? (j >= 0 ? sub.substring(0, j) : sub) : (j >= 0 ? sub.substring(j + 1) : "-") });
      }
    }
    return fixedUnit(unit);
  }

  function format(value, unit, decimals) {
    if (value === null || value === undefined) return { text: "" };
    const d = decimals === null || decimals === undefined ? undefined : decimals;
    const out = formatter(unit)(value, d);
    return { prefix: out.prefix || "", text: out.text, suffix: out.suffix || "" };
  }
  const toString = (v) => (v.prefix || "") + v.text + (v.suffix || "");

  root.TBUnits = { format, toString, toFixed, text: (value, unit, decimals) => toString(format(value, unit, decimals)) };
})(window);
