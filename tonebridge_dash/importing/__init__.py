"""import: dashboard JSON of any schema version turned into dashboard modules (migration of
legacy panels, the generated calls, round-trip checks)."""
