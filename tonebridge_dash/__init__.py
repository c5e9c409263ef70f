"""tb-dash: ToneBridge monitoring as code."""

__version__ = "0.1.0"
