"""ToneBridge's rule files: the spec's alerts (§7.1, §10.1) and the SLO
rules (§11). Each public module has ``rule_file(cfg)`` returning a
``RuleFile``; the engine discovers them (the settings' ``content.rules``
names this package), and ``tb-dash rules`` writes one file per module.
Shared helpers live in ``_common.py``."""
