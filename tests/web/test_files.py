"""What leaves and enters tiendo-web as files: CSV/XLSX exports (read back with openpyxl), the A4 print view (printed
by Chromium to PDF), and CSV imports (every bad row shown, all or nothing)."""

import base64
import csv
import io
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse

import openpyxl
from conftest import ARTIFACTS, CHI_BO_A, CHI_BO_B, csrf_token, fetch, login, session_opener, shot, submit
from selenium.webdriver.common.by import By


def download(browser, stack, path, name):
    status, headers, body = fetch(session_opener(browser), stack.url + path)
    assert status == 200, (path, status, body[:500])
    with open(os.path.join(ARTIFACTS, name), "wb") as f:
        f.write(body)
    return headers, body


def agenda_total(browser, stack, query, days):
    """The agenda's item count for `query`: overdue ones and those due within `days`, as its header counts them."""
    browser.get(stack.url + "/?" + query)
    counts = browser.find_element(By.CSS_SELECTOR, "ul.counts").text
    overdue = int(re.search(r"([\d.]+) quá hạn", counts).group(1).replace(".", ""))
    today = int(re.search(r"([\d.]+) hôm nay", counts).group(1).replace(".", ""))
    box = browser.find_element(By.CSS_SELECTOR, f"ul.counts li[data-days='{days}']").text
    coming = int(re.match(r"([\d.]+) từ \d\d/\d\d đến \d\d/\d\d$", box).group(1).replace(".", ""))
    return overdue + today + coming


def test_csv_export_opens_in_excel_with_vietnamese_intact(stack, browser):
    login(browser, stack, "admin")
    query = urllib.parse.urlencode({"quy-trinh": "kiem-tra", "ngay": "30"})
    headers, body = download(browser, stack, "/xuat/viec-can-lam.csv?" + query, "viec-can-lam.csv")
    assert headers["Content-Type"].startswith("text/csv") and "attachment" in headers["Content-Disposition"]
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    assert b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Hạn", "Dự kiến", "Còn lại", "Việc"]
    assert len(rows) - 1 == agenda_total(browser, stack, query, 30)
    hà = [r for r in rows if r[5] == "Nguyễn Thị Hà" and r[3] == "Chờ nộp hồ sơ"]
    assert hà and hà[0][0] == "25/02/2026" and hà[0][2] == "quá 5 ngày" and hà[0][7] == CHI_BO_A
    # A name that a spreadsheet would run as a formula is neutralised.
    formula = [r for r in rows if r[6] == "kiem-tra/b3"]
    assert formula and all(r[5] == "'=HYPERLINK(\"http://x\")" for r in formula), formula


def test_xlsx_export_opens_in_openpyxl_with_the_right_rows(stack, browser):
    login(browser, stack, "admin")
    query = urllib.parse.urlencode({"quy-trinh": "kiem-tra"})
    headers, body = download(browser, stack, "/xuat/ho-so.xlsx?" + query, "ho-so.xlsx")
    assert headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert body[:2] == b"PK"
    wb = openpyxl.load_workbook(io.BytesIO(body))
    ws = wb.active
    assert ws.title == "Hồ sơ"
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:4] == ["Mã hồ sơ", "Tên", "Chi bộ", "Quy trình"] and "Hạn nộp hồ sơ" in header
    ids = sorted(r[0] for r in rows[1:])
    assert ids == ["kiem-tra/a1", "kiem-tra/a2", "kiem-tra/a3", "kiem-tra/b1", "kiem-tra/b2", "kiem-tra/b3"]
    a1 = [r for r in rows if r[0] == "kiem-tra/a1"][0]
    assert a1[1] == "Nguyễn Thị Hà" and a1[2] == CHI_BO_A and a1[3] == "Kiểm tra hồ sơ đảng viên"
    han = a1[header.index("Hạn nộp hồ sơ")]
    assert han.year == 2026 and han.month == 2 and han.day == 25  # a real date cell
    assert ws.cell(row=2, column=header.index("Hạn nộp hồ sơ") + 1).number_format == "dd/mm/yyyy"
    b3 = [r for r in rows if r[0] == "kiem-tra/b3"][0]
    # A string cell: shown as typed, never run as a formula (CSV needs a ' in front; a string cell does not).
    assert b3[1] == "=HYPERLINK(\"http://x\")"
    b3_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "kiem-tra/b3")
    assert ws.cell(row=b3_row, column=2).data_type == "s"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    # A probationary member in the probation year: no deadline, and «Việc» says when the record moves on by itself.
    query_dv = urllib.parse.urlencode({"quy-trinh": "dang-vien-du-bi", "tim": "dvdb-016"})
    _, body = download(browser, stack, "/xuat/ho-so.xlsx?" + query_dv, "ho-so-du-bi.xlsx")
    dv = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert [r[0] for r in dv[1:]] == ["dang-vien-du-bi/dvdb-016"]
    assert dv[1][dv[0].index("Hạn sớm nhất (việc chưa xong)")] is None and dv[1][dv[0].index("Dự kiến")] is None
    # A transfer decided in December: its 60 working days run through Tết 2027, whose holidays are projected; the
    # list's export says so beside the due, as the page does.
    stack.ctl("start", "chuyen-sinh-hoat", "csh-du-kien", "--set", "ho_ten=Phan Văn Lộc", "--set", f"chi_bo={CHI_BO_A}",
              "--set", "loai=chinh-thuc", "--set", "ngay_quyet_dinh=01/12/2026")
    query_csh = urllib.parse.urlencode({"quy-trinh": "chuyen-sinh-hoat", "tim": "csh-du-kien"})
    _, body = download(browser, stack, "/xuat/ho-so.xlsx?" + query_csh, "ho-so-du-kien.xlsx")
    csh = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert [r[0] for r in csh[1:]] == ["chuyen-sinh-hoat/csh-du-kien"]
    assert csh[1][csh[0].index("Dự kiến")] == "dự kiến", csh
    # An enum as the page shows it, not its code; typed back by that title, it is the same value.
    kind = [c for c in csh[0] if c and c.startswith("Loại")][0]
    assert csh[1][csh[0].index(kind)] == "Chuyển sinh hoạt chính thức", csh
    stack.ctl("start", "chuyen-sinh-hoat", "csh-theo-ten", "--set", "ho_ten=Phan Văn Lộc", "--set", f"chi_bo={CHI_BO_A}",
              "--set", "loai=Chuyển sinh hoạt chính thức", "--set", "ngay_quyet_dinh=01/12/2026")
    assert json.loads(stack.ctl("show", "chuyen-sinh-hoat/csh-theo-ten", "--json"))["instance"]["data"]["loai"] == "chinh-thuc"
    assert dv[1][dv[0].index("Việc")] == ("Tự chuyển sang «Chờ chi bộ xét công nhận chính thức» ngày 05/02/2027; "
                                          "việc «Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức» có hạn chót "
                                          "24/03/2027 (dự kiến)")
    # The agenda in Excel: as many rows as the page counts.
    _, body = download(browser, stack, "/xuat/viec-can-lam.xlsx?" + query, "viec-can-lam.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    assert ws.max_row - 1 == agenda_total(browser, stack, query, 7)
    assert any(c.value == "Xác minh lý lịch" or c.value == "Chờ nộp hồ sơ" for c in ws["D"])
    # A scoped account exports only its chi bộ.
    login(browser, stack, "ha")
    _, body = download(browser, stack, "/xuat/ho-so.xlsx?" + query, "ho-so-chi-bo-1.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))[1:]
    assert rows and {r[2] for r in rows} == {CHI_BO_A}


def test_print_view_is_a_clean_a4_list(stack, browser):
    login(browser, stack, "admin")
    browser.get(stack.url + "/?" + urllib.parse.urlencode({"chi-bo": CHI_BO_B, "in": "1"}))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "DANH SÁCH VIỆC CẦN LÀM" in body and f"Các việc quá hạn và các việc đến hạn từ nay đến hết ngày 09/03/2026. {CHI_BO_B}. Tính đến 02/03/2026" in body and "Chi bộ: " not in body
    assert "Lê Thị Cúc" in body and "Nguyễn Thị Hà" not in body
    # Headed as Party documents are: the organisation and the chi bộ, the Party's name, the place and the date.
    head = browser.find_element(By.CSS_SELECTOR, ".letterhead").text
    assert head.split("\n") == ["ĐẢNG BỘ PHƯỜNG TÂY HỒ", "CHI BỘ KHU DÂN CƯ SỐ 2", "*", "ĐẢNG CỘNG SẢN VIỆT NAM",
                                 "Tây Hồ, ngày 02 tháng 3 năm 2026"], head
    assert not browser.find_elements(By.CSS_SELECTOR, "header.top")
    # Its rows numbered from 1 (STT), the column a meeting refers to a row by.
    assert browser.find_element(By.CSS_SELECTOR, "table.items thead th").text == "STT"
    numbers = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "table.items tbody td.stt")]
    assert numbers == [str(n) for n in range(1, len(browser.find_elements(By.CSS_SELECTOR, "table.items tbody tr")) + 1)], numbers
    assert len(numbers) >= 2, numbers
    shot(browser, "20-ban-in-man-hinh", full=True)
    pdf = print_pdf(browser)
    path = os.path.join(ARTIFACTS, "20-ban-in.pdf")
    with open(path, "wb") as f:
        f.write(pdf)
    assert pdf.startswith(b"%PDF")
    # The print stylesheet's @page asks for A4 (595 × 842 pt); Chromium's own default would be Letter.
    sizes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert sizes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in sizes), sizes
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", path, os.path.join(ARTIFACTS, "20-ban-in-trang")], check=True)
    signatures = browser.find_element(By.CSS_SELECTOR, ".signatures").text
    assert "T/M CHI ỦY\nBÍ THƯ" in signatures, signatures
    browser.get(stack.url + "/ho-so?" + urllib.parse.urlencode({"quy-trinh": "kiem-tra", "in": "1"}))
    assert "DANH SÁCH HỒ SƠ" in browser.find_element(By.TAG_NAME, "body").text
    # The whole đảng bộ's list is signed for by the đảng ủy, not a chi ủy.
    assert "T/M ĐẢNG ỦY" in browser.find_element(By.CSS_SELECTOR, ".signatures").text
    with open(os.path.join(ARTIFACTS, "21-ban-in-ho-so.pdf"), "wb") as f:
        f.write(print_pdf(browser))
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", os.path.join(ARTIFACTS, "21-ban-in-ho-so.pdf"),
                        os.path.join(ARTIFACTS, "21-ban-in-ho-so-trang")], check=True)
    # On paper: the day a record was entered into the software and its code are left out, headings wrap.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    printed = browser.execute_script(
        "return [[...document.querySelectorAll('table.records .started, table.records .id')].filter("
        "e => getComputedStyle(e).display !== 'none').length, getComputedStyle(document.querySelector('table.records th')).whiteSpace]")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert printed == [0, "normal"], printed
    # A group that is not a chi bộ (the election's province) is named by its field's title in the subtitle, and the
    # list is the đảng ủy's: not headed as a Party organisation under the ward, nor signed for by a chi ủy.
    browser.get(stack.url + "/ho-so?" + urllib.parse.urlencode({"quy-trinh": "bau-cu-xvi-2026", "chi-bo": "Hà Nội", "in": "1"}))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Tỉnh, thành phố: Hà Nội" in body and "Chi bộ: Hà Nội" not in body, body
    head = browser.find_element(By.CSS_SELECTOR, ".letterhead").text
    assert head.split("\n") == ["ĐẢNG BỘ PHƯỜNG TÂY HỒ", "*", "ĐẢNG CỘNG SẢN VIỆT NAM", "Tây Hồ, ngày 02 tháng 3 năm 2026"], head
    assert "T/M ĐẢNG ỦY" in browser.find_element(By.CSS_SELECTOR, ".signatures").text
    shot(browser, "21a-ban-in-don-vi-khong-phai-chi-bo", full=True)
    # An account of one chi bộ prints its chi bộ's list, headed and signed as that chi bộ's, without choosing it.
    login(browser, stack, "ha")
    browser.get(stack.url + "/?in=1")
    head = browser.find_element(By.CSS_SELECTOR, ".letterhead").text
    assert head.split("\n")[:2] == ["ĐẢNG BỘ PHƯỜNG TÂY HỒ", CHI_BO_A.upper()], head
    assert "T/M CHI ỦY" in browser.find_element(By.CSS_SELECTOR, ".signatures").text


def print_pdf(browser):
    """What Chromium's print dialog makes of the page: the print stylesheet, and its @page size."""
    return base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"])


def upload(browser, stack, workflow, filename, content):
    path = os.path.join(ARTIFACTS, filename)
    with open(path, "wb") as f:
        f.write(content)
    browser.get(stack.url + "/nhap")
    browser.find_element(By.CSS_SELECTOR, f"select[name=quy-trinh] option[value={workflow}]").click()
    browser.find_element(By.CSS_SELECTOR, "input[type=file][name=tep]").send_keys(path)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/nhap'] button[type=submit]"))


def test_import_shows_every_bad_row_and_is_all_or_nothing(stack, browser):
    login(browser, stack, "admin")
    before = json.loads(stack.ctl("list", "kiem-tra", "--json"))["instances"]
    # As Excel writes "CSV UTF-8": a BOM, CRLF, a semicolon list separator in some locales.
    bad = ("\ufeffkey;ho_ten;chi_bo;han\r\n"
           f"n1;Đặng Thu Trang;{CHI_BO_A};2026-03-12\r\n"
           f"n2;Vũ Văn Khoa;{CHI_BO_A};12/03/2026\r\n"
           f"n 3;Bùi Thị Lan;{CHI_BO_B};2026-03-13\r\n"
           f"n1;Đặng Thu Trang;{CHI_BO_A};2026-03-12\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-sai.csv", bad)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "chưa có hồ sơ nào được nhập" in errors
    # Said: the list takes the focus, and the title changes (it was the page's as before).
    assert browser.execute_script("return document.activeElement.matches('section.error')")
    assert browser.title.startswith("Chưa nhập được — "), browser.title
    assert "Dòng 4: mã hồ sơ 'n 3' không hợp lệ" in errors and "Dòng 5: mã hồ sơ «n1» bị lặp trong lần nhập này" in errors, errors
    # Every bad row at once, in the file's order: the keys and what only tiendod can judge alike.
    mixed = ("\ufeffkey;ho_ten;chi_bo;han\r\n"
             f"m 1;Đặng Thu Trang;{CHI_BO_A};2026-03-12\r\n"
             f"m2;Vũ Văn Khoa;{CHI_BO_A};31/02/2026\r\n"
             f"a1;Bùi Thị Lan;{CHI_BO_A};2026-03-13\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-sai-tron.csv", mixed)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    lines = [l for l in errors.split("\n") if l.startswith("Dòng ")]
    assert [l.split(":")[0] for l in lines] == ["Dòng 2", "Dòng 3", "Dòng 4"], errors
    shot(browser, "22-nhap-loi-cuc-bo", full=True)
    # Rows only tiendod can judge (a date that does not exist) come back with their lines, and nothing is stored.
    bad2 = ("\ufeffkey;ho_ten;chi_bo;han\r\n"
            f"n1;Đặng Thu Trang;{CHI_BO_A};2026-03-12\r\n"
            f"n2;Vũ Văn Khoa;{CHI_BO_A};31/02/2026\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-sai-2.csv", bad2)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "Dòng 3: cột «Hạn nộp hồ sơ»: ngày '31/02/2026' không tồn tại" in errors, errors
    shot(browser, "23-nhap-loi-ngay", full=True)
    # A date column Excel set to English saved month first: said once for the column, since its rows that read as
    # dates (3/4/2026, 4 March) would be stored swapped; nothing is stored.
    swapped = ("\ufeffkey;ho_ten;chi_bo;han\r\n"
               f"n1;Đặng Thu Trang;{CHI_BO_A};3/4/2026\r\n"
               f"n2;Vũ Văn Khoa;{CHI_BO_A};3/25/2026\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-thang-truoc.csv", swapped)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "Dòng 3: cột «han» ghi ngày theo kiểu tháng/ngày/năm («3/25/2026»: không có tháng 25)" in errors, errors
    assert "Hãy đổi định dạng cả cột sang ngày/tháng/năm (dd/mm/yyyy) rồi lưu lại tệp" in errors, errors
    # A cell longer than a field holds is refused by its place before anything reaches tiendod.
    long = ("\ufeffkey;ho_ten;chi_bo;han\r\n"
            f"n1;Đặng Thu Trang;{CHI_BO_A};2026-03-12\r\n"
            f"n2;{'Vũ ' * 1500};{CHI_BO_A};2026-03-12\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-o-dai.csv", long)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "Dòng 3: cột «ho_ten» dài 4.500 ký tự, quá giới hạn 2.000 ký tự của một ô; hãy rút gọn" in errors, errors
    # A portal's table saved as .xls is a web page: said so, with what to do.
    upload(browser, stack, "kiem-tra", "bang.xls", b"<html><table><tr><td>key</td></tr><tr><td>n9</td></tr></table></html>")
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "Tệp «bang.xls» là một trang web (HTML) được đặt tên như tệp Excel" in errors, errors
    # The list of columns says which forms a date may take, the day-first one a spreadsheet writes included.
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Hạn nộp hồ sơ — bắt buộc, ngày dạng dd/mm/yyyy (ví dụ 05/03/2026)" in main
    # Numbers with their bounds, and `started` with its optional time; field names only on hover, no ISO forms taught.
    assert "Điểm chấm — không bắt buộc, số nguyên từ 0 đến 100" in main
    assert "Bắt đầu theo dõi — không bắt buộc, ngày dạng dd/mm/yyyy (ví dụ 05/03/2026), có thể kèm giờ (05/03/2026 14:30)" in main
    assert "YYYY" not in main and "(hoặc" not in main, main
    assert browser.find_element(By.XPATH, "//li/b[text()='Hạn nộp hồ sơ']").get_attribute("title") == "Có thể đặt tên cột là “han”"
    # A field with a default says what an empty cell gives.
    browser.get(stack.url + "/nhap?quy-trinh=thi-dua")
    columns = browser.find_element(By.TAG_NAME, "main").text
    assert "ngày dạng dd/mm/yyyy (ví dụ 05/03/2026); để trống: ngày 01/01 của năm ghi ở «Năm thi đua»" in columns, columns
    # A year left empty follows the record's start (a fixed year was right for one year only).
    assert ("Năm thi đua — không bắt buộc, số nguyên từ 2024 đến 2100; để trống: năm của 1 tháng sau ngày bắt đầu theo dõi hồ sơ"
            in columns), columns
    # Choices by the words the forms show.
    assert "một trong: «Hoàn thành xuất sắc nhiệm vụ»" in columns and "xuat-sac" not in columns, columns
    shot(browser, "23b-nhap-cot-thi-dua", full=True)
    assert json.loads(stack.ctl("list", "kiem-tra", "--json"))["instances"] == before
    good = ("\ufeffkey,ho_ten,chi_bo,han\r\n"
            f"n1,Đặng Thu Trang,{CHI_BO_A},2026-03-12\r\n"
            f"n2,\"Vũ Văn Khoa, con\",{CHI_BO_A},2026-03-12\r\n"
            ",,,\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "nhap-dung.csv", good)
    assert "Đã nhập 2 hồ sơ" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    shot(browser, "24-nhap-xong")
    n2 = json.loads(stack.ctl("show", "kiem-tra/n2", "--json"))["instance"]
    assert n2["data"]["ho_ten"] == "Vũ Văn Khoa, con"
    started = [r for r in json.loads(stack.ctl("history", "kiem-tra/n2", "--json"))["records"] if r["kind"] == "started"]
    assert started[0]["actorName"] == "admin"


def test_the_template_comes_back_filled_in_with_its_vietnamese_headings(stack, browser):
    """The import page's template has the columns' titles as headings; a file filled in from it imports."""
    login(browser, stack, "admin")
    browser.get(stack.url + "/nhap?quy-trinh=kiem-tra")
    link = browser.find_element(By.CSS_SELECTOR, "a[href^='/nhap/mau.csv']").get_attribute("href")
    headers, body = download(browser, stack, link[len(stack.url):], "mau-nhap-kiem-tra.csv")
    assert 'filename="mau-nhap-kiem-tra.csv"' in headers["Content-Disposition"]
    assert body == "\ufeffMã hồ sơ,Bắt đầu theo dõi,Họ và tên,Chi bộ,Hạn nộp hồ sơ,Điểm chấm\r\n".encode("utf-8"), body
    # Filled in as an officer would, headings in another letter case, one column left out, a field's name kept.
    filled = body + (f"t1,,Trịnh Văn Bình,{CHI_BO_A},20/03/2026,\r\n"
                     f"t2,02/03/2026,Lý Thị Hoa,{CHI_BO_B},2026-03-21,80\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "mau-da-dien.csv", filled)
    assert "Đã nhập 2 hồ sơ" in browser.find_element(By.CSS_SELECTOR, ".flash.ok").text
    t2 = json.loads(stack.ctl("show", "kiem-tra/t2", "--json"))["instance"]
    assert t2["data"]["ho_ten"] == "Lý Thị Hoa" and t2["data"]["diem"] == 80 and t2["data"]["han"] == "2026-03-21", t2
    # A field given twice, by its title and its name, is refused before anything is stored.
    twice = ("\ufeffmã hồ sơ,Họ và tên,ho_ten,Chi bộ,Hạn nộp hồ sơ\r\n"
             f"t3,Lý Văn A,Lý Văn A,{CHI_BO_A},2026-03-21\r\n").encode("utf-8")
    upload(browser, stack, "kiem-tra", "mau-hai-cot.csv", twice)
    errors = browser.find_element(By.CSS_SELECTOR, "section.error").text
    assert "Dòng 1: cột «ho_ten» và cột «Họ và tên» cùng là một trường" in errors, errors
    shot(browser, "28-nhap-mau-hai-cot", full=True)
    assert "kiem-tra/t3" not in stack.ctl("list", "kiem-tra")


def test_oversized_upload_is_refused_in_vietnamese(stack, browser):
    login(browser, stack, "admin")
    big = b"key,ho_ten,chi_bo,han\n" + b"x" * (10 * 1024 * 1024 + 100 * 1024)
    upload(browser, stack, "kiem-tra", "qua-lon.csv", big)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Tệp lớn hơn 10 MB" in body, body[:500]
    os.remove(os.path.join(ARTIFACTS, "qua-lon.csv"))


def test_an_administrator_of_one_chi_bo_imports_no_ward_level_workflow(stack, browser):
    """A quản trị limited to some chi bộ may not add records of a workflow that is not by chi bộ (the ward's budget)
    through «Thêm hồ sơ»: nor through an import, whose form does not offer it and whose hand-made POST is refused
    (the records went in, into every chi bộ's lists and the ward's reminders)."""
    import urllib.request

    stack.user("qt-chi-bo", "quan-tri", CHI_BO_A)
    browser.delete_all_cookies()
    browser.get(stack.url + "/dang-nhap")
    browser.find_element(By.ID, "ten").send_keys("qt-chi-bo")
    browser.find_element(By.ID, "mat-khau").send_keys("mat-khau-thu-nghiem")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))
    browser.get(stack.url + "/nhap")
    offered = [o.get_attribute("value") for o in browser.find_elements(By.CSS_SELECTOR, "select[name=quy-trinh] option")]
    assert "kiem-tra" in offered and "ngan-sach-phuong" not in offered, offered
    opener = session_opener(browser)
    token = csrf_token(opener, stack.url + "/nhap")
    before = json.loads(stack.ctl("list", "ngan-sach-phuong", "--json"))["instances"]
    boundary = "----tiendo-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in
             (("_csrf", token), ("quy-trinh", "ngan-sach-phuong"))]
    file = (f'--{boundary}\r\nContent-Disposition: form-data; name="tep"; filename="ns.csv"\r\nContent-Type: text/csv\r\n\r\n'
            "key\r\n2032\r\n\r\n")
    body = ("".join(parts) + file + f"--{boundary}--\r\n").encode()
    request = urllib.request.Request(stack.url + "/nhap", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with opener.open(request, timeout=60) as r:
            status, page = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, page = e.code, e.read()
    assert status == 403, (status, page[:500])
    assert "không chia theo chi bộ nên chỉ tài khoản không giới hạn chi bộ mới nhập được" in page.decode(), page[:2000]
    assert json.loads(stack.ctl("list", "ngan-sach-phuong", "--json"))["instances"] == before
