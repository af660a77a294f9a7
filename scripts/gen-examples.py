#!/usr/bin/env python3
"""Generate the SYNTHETIC example CSVs in Workflows/examples/ (import format of `tiendoctl import`).

Everything here is invented: names are random combinations of common Vietnamese family,
middle and given names; card and CCCD numbers are random. No real personal data.
- CCCD numbers use province code 099, which is not assigned to any province (real codes
  are 001-096), so a generated number can never be a real citizen's number. The rest
  follows the CCCD layout: century/sex digit, two-digit birth year, six random digits.
- Party card numbers follow the NN.NNNNNN layout (2-digit committee code, 6-digit number).
- The ward "phường Tân Hòa" and its chi bộ are fictional; the wards in bau-cu-xvi.csv are
  the public names of Hà Nội wards (administrative units, not personal data).

Deterministic: fixed seed, Python 3 standard library only. Run from the repository root:
    python3 scripts/gen-examples.py
"""

import csv
import datetime as dt
import pathlib
import random

SEED = 20260315
OUT = pathlib.Path(__file__).resolve().parent.parent / "Workflows" / "examples"

WARD = "phường Tân Hòa"
DANG_BO = "Đảng bộ phường Tân Hòa"

FAMILY = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Phan", 4),
    ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 2), ("Ngô", 2), ("Dương", 2), ("Lý", 1),
    ("Đinh", 2), ("Trịnh", 2), ("Lương", 1), ("Tạ", 1),
]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Công", "Ngọc", "Trọng", "Mạnh", "Tuấn", "Việt"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Kim", "Phương", "Lan", "Thúy"]
GIVEN_M = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Khoa", "Kiên",
    "Long", "Lợi", "Mạnh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng",
    "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ",
]
GIVEN_F = [
    "Anh", "Bích", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Huệ", "Hương",
    "Lan", "Liên", "Linh", "Loan", "Mai", "Minh", "Nga", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên",
    "Tâm", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Yến",
]

INSTITUTIONAL = [
    "Chi bộ Cơ quan Đảng ủy phường",
    "Chi bộ Cơ quan Ủy ban nhân dân phường",
    "Chi bộ Cơ quan Mặt trận Tổ quốc và các đoàn thể",
    "Chi bộ Công an phường",
    "Chi bộ Quân sự phường",
    "Chi bộ Trạm Y tế phường",
    "Chi bộ Trường Mầm non Tân Hòa",
    "Chi bộ Trường Tiểu học Tân Hòa",
    "Chi bộ Trường Trung học cơ sở Tân Hòa",
    "Chi bộ Ban Quản lý chợ Tân Hòa",
]
RESIDENTIAL = [f"Chi bộ Khu dân cư số {i}" for i in range(1, 33)]
CHI_BO = RESIDENTIAL + INSTITUTIONAL  # 42

BAU_CU_WARDS = [
    ("ba-dinh", "Phường Ba Đình"),
    ("ngoc-ha", "Phường Ngọc Hà"),
    ("giang-vo", "Phường Giảng Võ"),
    ("hoan-kiem", "Phường Hoàn Kiếm"),
    ("cua-nam", "Phường Cửa Nam"),
    ("dong-da", "Phường Đống Đa"),
    ("kim-lien", "Phường Kim Liên"),
    ("van-mieu-quoc-tu-giam", "Phường Văn Miếu – Quốc Tử Giám"),
    ("lang", "Phường Láng"),
    ("o-cho-dua", "Phường Ô Chợ Dừa"),
]


def chi_bo_key(name: str) -> str:
    i = CHI_BO.index(name) + 1
    return f"cb{i:02d}"


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.used_names: set[str] = set()

    def person(self) -> tuple[str, bool]:
        """A fresh full name and whether it is female (unique within one run when possible)."""
        fam, weights = zip(*FAMILY)
        for _ in range(50):
            female = self.r.random() < 0.46
            family = self.r.choices(fam, weights)[0]
            middle = self.r.choice(MIDDLE_F if female else MIDDLE_M)
            given = self.r.choice(GIVEN_F if female else GIVEN_M)
            if middle == given:
                continue
            name = f"{family} {middle} {given}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name, female
        return name, female  # duplicates are realistic; only after many tries

    def cccd(self, birth_year: int, female: bool) -> str:
        century = 0 if birth_year < 2000 else 2
        return f"099{century + (1 if female else 0)}{birth_year % 100:02d}{self.r.randrange(10**6):06d}"

    def date_in(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.r.randrange((end - start).days + 1))


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{path.relative_to(OUT.parent.parent)}: {len(rows)} rows")


def members_per_chi_bo(g: Gen, total: int) -> dict[str, int]:
    # Residential chi bộ are larger (many retired members); institutional ones are small.
    weights = {c: g.r.uniform(1.6, 3.2) for c in RESIDENTIAL} | {c: g.r.uniform(0.5, 1.2) for c in INSTITUTIONAL}
    s = sum(weights.values())
    counts = {c: max(5, int(total * w / s)) for c, w in weights.items()}
    diff = total - sum(counts.values())
    order = sorted(RESIDENTIAL, key=lambda c: -weights[c])
    i = 0
    while diff != 0:
        c = order[i % len(order)]
        step = 1 if diff > 0 else -1
        if counts[c] + step >= 5:
            counts[c] += step
            diff -= step
        i += 1
    return counts


def main() -> None:
    g = Gen(SEED)

    # 1. thi-dua: 42 chi bộ of one ward, year 2026.
    write(
        "thi-dua-42-chi-bo.csv",
        ["key", "ten_to_chuc", "dang_bo", "nam"],
        [[f"{chi_bo_key(c)}-2026", c, DANG_BO, 2026] for c in CHI_BO],
    )

    # 2. the-dang-vien: 1,083 full members with card numbers and CCCD.
    counts = members_per_chi_bo(g, 1083)
    card_numbers = g.r.sample(range(100000, 1000000), 1083)
    rows = []
    n = 0
    for c in CHI_BO:
        residential = c in RESIDENTIAL
        for _ in range(counts[c]):
            name, female = g.person()
            by = g.r.randint(1936, 1985) if residential else g.r.randint(1966, 2000)
            so_the = f"01.{card_numbers[n]:06d}"
            rows.append([so_the, so_the, name, c, g.cccd(by, female)])
            n += 1
    rows.sort(key=lambda r: r[0])
    assert len(rows) == 1083 and len({r[0] for r in rows}) == 1083
    write("the-dang-vien-1083.csv", ["key", "so_the", "ho_ten", "chi_bo", "cccd"], rows)

    # 3. dang-vien-du-bi: 36 probationary members admitted during 2025.
    rows = []
    for i in range(1, 37):
        name, _ = g.person()
        d = g.date_in(dt.date(2025, 1, 6), dt.date(2025, 12, 26))
        rows.append([name, g.r.choice(CHI_BO), d.isoformat()])
    rows.sort(key=lambda r: r[2])
    write(
        "dang-vien-du-bi.csv",
        ["key", "ho_ten", "chi_bo", "ngay_ket_nap"],
        [[f"dvdb-2025-{i:03d}"] + r for i, r in enumerate(rows, 1)],
    )

    # 4. bau-cu-xvi: election committees of a few Hà Nội wards (default election day).
    write("bau-cu-xvi.csv", ["key", "don_vi"], [[k, v] for k, v in BAU_CU_WARDS])

    # 5. chuyen-sinh-hoat: a dozen transfers, official and temporary.
    places = [
        "Đảng bộ phường Ngọc Hà", "Đảng bộ phường Kim Liên", "Đảng bộ xã Sóc Sơn",
        "Đảng bộ Trường Đại học Bách khoa Hà Nội", "Đảng bộ phường Hồng Hà", "Đảng bộ phường Láng",
    ]
    rows = []
    for i in range(1, 13):
        name, _ = g.person()
        loai = "chinh-thuc" if g.r.random() < 0.65 else "tam-thoi"
        d = g.date_in(dt.date(2025, 10, 1), dt.date(2026, 3, 31))
        rows.append([f"csh-{i:03d}", name, g.r.choice(CHI_BO), loai, d.isoformat(), g.r.choice(places)])
    write("chuyen-sinh-hoat.csv", ["key", "ho_ten", "chi_bo", "loai", "ngay_quyet_dinh", "noi_den"], rows)

    # 6. ket-nap-dang-vien: ten candidates (aged 18-60 when the chi bộ considers them).
    rows = []
    for i in range(1, 11):
        name, _ = g.person()
        born = g.date_in(dt.date(1970, 1, 1), dt.date(2006, 12, 31))
        rows.append([f"kn-{i:03d}", name, g.r.choice(CHI_BO), born.isoformat()])
    write("ket-nap-dang-vien.csv", ["key", "ho_ten", "chi_bo", "ngay_sinh"], rows)


if __name__ == "__main__":
    main()
