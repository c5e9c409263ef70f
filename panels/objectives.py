"""ToneBridge's SLO policy (spec §11): the windows the SLIs are recorded
over and the multi-window, multi-burn-rate alerts of the Google SRE
workbook (chapter "Alerting on SLOs"). The SLO rules (``alerts/slo.py``)
and the SLO panels (``slo.py``) both read it, so the dashboard colours
where the alerts fire.
"""

from __future__ import annotations

from dataclasses import dataclass

from tonebridge_dash.kit import seconds

CRITICAL = "critical"
WARNING = "warning"
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")  # the SLIs' recording windows


@dataclass(frozen=True)
class BurnRateAlert:
    """Fire when ``budget_spent`` of the SLO window's budget would be spent
    within ``long_window`` at the current rate, in both windows."""

    severity: str
    budget_spent: float
    long_window: str
    short_window: str

    def factor(self, slo_window: str) -> float:
        """The burn rate that spends ``budget_spent`` in ``long_window``
        (14.4 for 2% in 1h of a 30-day window)."""
        return round(self.budget_spent * seconds(slo_window) / seconds(self.long_window), 6)


# The workbook's recommended table: page at 2% of the budget in 1h (14.4x
# for 30 days) and 5% in 6h (6x); ticket at 10% in 3 days (1x).
BURN_RATE_ALERTS = (
    BurnRateAlert(CRITICAL, 0.02, "1h", "5m"),
    BurnRateAlert(CRITICAL, 0.05, "6h", "30m"),
    BurnRateAlert(WARNING, 0.10, "3d", "6h"),
)
