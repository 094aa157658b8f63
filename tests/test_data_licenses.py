"""License detection beyond LICENSE files: a notice in a file's leading comments and a license
the root README states. These decide what may be trained on, so each case that must NOT yield a
license (no statement, a negation, two licenses named, a license named deep in the code) is
checked as hard as the ones that must."""

from __future__ import annotations

import subprocess

from data_pipeline.config import ExtractConfig, SourceSpec
from data_pipeline.licenses import LicenseMap, header_license, readme_license

APACHE_HDR = """////////////////////////////////////////////////////////////////////////////////
// Filename:	axilite.v
// Copyright (C) 2019, Gisselquist Technology, LLC
//
// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License.
////////////////////////////////////////////////////////////////////////////////
`default_nettype none
module axilite(input wire i_clk, output wire o_q);
  assign o_q = i_clk;
endmodule
"""

LGPL_HDR = """/* This source file may be used and distributed without restriction provided that this
 * copyright statement is not removed from the file.  This source file is free software; you can
 * redistribute it and/or modify it under the terms of the GNU Lesser General Public License as
 * published by the Free Software Foundation; either version 2.1 of the License. */
module raminfr(input clk); endmodule
"""


def test_file_header_notice_is_the_files_license():
    assert header_license(APACHE_HDR) == "Apache-2.0"
    assert header_license(LGPL_HDR) == "LGPL-2.1"
    assert header_license("// SPDX-License-Identifier: MIT\nmodule a; endmodule\n") == "MIT"
    assert header_license("// (c) 2020 Someone, released under the MIT license.\nmodule a; endmodule\n") == "MIT"
    # a copyright line alone names no license: the folder's license file decides
    assert header_license("// Copyright 2020 Someone. All rights reserved.\nmodule a; endmodule\n") is None
    # a license named only below the first line of code does not relabel the file
    deep = "module a(input x);\n// ported from a GNU General Public License version 3 design\nendmodule\n"
    assert header_license(deep) is None
    lm = LicenseMap()
    lm.add_file("LICENSE", "Permission is hereby granted, free of charge, to any person")
    assert lm.license_for("vendor/raminfr.v", LGPL_HDR) == "LGPL-2.1"  # vendored file keeps its own license
    assert lm.license_for("rtl/own.v", "module own; endmodule\n") == "MIT"


def test_readme_statements():
    assert readme_license("# Cores\n\n## License\n\nThis repository is licensed under the [Apache 2\n"
                          "license](https://www.apache.org/licenses/LICENSE-2.0.html).\n") == "Apache-2.0"
    assert readme_license("Intro.\n\n**License**: Distributed under the [MIT License](LICENSE).  \n"
                          "**Status**: active\n") == "MIT"
    assert readme_license("# X\n## License\nPermission is hereby granted, free of charge, to any person "
                          "obtaining a copy\n") == "MIT"
    assert readme_license("## Licensing\nThe code is licensed under CC BY-SA 4_0\n") == "CC-BY-SA-4.0"
    # must stay unknown: a negation, no statement, two licenses
    assert readme_license("Currently this code is not licensed to any entity other than the author. A\n"
                          "license will be decided on at a later date.\n") is None
    assert readme_license("# Verilog examples\nSimple adders and counters for learning.\n") is None
    assert readme_license("## License\nAll files are licensed by either GPLv3 or the MIT license.\n") is None
    assert readme_license("See the MIT course notes on licensing of FPGA tools.\n") is None


def test_readme_license_ranks_below_license_files(tmp_path):
    from data_pipeline.sources import read_source

    work = tmp_path / "w"
    (work / "rtl").mkdir(parents=True)
    (work / "vendor").mkdir()
    (work / "README.md").write_text("# demo\n\n## License\nReleased under the MIT License.\n")
    (work / "rtl" / "a.v").write_text("module a(input x, output y); assign y = x; endmodule\n")
    (work / "vendor" / "COPYING").write_text("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n")
    (work / "vendor" / "b.v").write_text("module b(input x, output y); assign y = ~x; endmodule\n")
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "add", "."], check=True)
    subprocess.run(["git", "-C", str(work), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                   check=True)
    rf = read_source(SourceSpec(kind="git", name="t/demo", path=str(work)), tmp_path / "cache", ExtractConfig())
    assert rf.licenses.license_for("rtl/a.v", "module a; endmodule\n") == "MIT"
    assert rf.licenses.license_for("vendor/b.v", "module b; endmodule\n") == "GPL-3.0"
    assert rf.licenses.repo_license() == "MIT"
    # a README in a sub-folder states nothing for the repository
    lm = LicenseMap()
    lm.add_readme("docs/README.md", "Released under the MIT License.")
    assert lm.license_for("rtl/a.v") == "unknown"
