#!/usr/bin/env python3
"""Generate the SYNTHETIC example CSVs in Workflows/examples/ (import format of `tiendoctl import`).

Every date is relative to --today (default: the real today), so that importing the files on that day shows a
ward's realistic mix: a few items overdue (none by more than 60 days), some due this week, most later. The
output is deterministic for a given today (the random generator is seeded with it). The committed files were
made with --today 2026-11-30; regenerate into another folder to try them on a later day:
    python3 scripts/gen-examples.py                          # today, into Workflows/examples/
    python3 scripts/gen-examples.py --today 2026-11-30       # the committed files
    python3 scripts/gen-examples.py --out /tmp/vd            # today, elsewhere (keeps the checkout clean)

Everything here is invented: names are random combinations of common Vietnamese family, middle and given names.
- CCCD numbers use province code 099, which is not assigned to any province (real codes are 001-096), so a
  generated number can never be a real citizen's number. The rest follows the CCCD layout: century/sex digit,
  two-digit birth year, six random digits.
- Party card numbers (only on reissue rows) use the committee code 99, marked as fictional here; new cards get
  their number when printed.
- The ward "phường Tân Hòa", its 42 chi bộ and its people are fictional.

Each file is named after its workflow (`thi-dua.csv` for `tiendoctl import thi-dua …`).
Working-day deadlines are not computed here (that needs the calendar): the dates are chosen with margins that
hold for any calendar, since 30 working days are at least 42 calendar days and 60 at least 84.
Tests/TiendoCoreTests/ShippedWorkflowTests.swift checks the committed files against the engine.
Python 3 standard library only. Run from anywhere.
"""

import argparse
import calendar
import csv
import datetime as dt
import pathlib
import random

ROOT = pathlib.Path(__file__).resolve().parent.parent
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
OFFICES = ["Cơ quan Đảng ủy phường", "Ủy ban nhân dân phường", "Mặt trận Tổ quốc và các đoàn thể phường"]
WORKPLACES = [
    "Đảng bộ Sở Giáo dục và Đào tạo Hà Nội", "Đảng bộ Bệnh viện Bạch Mai", "Đảng bộ Trường Đại học Bách khoa Hà Nội",
    "Đảng bộ Tổng công ty Điện lực Hà Nội", "Đảng bộ Báo Hà Nội mới", "Đảng bộ Cục Thuế Hà Nội",
]
TRANSFER_PLACES = [
    "Đảng bộ phường Ngọc Hà", "Đảng bộ phường Kim Liên", "Đảng bộ xã Sóc Sơn",
    "Đảng bộ Trường Đại học Bách khoa Hà Nội", "Đảng bộ phường Hồng Hà", "Đảng bộ phường Láng",
]


def chi_bo_key(name: str) -> str:
    return f"cb{CHI_BO.index(name) + 1:02d}"


def minus_months(d: dt.date, months: int) -> dt.date:
    """Calendar months back with end-of-month clamping (the engine's `mo`)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


class Gen:
    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.r = random.Random(f"tiendo-examples-{today.isoformat()}")
        self.used_names: set[str] = set()

    def person(self) -> tuple[str, bool]:
        """A fresh full name and whether it is female (unique within one run when possible)."""
        fam, weights = zip(*FAMILY)
        for _ in range(50):
            female = self.r.random() < 0.46
            family = self.r.choices(fam, weights)[0]
            middle = self.r.choice(MIDDLE_F if female else MIDDLE_M)
            given = self.r.choice(GIVEN_F if female else GIVEN_M)
            name = f"{family} {middle} {given}"
            if middle != given and name not in self.used_names:
                self.used_names.add(name)
                return name, female
        return name, female  # duplicates are realistic; only after many tries

    def cccd(self, birth_year: int, female: bool) -> str:
        century = 0 if birth_year < 2000 else 2
        return f"099{century + (1 if female else 0)}{birth_year % 100:02d}{self.r.randrange(10**6):06d}"

    def days_ago(self, lo: int, hi: int) -> dt.date:
        """A date between `hi` and `lo` days before today (inclusive)."""
        return self.today - dt.timedelta(days=self.r.randint(lo, hi))


def write(out: pathlib.Path, name: str, header: list[str], rows: list[list[object]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"{out / name}: {len(rows)} rows")


def thi_dua(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The 42 chi bộ of the ward for the coming emulation year, pledges at one December conference."""
    year = g.today.year + 1 if g.today.month >= 7 else g.today.year
    # The conference: the Tuesday of the third week of December (22/12 in 2026), or a week from today when that
    # is past; 42 pledges at one conference, as the seed ward did on 22/12/2025.
    day = max(dt.date(year - 1, 12, 18), g.today + dt.timedelta(days=7))
    day += dt.timedelta(days=(1 - day.weekday()) % 7)
    header = ["key", "ten_to_chuc", "dang_bo", "nam", "ngay_bat_dau", "han_ky_giao_uoc"]
    return header, [[f"{chi_bo_key(c)}-{year}", c, DANG_BO, year, f"{year}-01-01", day.isoformat()] for c in CHI_BO]


def du_bi(g: Gen) -> tuple[list[str], list[list[object]]]:
    """36 probationary members; the review is due 12 months + 30 working days after admission."""
    rows = []
    # (count, how many days ago the 12 months ended: lo..hi). Negative = still on probation.
    # 70-95 days ago: due 42-53 days after, so 17-53 days overdue; 35-40: due about this week.
    for count, lo, hi in [(3, 70, 95), (4, 35, 40), (6, 1, 30), (23, -330, -1)]:
        for _ in range(count):
            end = g.days_ago(lo, hi)
            name, _ = g.person()
            rows.append([name, g.r.choice(CHI_BO), minus_months(end, 12).isoformat()])
    rows.sort(key=lambda r: r[2])
    return ["key", "ho_ten", "chi_bo", "ngay_ket_nap"], [[f"dvdb-{i:03d}"] + r for i, r in enumerate(rows, 1)]


def the_dang_vien(g: Gen) -> tuple[list[str], list[list[object]]]:
    """New cards for members just confirmed (records started in the last weeks) and three reissues."""
    rows = []
    # The first step is due 10 days after the start: started 14-30 days ago is 4-20 days overdue.
    for i, (lo, hi) in enumerate([(14, 30)] * 2 + [(4, 9)] * 4 + [(0, 3)] * 9, 1):
        name, female = g.person()
        started = g.days_ago(lo, hi)
        # No decision date yet: the Ban Thường vụ decides full membership and the card together, later in the case.
        # The draw that once gave it is still made (and dropped), so that every later row and file comes out as
        # committed.
        g.r.randint(0, 5)
        rows.append([f"the-{g.today.year}-{i:03d}", started.isoformat(), name, g.r.choice(CHI_BO), "cap-moi", "",
                     g.cccd(g.r.randint(1975, 2005), female), "", ""])
    for i, (loai, ly_do) in enumerate([("cap-lai", "Mất thẻ khi chuyển nhà"), ("cap-lai", "Thất lạc thẻ"),
                                       ("doi-the", "Thẻ bị hỏng do ngấm nước")], 1):
        name, female = g.person()
        so_the = f"99.{g.r.randrange(10**6):06d}"
        rows.append([f"{so_the}-{loai}-{g.today.year}", g.days_ago(0, 5).isoformat(), name, g.r.choice(CHI_BO), loai,
                     so_the, g.cccd(g.r.randint(1950, 1990), female), "", ly_do])
    header = ["key", "started", "ho_ten", "chi_bo", "loai", "so_the", "cccd", "ngay_cong_nhan", "ly_do"]
    return header, rows


def chuyen_sinh_hoat(g: Gen) -> tuple[list[str], list[list[object]]]:
    """12 transfers; the procedure is due 60 working days (at least 84 calendar days) after the decision."""
    rows = []
    # 100-125 days ago: at most 125 - 84 = 41 days overdue; 78-83: due about this week.
    for i, (lo, hi) in enumerate([(100, 125)] * 2 + [(78, 83)] * 2 + [(0, 60)] * 8, 1):
        name, _ = g.person()
        loai = "chinh-thuc" if g.r.random() < 0.65 else "tam-thoi"
        rows.append([f"csh-{i:03d}", name, g.r.choice(CHI_BO), loai, g.days_ago(lo, hi).isoformat(),
                     g.r.choice(TRANSFER_PLACES)])
    return ["key", "ho_ten", "chi_bo", "loai", "ngay_quyet_dinh", "noi_den"], rows


def ket_nap(g: Gen) -> tuple[list[str], list[list[object]]]:
    """Ten candidates aged 18 to 60 today (the chi bộ considers them within the year)."""
    rows = []
    for i in range(1, 11):
        name, _ = g.person()
        born = g.days_ago(19 * 366, 58 * 365)
        rows.append([f"kn-{i:03d}", name, g.r.choice(CHI_BO), born.isoformat()])
    return ["key", "ho_ten", "chi_bo", "ngay_sinh"], rows


def danh_gia(g: Gen) -> tuple[list[str], list[list[object]]]:
    """This year's grading: the 42 chi bộ, and the members of the People's Committee's chi bộ."""
    year = g.today.year
    due = f"{year}-12-14"  # "trước ngày 15/12" (NĐ 335/2025/NĐ-CP)
    rows = [[f"{chi_bo_key(c)}-{year}", c, c, DANG_BO, "chi-bo", year, due] for c in CHI_BO]
    office = "Chi bộ Cơ quan Ủy ban nhân dân phường"
    for i in range(1, 26):
        name, _ = g.person()
        rows.append([f"ubnd-{i:02d}-{year}", name, office, DANG_BO, "dang-vien", year, due])
    return ["key", "ho_ten", "chi_bo", "dang_bo", "doi_tuong", "nam", "han_danh_gia"], rows


def first_of_previous_month(d: dt.date) -> dt.date:
    return minus_months(d.replace(day=1), 1)


def sinh_hoat_chi_bo(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The 42 chi bộ; two of them still have last month's meeting to record (tracked since then)."""
    late = set(g.r.sample(CHI_BO, 2))
    rows = []
    for c in CHI_BO:
        started = first_of_previous_month(g.today).isoformat() if c in late else ""  # empty: starts on import
        rows.append([chi_bo_key(c), started, c, DANG_BO])
    return ["key", "started", "chi_bo", "dang_bo"], rows


def hang_thang(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The members of two chi bộ: two exempted from meetings, three still owing last month."""
    rows = []
    for c, n in [("Chi bộ Khu dân cư số 1", 31), ("Chi bộ Cơ quan Ủy ban nhân dân phường", 19)]:
        for _ in range(n):
            name, _ = g.person()
            rows.append([name, c])
    exempt = set(g.r.sample(range(31), 2))  # elderly members of the residential chi bộ
    owing = set(g.r.sample(range(len(rows)), 3)) - exempt
    out = []
    for i, (name, c) in enumerate(rows):
        started = first_of_previous_month(g.today).isoformat() if i in owing else ""
        mien = minus_months(g.today, g.r.randint(3, 30)).replace(day=1).isoformat() if i in exempt else ""
        out.append([f"dv-{i + 1:04d}", started, name, c, mien])
    return ["key", "started", "ho_ten", "chi_bo", "mien_sinh_hoat_tu"], out


def noi_cu_tru(g: Gen) -> tuple[list[str], list[list[object]]]:
    """Twenty members living in the ward and working elsewhere (the ward's default feedback date)."""
    rows = []
    for i in range(1, 21):
        name, _ = g.person()
        rows.append([f"ct-{i:03d}", name, g.r.choice(RESIDENTIAL), g.r.choice(WORKPLACES)])
    return ["key", "ho_ten", "chi_bo_cu_tru", "noi_cong_tac"], rows


def cong_chuc(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The ward's twenty civil servants, scored every quarter."""
    rows = []
    for i in range(1, 21):
        name, _ = g.person()
        rows.append([f"cc-{i:02d}", name, OFFICES[i % len(OFFICES)]])
    return ["key", "ho_ten", "co_quan"], rows


def bao_cao(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The ward Party committee and its inspection commission, with the file's default dates."""
    return ["key", "don_vi", "cap_tren"], [
        ["dang-uy-phuong", f"Đảng ủy {WARD}", "Thành ủy Hà Nội"],
        ["ubkt-dang-uy-phuong", f"Ủy ban Kiểm tra Đảng ủy {WARD}", "Ủy ban Kiểm tra Thành ủy Hà Nội"],
    ]


def ngan_sach(g: Gen) -> tuple[list[str], list[list[object]]]:
    """The ward's budget year under way (its final accounts still to approve) and the coming one."""
    year = g.today.year
    return ["key", "ngay_dau_nam"], [[str(y), f"{y}-01-01"] for y in (year, year + 1)]


FILES = [
    ("thi-dua.csv", thi_dua),
    ("dang-vien-du-bi.csv", du_bi),
    ("the-dang-vien.csv", the_dang_vien),
    ("chuyen-sinh-hoat.csv", chuyen_sinh_hoat),
    ("ket-nap-dang-vien.csv", ket_nap),
    ("danh-gia-xep-loai.csv", danh_gia),
    ("sinh-hoat-chi-bo.csv", sinh_hoat_chi_bo),
    ("dang-vien-hang-thang.csv", hang_thang),
    ("nhan-xet-noi-cu-tru.csv", noi_cu_tru),
    ("danh-gia-cong-chuc-quy.csv", cong_chuc),
    ("bao-cao-dinh-ky.csv", bao_cao),
    ("ngan-sach-phuong.csv", ngan_sach),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(), help="YYYY-MM-DD (default: today)")
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "Workflows" / "examples", help="output folder")
    a = p.parse_args()
    g = Gen(a.today)
    for name, make in FILES:
        header, rows = make(g)
        write(a.out, name, header, rows)


if __name__ == "__main__":
    main()
