"""``python -m tonebridge_dash`` and the ``tb-dash`` command (``run``).

A command is short and makes few reference cycles, so the cyclic garbage
collector is off from the first import: it would otherwise scan every
object the imports, a push's dashboards and Grafana's answers make, again
each time their number grows by a quarter (about a fifth of a no-op push's
time). Memory is still freed by reference counting; the commands that
serve until stopped (``preview``, ``demo``) turn the collector back on.
"""

import gc

gc.disable()

from .cli import run  # noqa: E402 (after the collector is off: the imports are most of the objects)

if __name__ == "__main__":
    run()
