"""Small shared pieces: the content-hash cache that makes every stage resumable, and code tokenisers.

(The tokens decontamination compares, `word_tokens`, live with the rule in `eval.contamination`.)"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*|\d+'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ_?]+|\d+|\S")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def sha(text: str | bytes, n: int = 16) -> str:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:n]


def code_tokens(text: str) -> list[str]:
    """Verilog-aware tokens (sized literals stay whole); used for length bounds and shingles."""
    return _TOKEN.findall(text)


def strip_comments(text: str) -> str:
    return _COMMENT.sub(" ", text)


def normalise_code(text: str) -> str:
    """Comments and whitespace removed: two files equal under this are exact duplicates."""
    return " ".join(code_tokens(strip_comments(text)))


class Cache:
    """A SQLite key-value store: (stage, key) -> JSON. Keys are content hashes, so a re-run after
    a crash or with unchanged inputs recomputes nothing and never duplicates a record.

    Only the main process writes (workers return results), so one connection suffices.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS kv (stage TEXT, key TEXT, value TEXT, PRIMARY KEY(stage, key))")
        self.pending = 0

    def get(self, stage: str, key: str):
        row = self.db.execute("SELECT value FROM kv WHERE stage=? AND key=?", (stage, key)).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, stage: str, keys: list[str]) -> dict:
        out = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT key, value FROM kv WHERE stage=? AND key IN ({','.join('?' * len(chunk))})"
            for k, v in self.db.execute(q, (stage, *chunk)):
                out[k] = json.loads(v)
        return out

    def put(self, stage: str, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?,?,?)", (stage, key, json.dumps(value)))
        self.pending += 1
        if self.pending >= 20:  # expensive stages: lose at most a few results to a crash
            self.commit()

    def commit(self) -> None:
        self.db.commit()
        self.pending = 0

    def close(self) -> None:
        self.commit()
        self.db.close()


def write_jsonl(path: Path, records) -> int:
    """Write atomically (temp file + rename) so an interrupted export never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
