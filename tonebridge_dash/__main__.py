"""``python -m tonebridge_dash``: the same as the ``tb-dash`` command."""

from .cli import run

run()
