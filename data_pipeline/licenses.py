"""License detection from LICENSE/COPYING texts and SPDX headers, and the allow-list decision.

Detection is by distinctive phrases of each license text, not by file name, because hardware
repos often ship `LICENSE.txt`, `COPYING`, or a license only in a file header. A file's own SPDX
header, or failing that the license text or statement in its leading comment block (ZipCPU,
OpenCores and ultraembedded files carry the whole notice there, no SPDX line), wins over its
folder's license file, which wins over the nearest license file above it, which wins over a
license the root README states ("## License ... licensed under the Apache 2 license"), which wins
over the source's declared license (config or package metadata). Nothing is ever guessed: a
README statement counts only when it names exactly one license.
"""

from __future__ import annotations

import posixpath
import re

LICENSE_FILE = re.compile(r"^(licen[cs]e|copying|copyright|unlicense)([.\-_].*)?$", re.I)
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.\-+ ()]+?)\s*(\*/|$)", re.M)

# (spdx id, required phrases (all), forbidden phrases) — first match wins, most specific first
_RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("AGPL-3.0", ("gnu affero general public license",), ()),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3"), ()),
    ("LGPL-2.1", ("gnu lesser general public license",), ()),
    ("LGPL-2.1", ("gnu library general public license",), ()),
    ("GPL-3.0", ("gnu general public license", "version 3"), ()),
    ("GPL-2.0", ("gnu general public license", "version 2"), ()),
    ("MPL-2.0", ("mozilla public license", "2.0"), ()),
    ("Apache-2.0", ("apache license", "version 2.0"), ()),
    ("Apache-2.0", ("licensed under the apache license, version 2.0",), ()),
    ("SHL-2.1", ("solderpad hardware license", "2.1"), ()),
    ("SHL-2.0", ("solderpad hardware license", "2.0"), ()),
    ("SHL-0.51", ("solderpad hardware license", "0.51"), ()),
    ("SHL-0.5", ("solderpad hardware license",), ()),
    ("CERN-OHL-S-2.0", ("cern open hardware licence", "strongly reciprocal"), ()),
    ("CERN-OHL-W-2.0", ("cern open hardware licence", "weakly reciprocal"), ()),
    ("CERN-OHL-P-2.0", ("cern open hardware licence", "permissive"), ()),
    ("CERN-OHL-1.2", ("cern ohl",), ()),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",), ()),
    ("CC0-1.0", ("cc0 1.0",), ()),
    ("CC0-1.0", ("creative commons legal code", "cc0"), ()),
    ("CC-BY-4.0", ("creative commons attribution 4.0",), ()),
    ("MIT", ("permission is hereby granted, free of charge",), ()),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name"), ()),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "may not be used to endorse"), ()),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",), ()),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",), ()),
    ("ISC", ("permission to use, copy, modify, and distribute this software for any purpose",), ()),
    ("Zlib", ("this software is provided 'as-is', without any express or implied",), ()),
    ("BSL-1.0", ("boost software license",), ()),
    ("LGPL-2.1", ("lesser general public license",), ()),
    ("GPL-2.0", ("general public license",), ()),
]

_ALIASES = {"apache 2": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache license 2.0": "Apache-2.0",
            "apache software license": "Apache-2.0", "mit license": "MIT", "bsd": "BSD-3-Clause",
            "bsd license": "BSD-3-Clause", "isc license": "ISC", "gplv3": "GPL-3.0", "gplv2": "GPL-2.0",
            "lgpl": "LGPL-2.1", "unlicense": "Unlicense", "the unlicense": "Unlicense",
            # spellings met in the corpus: Tiny Tapeout project metadata, PyPI classifiers
            "apache2.0": "Apache-2.0", "apache2": "Apache-2.0", "isc license (iscl)": "ISC"}


def normalise_id(name: str) -> str:
    """Map declared license names (package metadata, config, SPDX) to one SPDX-like id."""
    n = name.strip()
    if not n:
        return "unknown"
    low = n.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    n = re.sub(r"-(only|or-later)$|\+$", "", n)
    for spdx, _, _ in _RULES:
        if spdx.lower() == n.lower():
            return spdx
    found = detect_text(n)
    return found if found != "unknown" else n


def detect_text(text: str) -> str:
    """SPDX id of a license text, or 'unknown'."""
    low = re.sub(r"\s+", " ", text.lower())[:20000]
    m = _SPDX.search(text[:4000])
    if m:
        expr = m.group(1).strip()
        first = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", expr)[0].strip() or expr
        return normalise_id(first)
    for spdx, need, forbid in _RULES:
        if all(p in low for p in need) and not any(p in low for p in forbid):
            return spdx
    return "unknown"


_LEAD_COMMENT = re.compile(r"\A(?:\s+|//[^\n]*\n?|/\*.*?\*/|`timescale[^\n]*\n?)*", re.S)


def header_license(text: str) -> str | None:
    """License of a file from its own header: an SPDX line, else a license text or statement in
    the comments before the first line of code. Only the leading comments count, so a string or a
    comment deep in the code naming a license cannot relabel the file."""
    own = spdx_header(text)
    if own:
        return own
    m = _LEAD_COMMENT.match(text[:8000])
    lead = m.group(0) if m else ""
    if len(lead) < 40:
        return None
    low = re.sub(r"[\s/*#!]+", " ", lead.lower())
    for spdx, need, forbid in _RULES:
        if all(p in low for p in need) and not any(p in low for p in forbid):
            return spdx
    return _statement(low)


# names of licenses as READMEs and headers write them, most specific first
_NAMES: list[tuple[str, str]] = [
    ("AGPL-3.0", r"\bagpl|affero"),
    ("LGPL-3.0", r"\blgpl\s*-?\s*v?3|lesser general public license,? (?:version |v)?3"),
    ("LGPL-2.1", r"\blgpl|lesser general public|library general public"),
    ("GPL-3.0", r"\bgpl\s*-?\s*v?3|general public license,? (?:version |v)?3"),
    ("GPL-2.0", r"\bgpl|general public license"),
    ("CC-BY-SA-4.0", r"\bcc[\s-]*by[\s-]*sa\b|creative commons attribution[\s-]*share"),
    ("CC-BY-4.0", r"\bcc[\s-]*by\b|creative commons attribution"),
    ("CC0-1.0", r"\bcc0\b"),
    ("Apache-2.0", r"\bapache(?:\s+license)?[\s,-]*(?:version\s*|v)?2(?:\.0)?\b"),
    ("BSD-3-Clause", r"\bbsd[\s-]*3|3[\s-]*clause bsd|bsd[\s-]*three"),
    ("BSD-2-Clause", r"\bbsd[\s-]*2|2[\s-]*clause bsd|bsd[\s-]*two"),
    ("MIT", r"\bmit\b(?:[\s-]*licen[cs]e|\))|\bmit\]|\(mit\)|licen[cs]ed under (?:the )?mit\b"),
    ("ISC", r"\bisc licen[cs]e"),
    ("Unlicense", r"\bthe unlicense\b"),
    ("SHL-0.51", r"solderpad hardware licen[cs]e,? (?:version |v)?0\.51"),
    ("CERN-OHL-P-2.0", r"cern[\s-]*ohl[\s-]*p"),
    ("CERN-OHL-S-2.0", r"cern[\s-]*ohl[\s-]*s"),
    ("CERN-OHL-W-2.0", r"cern[\s-]*ohl[\s-]*w"),
]
_GRANT = re.compile(r"\b(?:licen[cs]ed|released|distributed|published|available)\s+under\b"
                    r"|\blicen[cs]e\s*:\s*\S", re.I)
_NEGATION = re.compile(r"\bnot\s+(?:yet\s+)?licen[cs]ed|\bno\s+licen[cs]e|\bunlicensed\b|all rights reserved|"
                       r"licen[cs]e will be decided|\bproprietary\b", re.I)


def _statement(text: str) -> str | None:
    """The one license a statement such as "released under the MIT license" names, or None
    (no statement, a negation such as "not licensed", or several licenses named)."""
    low = re.sub(r"\s+", " ", text.lower())
    if not _GRANT.search(low) or _NEGATION.search(low):
        return None
    found = []
    rest = low
    for spdx, pat in _NAMES:
        if re.search(pat, rest):
            found.append(spdx)
            rest = re.sub(pat, " ", rest)  # "lgpl v3" must not also count as "gpl"
    return found[0] if len(found) == 1 else None


_HEADING = re.compile(r"^(?:#{1,6}\s*|\*\*)?\s*(licen[cs](?:e|es|ing)|copyright(?: and licen[cs]e)?)\b.*$",
                      re.I | re.M)


def readme_license(text: str) -> str | None:
    """The license a README states for its repository: the full text or one named license in its
    "License" section, or a one-license grant sentence ("distributed under the MIT License")."""
    text = re.sub(r"\]\([^)\s]*\)", "]", text)  # [MIT License](LICENSE): the words, not the link
    text = re.sub(r"https?://\S+", " ", text)
    m = _HEADING.search(text)
    if m:
        nxt = re.search(r"^(?:#{1,6}\s|\S.*\n[=-]{3,}\s*$)", text[m.end():], re.M)
        section = text[m.start(1) + len(m.group(1)): m.end() + (nxt.start() if nxt else 3000)][:3000]
        lic = detect_text(section)
        if lic != "unknown":
            return lic
        found = _statement("licensed under " + section) if not _NEGATION.search(section) else None
        if found:
            return found
    for sent in re.split(r"(?<=[.!?])\s+|\n\s*\n", text):
        if re.search(r"licen[cs]", sent, re.I):
            found = _statement(sent)
            if found:
                return found
    return None


def spdx_header(text: str) -> str | None:
    m = _SPDX.search(text[:4000])
    if not m:
        return None
    expr = m.group(1).strip()
    first = re.split(r"\s+(?:OR|AND|WITH)\s+|[()]", expr)[0].strip() or expr
    return normalise_id(first)


class LicenseMap:
    """License files of one source by folder; answers `license_for(path, text)`."""

    def __init__(self, default: str = "unknown"):
        self.by_dir: dict[str, str] = {}
        self.default = default or "unknown"
        self.readme = ""  # the license the root README states, when it names one

    def add_readme(self, path: str, text: str) -> None:
        """A root README's license statement: below any license file, above the declared default."""
        if "/" in path.strip("/"):
            return
        lic = readme_license(text)
        if lic and not self.readme:
            self.readme = lic

    def add_file(self, path: str, text: str) -> None:
        lic = detect_text(text)
        if lic == "unknown":
            return
        d = posixpath.dirname(path)
        # several license files in one folder: keep the first known (sorted paths make it stable)
        self.by_dir.setdefault(d, lic)

    def license_for(self, path: str, text: str | None = None) -> str:
        if text is not None:
            own = header_license(text)
            if own:
                return own
        d = posixpath.dirname(path)
        while True:
            if d in self.by_dir:
                return self.by_dir[d]
            if not d:
                break
            d = posixpath.dirname(d)
        return self.readme or self.default

    def repo_license(self) -> str:
        base = self.readme or self.default
        return self.by_dir.get("", base if base != "unknown" else
                               (sorted(self.by_dir.values())[0] if self.by_dir else "unknown"))


def allowed(lic: str, allow: list[str]) -> bool:
    return lic in set(allow)
