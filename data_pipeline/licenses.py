"""License detection from LICENSE/COPYING texts and SPDX headers, and the allow-list decision.

Detection is by distinctive phrases of each license text, not by file name, because hardware
repos often ship `LICENSE.txt`, `COPYING`, or a license only in a file header. A file's own SPDX
header wins over its folder's license file, which wins over the nearest license file above it,
which wins over the source's declared license (config or package metadata).
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

_ALIASES = {"apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache license 2.0": "Apache-2.0",
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

    def add_file(self, path: str, text: str) -> None:
        lic = detect_text(text)
        if lic == "unknown":
            return
        d = posixpath.dirname(path)
        # several license files in one folder: keep the first known (sorted paths make it stable)
        self.by_dir.setdefault(d, lic)

    def license_for(self, path: str, text: str | None = None) -> str:
        if text is not None:
            own = spdx_header(text)
            if own:
                return own
        d = posixpath.dirname(path)
        while True:
            if d in self.by_dir:
                return self.by_dir[d]
            if not d:
                break
            d = posixpath.dirname(d)
        return self.default

    def repo_license(self) -> str:
        return self.by_dir.get("", self.default if self.default != "unknown" else
                               (sorted(self.by_dir.values())[0] if self.by_dir else "unknown"))


def allowed(lic: str, allow: list[str]) -> bool:
    return lic in set(allow)
