"""The Prometheus HTTP API calls ``check`` makes, in one place.

One ``requests.Session`` (safe to share between the check's worker threads
for GETs), a timeout on every call, and no requests exception leaks out:
transport failures become ``PrometheusUnreachable``; a query Prometheus
rejects comes back as a ``QueryAnswer`` with its error, because a broken
query is a finding, not a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..errors import EXIT_USAGE, TbDashError, redact_url


class PrometheusUnreachable(TbDashError):
    """Prometheus did not answer, or answered something that is not its API."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class QueryAnswer:
    series: int = 0  # series (or 1 for a scalar) in the result
    nan_only: bool = False  # every value is NaN (e.g. 0/0)
    error: str | None = None
    warnings: tuple[str, ...] = ()


class PrometheusClient:
    def __init__(self, url: str, timeout: float = 10.0, pool: int = 8) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        if not url.startswith(("http://", "https://")):
            raise PrometheusUnreachable(f"--prometheus-url must start with http:// or https://, "
                                        f"not '{redact_url(url)}'")
        if "?" in url or "#" in url:  # API paths are appended: they would land in it
            raise PrometheusUnreachable(f"--prometheus-url must not have a query string or fragment "
                                        f"({redact_url(url)})")
        self.url = url.rstrip("/")
        self.shown = redact_url(self.url)  # for messages: user and password hidden
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = f"tb-dash/{__version__}"
        adapter = HTTPAdapter(pool_connections=pool, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def _get(self, path: str, params: dict | None = None) -> tuple[int, Any]:
        import requests

        try:
            r = self.session.get(self.url + path, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise PrometheusUnreachable(f"{self.shown}{path}: no answer within {self.timeout:g}s") from None
        except requests.RequestException as e:
            raise PrometheusUnreachable(f"cannot reach Prometheus at {self.shown} ({e.__class__.__name__})") from None
        try:
            body = r.json()
        except ValueError:
            raise PrometheusUnreachable(
                f"{self.shown}{path}: HTTP {r.status_code}, not a Prometheus API answer") from None
        if not isinstance(body, dict) or "status" not in body:
            raise PrometheusUnreachable(f"{self.shown}{path}: HTTP {r.status_code}, not a Prometheus API answer")
        return r.status_code, body

    def metric_names(self) -> set[str]:
        """Every metric name the server knows (``/api/v1/label/__name__/values``)."""
        status, body = self._get("/api/v1/label/__name__/values")
        if body.get("status") != "success":
            raise PrometheusUnreachable(f"{self.shown}: cannot list metric names: {body.get('error', status)}")
        return set(body.get("data") or [])

    def instant(self, query: str, at: float | None = None) -> QueryAnswer:
        """Run an instant query; a timeout is reported as that query's error."""
        params = {"query": query, "timeout": f"{self.timeout:g}s"}
        if at is not None:
            params["time"] = f"{at:.3f}"
        try:
            status, body = self._get("/api/v1/query", params)
        except PrometheusUnreachable as e:
            if "no answer within" in e.message:
                return QueryAnswer(error=f"timed out after {self.timeout:g}s")
            raise
        warnings = tuple(str(w) for w in body.get("warnings") or ())
        if body.get("status") != "success":
            return QueryAnswer(error=f"{body.get('errorType', 'error')}: {body.get('error', f'HTTP {status}')}",
                               warnings=warnings)
        data = body.get("data") or {}
        result = data.get("result")
        if data.get("resultType") in ("scalar", "string"):
            values = [result[1]] if result else []
            return QueryAnswer(series=1, nan_only=_all_nan(values), warnings=warnings)
        result = result or []
        values = [s.get("value", [0, "0"])[1] for s in result if isinstance(s, dict) and "value" in s]
        return QueryAnswer(series=len(result), nan_only=bool(result) and _all_nan(values), warnings=warnings)


    def last_sample(self, metric: str, before: float, lookback_s: float = 7 * 86400) -> float | None:
        """Unix time of the newest sample of ``metric`` at or before ``before``
        (within ``lookback_s``), or None: a coarse range query finds the last
        10 minutes that hold data, ``timestamp()`` then gives the sample's own time."""
        step = 600
        params = {"query": f"count({metric})", "start": f"{before - lookback_s:.3f}", "end": f"{before:.3f}",
                  "step": str(step), "timeout": f"{self.timeout:g}s"}
        _, body = self._get("/api/v1/query_range", params)
        points = [float(t) for s in ((body.get("data") or {}).get("result") or []) if isinstance(s, dict)
                  for t, _ in s.get("values") or []]
        if body.get("status") != "success" or not points:
            return None
        last = max(points)
        times = []
        for at in (last, min(last + step / 2, before)):
            _, body = self._get("/api/v1/query", {"query": f"max(timestamp({metric}))", "time": f"{at:.3f}"})
            for s in (body.get("data") or {}).get("result") or []:
                try:
                    times.append(float(s["value"][1]))
                except (KeyError, IndexError, TypeError, ValueError):
                    pass
        return max(times) if times else last


def _all_nan(values) -> bool:
    try:
        return bool(values) and all(math.isnan(float(v)) for v in values)
    except (TypeError, ValueError):
        return False
