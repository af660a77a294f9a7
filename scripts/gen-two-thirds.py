#!/usr/bin/env python3
"""Writes the two-thirds vote tables of the shipped workflows (the regions between the markers).

Why a table: the Party Charter requires "ít nhất hai phần ba số đảng viên chính thức tán thành", i.e.
3 × so_tan_thanh ≥ 2 × so_dang_vien_chinh_thuc. tiendo's guards compare a field with a literal, never two
fields with each other, and a rounded percentage is wrong at the edge (133 of 200 is 66.5%, which rounds to
67 but is short of two thirds). So each region lists, for every chi bộ size n from 1 to MAX, the exact
minimum number of votes ⌈2n/3⌉, two sizes per line where they share it (3k−1 and 3k both need 2k).

A region looks like this in a YAML file (the indentation of the first marker is kept):

        # >>> hai-phan-ba to=chinh-thuc
        ... generated lines ...
        # <<< hai-phan-ba

Run from the repository root after changing MAX (and the fields' `max:` with it):
    python3 scripts/gen-two-thirds.py Workflows/dang-vien-du-bi.yaml Workflows/ket-nap-dang-vien.yaml
"""

import pathlib
import re
import sys

MAX = 300  # the largest chi bộ the tables cover; the fields so_dang_vien_chinh_thuc and so_tan_thanh say max: 300
BEGIN = re.compile(r"^(\s*)# >>> hai-phan-ba to=([a-z0-9-]+)\s*$")
END = re.compile(r"^\s*# <<< hai-phan-ba\s*$")


def groups(limit: int) -> list[tuple[list[int], int]]:
    """Chi bộ sizes grouped by their minimum number of votes in favour, smallest first."""
    by_min: dict[int, list[int]] = {}
    for n in range(1, limit + 1):
        by_min.setdefault(-(-2 * n // 3), []).append(n)  # ⌈2n/3⌉ in integers
    return sorted((sizes, need) for need, sizes in by_min.items())


def table(indent: str, target: str) -> list[str]:
    lines = []
    for sizes, need in groups(MAX):
        n = str(sizes[0]) if len(sizes) == 1 else "{in: [" + ", ".join(map(str, sizes)) + "]}"
        lines.append(f"{indent}- {{to: {target}, if: {{so_dang_vien_chinh_thuc: {n}, so_tan_thanh: {{ge: {need}}}}}}}\n")
    return lines


def rewrite(path: pathlib.Path) -> int:
    out: list[str] = []
    regions = 0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = BEGIN.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not END.match(lines[i]):
            i += 1
        if i == len(lines):
            sys.exit(f"{path}: '# >>> hai-phan-ba' without '# <<< hai-phan-ba'")
        out += table(m.group(1), m.group(2))
        regions += 1
    path.write_text("".join(out), encoding="utf-8")
    return regions


def main() -> None:
    for name in sys.argv[1:]:
        print(f"{name}: {rewrite(pathlib.Path(name))} table(s), sizes 1-{MAX}")


if __name__ == "__main__":
    main()
