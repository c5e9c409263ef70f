"""Files, read and written safely: reading with limits (JSON, YAML), atomic writes (all or nothing),
the files a command owns in a directory, and whether written files are current or stale."""
