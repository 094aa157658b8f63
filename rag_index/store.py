"""Snippets: what the index retrieves, with where they came from and under which license.

Two kinds. An *example* is a design module plus its natural-language description (the data
pipeline's `modules.jsonl`); the example retriever maps a spec to similar designs. A *knowledge*
passage is prose (the pipeline's `knowledge.jsonl`, and the design notes in `rag_index/knowledge/`);
the knowledge retriever maps a spec or a compiler error to passages. Every snippet keeps source and
license so a prompt built from them can be traced back.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.errors import UserError

KINDS = ("example", "knowledge")
KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"
PROJECT_LICENSE = "Apache-2.0"


@dataclass
class Snippet:
    id: str
    kind: str  # "example" or "knowledge"
    text: str  # example: its description; knowledge: the passage
    code: str = ""  # example only: the module source
    name: str = ""  # module name, or passage title
    source: str = ""  # repo@commit:path, or the document it came from
    license: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Identity of the content (not of the id): duplicates are skipped, the corpus hash is over these."""
        h = hashlib.sha256()
        for part in (self.kind, self.name, self.text, self.code):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()

    def dense_text(self) -> str:
        """What is embedded. Description first: MiniLM reads only its first 256 word pieces."""
        if self.kind == "example":
            return (self.text.strip() + "\n" + self.code.strip()).strip()
        return self.text.strip()

    def lexical_text(self) -> str:
        """What BM25 sees: the whole text, code identifiers included."""
        return (self.name + "\n" + self.text + "\n" + self.code).strip()

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict) -> "Snippet":
        return cls(**{k: row[k] for k in ("id", "kind", "text", "code", "name", "source", "license", "meta") if k in row})


def read_jsonl(path: Path):
    """(line number, object) per non-blank line; a bad line is a one-line UserError naming it."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise UserError(f"{path}:{n}: expected a JSON object")
            yield n, row


def load_modules(path: Path) -> list[Snippet]:
    """Examples from a pipeline `modules.jsonl`: rows need `code`; `description` may be empty."""
    out = []
    for n, row in read_jsonl(path):
        code = row.get("code")
        if not isinstance(code, str) or not code.strip():
            raise UserError(f"{path}:{n}: a module row needs a non-empty 'code' string")
        repo, commit, rel = row.get("repo") or "", row.get("commit") or "", row.get("path") or ""
        source = repo + (f"@{commit[:12]}" if commit else "") + (f":{rel}" if rel else "") or str(path)
        sid = str(row.get("id") or hashlib.sha256(code.encode()).hexdigest()[:16])
        meta = {k: v for k, v in row.items()
                if k not in ("id", "name", "code", "description", "repo", "commit", "path", "license")
                and isinstance(v, (str, int, float, bool)) and len(str(v)) < 200}
        out.append(Snippet(id=sid, kind="example", text=str(row.get("description") or ""), code=code,
                           name=str(row.get("name") or ""), source=source,
                           license=str(row.get("license") or "unknown"), meta=meta))
    return out


def load_knowledge_jsonl(path: Path) -> list[Snippet]:
    """Passages from a pipeline `knowledge.jsonl`: rows `{"text","source","license"}`."""
    out = []
    for n, row in read_jsonl(path):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise UserError(f"{path}:{n}: a knowledge row needs a non-empty 'text' string")
        source = str(row.get("source") or path)
        sid = str(row.get("id") or "k-" + hashlib.sha256((source + text).encode()).hexdigest()[:16])
        out.append(Snippet(id=sid, kind="knowledge", text=text, name=str(row.get("title") or ""),
                           source=source, license=str(row.get("license") or "unknown")))
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def split_markdown(path: Path, source_prefix: str = "rtlgen:rag_index/knowledge/") -> list[Snippet]:
    """One passage per `## ` section of a design-notes file, titled `file title — section`."""
    text = path.read_text(encoding="utf-8")
    title_m = re.search(r"^# (.+)$", text, re.M)
    title = title_m.group(1).strip() if title_m else path.stem
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    out = []
    for part in parts:
        head, _, body = part.partition("\n")
        body = body.strip()
        if not body:
            continue
        name = f"{title} — {head.strip()}"
        out.append(Snippet(id=f"note:{path.stem}#{_slug(head)}", kind="knowledge", text=f"{name}\n{body}",
                           name=name, source=f"{source_prefix}{path.name}#{_slug(head)}", license=PROJECT_LICENSE))
    return out


def builtin_knowledge() -> list[Snippet]:
    """The design notes shipped with rtlgen (original text, Apache-2.0)."""
    out = []
    for p in sorted(KNOWLEDGE_DIR.glob("*.md")):
        out.extend(split_markdown(p))
    return out


def load_data_dir(path: str | Path) -> list[Snippet]:
    """All snippets of a pipeline output folder `data/<name>/` (modules.jsonl and/or knowledge.jsonl),
    or of one such JSONL file."""
    p = Path(path).expanduser()
    if p.is_file():
        rows = load_knowledge_jsonl(p) if "knowledge" in p.name else load_modules(p)
        return rows
    if not p.is_dir():
        raise UserError(f"data path {p} does not exist")
    mods, know = p / "modules.jsonl", p / "knowledge.jsonl"
    if not mods.exists() and not know.exists():
        raise UserError(f"{p} has neither modules.jsonl nor knowledge.jsonl (is it a data_pipeline output?)")
    out = []
    if mods.exists():
        out.extend(load_modules(mods))
    if know.exists():
        out.extend(load_knowledge_jsonl(know))
    return out


def save_snippets(path: Path, snippets: list[Snippet]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for s in snippets:
            fh.write(json.dumps(s.to_json(), ensure_ascii=False) + "\n")


def load_snippets(path: Path) -> list[Snippet]:
    return [Snippet.from_json(row) for _, row in read_jsonl(path)]
