"""Debian's Lucene in one JVM per session, spoken to in JSON lines.

The bridge's Java source (``java/``) is compiled with ``javac`` against
Debian's ``liblucene8-java`` jars on first use, into a fresh private
temporary directory removed when the session closes (or the process ends),
so no class file anyone else could have written is ever loaded (the classes
are kept in the user's trusted cache, ``lucene_cache``, and a later session
copies them from a checked entry into its own private directory instead of
running ``javac`` again); the jars
themselves must belong to root or this user and be writable by nobody else.
The JVM reads one request per line on stdin and answers one line on stdout;
it opens no socket.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import select
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterable

from tonebridge_dash.errors import TbDashError, clip

from .lucene_cache import bridge_key, classes_key, keep_classes, restore_classes

JAR_DIR = Path("/usr/share/java")  # where Debian installs Java libraries
JARS = ("lucene-core", "lucene-queryparser", "lucene-analyzers-common")
JAVA_SOURCES = Path(__file__).with_name("java")
JAVA_PACKAGE = "default-jdk-headless"
LUCENE_PACKAGE = "liblucene8-java"
JVM_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx512m", "-Xss4m")


class LuceneError(TbDashError):
    """Lucene cannot be started or stopped answering."""


class QueryError(TbDashError):
    """Lucene (or Elasticsearch's rules around it) refused a query: ``kind``
    is Elasticsearch's error type, ``reason`` its message."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"the query cannot be run: {clip(reason, 300)}")
        self.kind, self.reason = kind, reason


def _trusted(path: Path) -> bool:
    """Whether ``path`` (followed) and its directory belong to root or this
    user and are writable by nobody else."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    try:
        real = Path(os.path.realpath(path))
        for p in (real, real.parent):
            st = p.stat()
            if st.st_uid not in (0, euid) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
    except OSError:
        return False
    return True


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def find_jars(jar_dir: Path = JAR_DIR) -> list[Path]:
    """The Lucene 8 jars the bridge needs (the newest of each), checked."""
    found = []
    for name in JARS:
        candidates = sorted(jar_dir.glob(f"{name}-8*.jar"), key=_version)
        if not candidates:
            raise LuceneError(f"Lucene's {name} jar is missing (apt-get install {LUCENE_PACKAGE})")
        if not _trusted(candidates[-1]):
            raise LuceneError(f"{candidates[-1].name} may be written by another user: not loaded")
        found.append(candidates[-1])
    return found


def find_tools() -> tuple[str, str]:
    """``java`` and ``javac`` on the PATH."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        missing = "java" if java is None else "javac"
        raise LuceneError(f"{missing} is missing (apt-get install {JAVA_PACKAGE} {LUCENE_PACKAGE})")
    return java, javac


@functools.lru_cache(maxsize=None)
def current_key(jar_dir: Path = JAR_DIR) -> str:
    """The bridge's identity (``lucene_cache.bridge_key``) without starting it,
    worked out once a process (it reads the Java sources and the jars' metadata)."""
    return bridge_key(JAVA_SOURCES, find_jars(jar_dir))


def unavailable() -> str | None:
    """Why a session cannot start here (for a test's skip), or None."""
    try:
        find_tools()
        find_jars()
    except LuceneError as e:
        return e.message
    return None


class LuceneSession:
    """One JVM holding in-memory Lucene indexes. Thread-safe; a context manager."""

    def __init__(self, *, jar_dir: Path = JAR_DIR, timeout: float = 60.0) -> None:
        java, javac = find_tools()
        jars = find_jars(jar_dir)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._buffer = b""
        self._classes = tempfile.mkdtemp(prefix="tb-dash-lucene-")
        atexit.register(shutil.rmtree, self._classes, True)
        classpath = os.pathsep.join(str(j) for j in jars)
        started = time.perf_counter()
        self.bridge_key = bridge_key(JAVA_SOURCES, jars)
        classes = classes_key(self.bridge_key, javac, java)
        self.javac_ran = not restore_classes(classes, self._classes)
        if self.javac_ran:
            self._compile(javac, classpath, timeout)
            keep_classes(classes, self._classes)
        self.compile_seconds = time.perf_counter() - started
        self._stderr = open(os.path.join(self._classes, "stderr.txt"), "w+b")
        self._process = subprocess.Popen(
            [java, *JVM_OPTIONS, "-cp", os.pathsep.join([self._classes, classpath]), "LuceneBridge"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=self._classes)
        self.request({"op": "ping"})
        self.start_seconds = time.perf_counter() - started - self.compile_seconds

    def _compile(self, javac: str, classpath: str, timeout: float) -> None:
        sources = sorted(str(p) for p in JAVA_SOURCES.glob("*.java"))
        compiled = subprocess.run([javac, "-encoding", "UTF-8", "-nowarn", "-d", self._classes, "-cp", classpath,
                                   *sources], capture_output=True, text=True, timeout=timeout)
        if compiled.returncode != 0:
            self._remove()
            first = (compiled.stderr.strip().splitlines() or ["no message"])[0]
            raise LuceneError(f"javac could not compile the Lucene bridge: {clip(first)}")

    def __enter__(self) -> LuceneSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            try:
                process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        if process is not None:
            process.stdout.close()
            self._stderr.close()
        self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self._classes, ignore_errors=True)

    def _died(self) -> LuceneError:
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        return LuceneError(f"the Lucene JVM stopped: {clip(lines[-1]) if lines else 'no message'}")

    def _read_line(self) -> bytes:
        deadline = time.monotonic() + self.timeout
        out = self._process.stdout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._process.kill()
                raise LuceneError(f"the Lucene JVM did not answer within {self.timeout:g} s")
            ready, _, _ = select.select([out], [], [], left)
            if ready:
                chunk = os.read(out.fileno(), 1 << 20)
                if not chunk:
                    raise self._died()
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(self, message: dict) -> dict:
        """Send one request; its answer (an error answer raised as QueryError)."""
        data = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            if self._process.poll() is not None:
                raise self._died()
            try:
                self._process.stdin.write(data)
                self._process.stdin.flush()
            except OSError:
                raise self._died() from None
            answer = json.loads(self._read_line())
        if not answer.get("ok"):
            raise QueryError(answer.get("type", "exception"), answer.get("reason", ""))
        return answer

    def index(self, index: str, mapping: dict[str, str], docs: Iterable[tuple[str, dict[str, list]]]) -> int:
        """Add documents (id, typed values by field) to ``index``; its size."""
        answer = self.request({"op": "index", "index": index, "mapping": mapping,
                               "docs": [{"id": i, "fields": f} for i, f in docs]})
        return answer["count"]

    def search(self, indexes: Iterable[str], query: str | None, *, ranges: Iterable[dict] = (),
               lenient: bool = True, analyze_wildcard: bool = True, now_ms: int | None = None) -> list[str]:
        """The ids of the documents of ``indexes`` that ``query`` (query_string
        text, None for all) and every range filter ({field, gte/gt/lte/lt,
        format}) match."""
        queries = [] if query is None else [query]
        return self.search_explained(indexes, queries, ranges=ranges, lenient=lenient,
                                     analyze_wildcard=analyze_wildcard, now_ms=now_ms)[0]

    def search_explained(self, indexes: Iterable[str], queries: Iterable[str], *, ranges: Iterable[dict] = (),
                         lenient: bool = True, analyze_wildcard: bool = True,
                         now_ms: int | None = None) -> tuple[list[str], str]:
        """The ids every query_string text of ``queries`` and every range
        matches, and the Lucene queries the texts were parsed into."""
        message: dict[str, Any] = {"op": "search", "indexes": list(indexes), "queries": list(queries),
                                   "ranges": list(ranges), "lenient": lenient,
                                   "analyze_wildcard": analyze_wildcard,
                                   "now": int(time.time() * 1000) if now_ms is None else int(now_ms)}
        answer = self.request(message)
        return answer["ids"], answer["query"]
