/// The stylesheet and the little script of every page, served from the binary (nothing to install, no CDN).
enum Assets {
    /// Readable on a 1366×768 office screen; `@media print` gives a clean A4 list (no navigation, filters or
    /// buttons; table headers repeated on every page; rows never split).
    static let css = """
        :root { --red: #9b1c1c; --red-bg: #fdecec; --amber: #8a5a00; --amber-bg: #fff4d6; --green: #1e6b33; --ink: #1d1d1f;
          --muted: #5f6368; --line: #d9d9de; --band: #f6f6f8; }
        * { box-sizing: border-box; }
        /* 15 px at the browser's usual 16, and larger when a reader sets the browser larger (a fixed 15px ignored it). */
        html { font-size: 93.75%; }
        /* The first Tab of a page: past the head's links to the page's content. */
        a.skip { position: absolute; left: -9999px; top: .4rem; }
        a.skip:focus { left: .6rem; z-index: 10; background: #fff; color: var(--ink); padding: .4rem .8rem; border: 2px solid var(--ink); border-radius: 4px; }
        main:focus { outline: none; }
        body { margin: 0; font-family: "Noto Sans", "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: var(--ink); background: #fff;
          line-height: 1.45; }
        a { color: #0b57d0; }
        header.top { display: flex; align-items: center; gap: 1.2rem; padding: .45rem 1.2rem; background: var(--red); color: #fff; flex-wrap: wrap; }
        header.top a { color: #fff; text-decoration: none; }
        .brand { font-weight: 700; font-size: 1.15rem; letter-spacing: .02em; }
        nav { display: flex; gap: .2rem; flex-wrap: wrap; flex: 1; }
        nav a { padding: .3rem .6rem; border-radius: 4px; }
        nav a[aria-current="page"], nav a:hover { background: rgba(255,255,255,.18); }
        .who { display: flex; align-items: center; gap: .6rem; font-size: .9rem; }
        .who form { margin: 0; }
        /* A link among the account's words: «admin · Quản trị Đổi mật khẩu» read as one phrase. */
        header.top .who a { text-decoration: underline; text-underline-offset: .2em; }
        button.link { background: none; border: 1px solid rgba(255,255,255,.6); color: #fff; padding: .15rem .5rem; border-radius: 4px; cursor: pointer; }
        /* The account's role and its two actions whole: on a 360 px phone with a full name they broke «Cán / bộ»,
           «Đổi mật / khẩu», «Đăng / xuất»; the name wraps instead. */
        .who .role, .who a, .who button.link { white-space: nowrap; }
        main { max-width: 1320px; margin: 0 auto; padding: .8rem 1.2rem 2rem; }
        main.narrow { max-width: 30rem; margin-top: 8vh; }
        footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 1rem; }
        h1 { font-size: 1.45rem; margin: .4rem 0 .6rem; }
        h2 { font-size: 1.15rem; margin: 1.4rem 0 .5rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .3rem; color: var(--muted); }
        /* The filters' one line shows on a phone; on a wide screen only when folded (on a phone, then the screen
           turned or widened), to open them again. */
        details.filter-box > summary { cursor: pointer; padding: .4rem .6rem; margin: .3rem 0; background: var(--band);
          border: 1px solid var(--line); border-radius: 6px; }
        details.filter-box[open] > summary { display: none; }
        .counts { display: flex; gap: .6rem; flex-wrap: wrap; margin: .3rem 0 .8rem; padding: 0; list-style: none; }
        .counts li a, .counts li span { display: block; padding: .35rem .8rem; border-radius: 6px; background: var(--band); text-decoration: none;
          color: var(--ink); border: 1px solid var(--line); }
        .counts li.bad a, .counts li.bad span { background: var(--red-bg); border-color: #f3b4b4; color: var(--red); }
        .counts li.warn a, .counts li.warn span { background: var(--amber-bg); border-color: #f0d48a; color: var(--amber); }
        .counts b { font-size: 1.1rem; margin-right: .25rem; }
        form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; padding: .6rem .8rem; background: var(--band);
          border: 1px solid var(--line); border-radius: 6px; margin-bottom: .8rem; }
        form.filters label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); gap: .15rem; }
        form.filters select, form.filters input { max-width: 15rem; }
        label.check, form.filters label.check { display: flex; flex-direction: row-reverse; justify-content: flex-end; align-items: center; gap: .4rem;
          font-size: .9rem; color: var(--ink); padding-bottom: .35rem; }
        input[type=checkbox] { min-width: 0; width: auto; }
        /* Workflow titles run to 57 characters («Sinh hoạt chi bộ và đóng đảng phí hằng tháng của đảng viên»). */
        form.filters select#f-quy-trinh, form.filters select#chon-quy-trinh, form.filters select#nhap-quy-trinh,
          form.filters select#f-trang-thai { max-width: 34rem; }
        input, select, button, textarea { font: inherit; }
        input, select { padding: .3rem .4rem; border: 1px solid #767680; border-radius: 4px; min-width: 9rem; max-width: 20rem; }
        /* The browser's own words beside the button («Không có tệp nào được chọn», a file's name) are not cut. */
        form.filters input[type=file], input[type=file] { max-width: none; width: 26rem; }
        button { padding: .35rem .9rem; border-radius: 4px; border: 1px solid #8d8d96; background: #fff; cursor: pointer; }
        button.primary { background: var(--red); border-color: var(--red); color: #fff; }
        button.done { background: var(--green); border-color: var(--green); color: #fff; padding: .2rem .7rem; }
        table { border-collapse: collapse; width: 100%; margin: .3rem 0 1rem; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: var(--band); font-weight: 600; font-size: .88rem; white-space: nowrap; }
        th.field { white-space: normal; min-width: 6rem; }
        td.num, th.num { text-align: right; }
        tr.overdue td { background: var(--red-bg); }
        /* The overview's chi bộ: the name spans its workflows' rows, their sum closes them. */
        td.chi-bo { background: #fff !important; border-right: 1px solid var(--line); }
        td.again { display: none; }
        tr.subtotal td { font-weight: 600; border-bottom: 2px solid #b8b8c0; }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .9rem; background: var(--band); border: 1px solid var(--line);
          white-space: nowrap; }
        .badge.bad { background: var(--red-bg); color: var(--red); border-color: #f3b4b4; }
        .badge.warn { background: var(--amber-bg); color: var(--amber); border-color: #f0d48a; }
        .badge.ok { background: #e6f4ea; color: var(--green); border-color: #a8d5b5; }
        .provisional { color: var(--amber); font-style: italic; white-space: nowrap; }
        /* A record's address is read as one word (dang-vien-du-bi/dvdb-016 broke after «dvdb-»). */
        span.id { white-space: nowrap; }
        /* Below a wide screen a record's code may break after its «/» (a <wbr> there), or it set its column's width. */
        @media (max-width: 1100px) { span.id { white-space: normal; } }
        /* A date is read whole: «30/11/2025» broke after «20» in a narrow column. */
        span.date { white-space: nowrap; }
        p.next-transition.late { color: var(--amber); background: var(--amber-bg); padding: .4rem .6rem; border-radius: 4px; }
        .muted { color: var(--muted); }
        /* What the workflow file says to do in the current state, under the record's title. */
        p.guidance { max-width: 60rem; margin: 0 0 .6rem; padding: .4rem .7rem; border-left: 3px solid var(--muted); font-size: .92rem; }
        details.guidance > summary { cursor: pointer; padding: .3rem .7rem; margin: 0 0 .6rem; border-left: 3px solid var(--muted); color: #0b57d0; }
        details.guidance[open] > summary { display: none; }
        .small { font-size: .9rem; }
        .flash { padding: .5rem .8rem; border-radius: 6px; }
        .flash.ok { background: #e6f4ea; color: var(--green); }
        .flash.bad { background: var(--red-bg); color: var(--red); }
        section.error { border-left: 4px solid var(--red); padding: .2rem 1rem; }
        p.warn { border-left: 4px solid var(--amber); background: var(--amber-bg); padding: .4rem .8rem; }
        ul.problems { max-height: 60vh; overflow: auto; background: var(--red-bg); padding: .5rem 1.5rem; border-radius: 6px; }
        .pager { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: center; margin: .5rem 0; }
        /* «← Tháng 1/2027» is one link: on a phone it broke into three lines. */
        .pager a { white-space: nowrap; }
        .grid2 { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 1.5rem; }
        /* A long field title («Ngày kết nạp (ngày chi bộ tổ chức lễ kết nạp)») wraps instead of squeezing the values. */
        dl.data { display: grid; grid-template-columns: fit-content(14rem) 1fr; gap: .25rem 1rem; margin: 0; }
        dl.data dt { color: var(--muted); }
        dl.data dd { margin: 0; }
        p.toolbar { display: flex; gap: 1rem; align-items: center; }
        form.inline { display: inline; margin: 0; } form.inline button { white-space: nowrap; }
        /* «Thông báo gửi đi»: a message waiting to be tried again after an error stands out from those held to their hour. */
        table.deliveries tr.late td { background: var(--amber-bg); }
        /* A full name's box and its button on one line; a role is one or two short words. */
        table.accounts input[name=ho-ten] { width: 11rem; min-width: 0; }
        /* A password's boxes only when asked for: one row's buttons, not four boxes a row, and «Khóa» kept apart. */
        details.password, details.scope { display: inline-block; margin-right: .5rem; vertical-align: top; }
        details.password summary, details.scope summary { cursor: pointer; color: #0b57d0; text-decoration: underline; padding: .3rem 0; }
        details.password[open] summary, details.scope[open] summary { margin-bottom: .3rem; }
        details.scope textarea { display: block; min-width: 16rem; margin: .3rem 0; }
        table.accounts td[data-label="Vai trò"], table.accounts td[data-label="Họ và tên"] { white-space: nowrap; }
        form.event { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; margin: .4rem 0; display: flex; gap: .6rem;
          flex-wrap: wrap; align-items: flex-end; }
        form.event label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
        ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
        ol.timeline li { padding: .2rem 0 .5rem 1rem; position: relative; }
        ol.timeline li::before { content: ""; position: absolute; left: -6px; top: .6rem; width: 10px; height: 10px; border-radius: 50%;
          background: var(--line); }
        ol.timeline li.overdue::before, ol.timeline li.rejected::before { background: var(--red); }
        ol.timeline li.done::before { background: var(--green); }
        ol.timeline li.undone::before { background: var(--amber); }
        ol.timeline time { font-variant-numeric: tabular-nums; color: var(--muted); margin-right: .5rem; }
        table.items { table-layout: fixed; }
        table.items col.w-due { width: 7.5rem; } table.items col.w-left { width: 7.5rem; } table.items col.w-record { width: 21%; }
        table.items col.w-group { width: 15%; } table.items col.w-workflow { width: 22%; }
        table.items col.w-pick { width: 2.6rem; } table .pick { text-align: center; width: 2.6rem; min-width: 0; }
        table.items col.w-stt { width: 2.8rem; } table .stt { text-align: center; width: 2.8rem; font-variant-numeric: tabular-nums; }
        table .pick input { width: 1.25rem; height: 1.25rem; margin: 0; vertical-align: middle; }
        table .pick .on-phone { display: none; }
        table .pick a.to-record { text-decoration: none; font-size: 1.1rem; }
        .pick-bar { display: flex; flex-wrap: wrap; gap: .4rem .75rem; align-items: center; margin: .75rem 0; }
        /* How to use the boxes, beside the button in two short lines rather than a line of its own below it: on an
           office screen the first things to do then start on the first screen. */
        .pick-bar .pick-help { flex: 1 1 24rem; line-height: 1.3; }
        .pick-bar button.done, p > button.done { padding: .35rem .9rem; }
        .pick-bar fieldset.step-fields { flex-basis: 100%; display: flex; flex-wrap: wrap; gap: .4rem .75rem; align-items: flex-end;
          border: 1px solid var(--line); border-radius: 4px; padding: .4rem .75rem .6rem; margin: 0; }
        .pick-bar fieldset.step-fields legend { font-size: .85rem; color: var(--muted); padding: 0 .3rem; }
        .pick-bar fieldset.step-fields label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
        .pick-bar fieldset.step-fields[hidden] { display: none; }
        table.month { table-layout: fixed; }
        table.month td { height: 6.2rem; font-size: .82rem; }
        table.month td.weekend { background: #f3f3f6; }
        table.month td.holiday { background: #fdf0e6; }
        table.month td.workday { background: #eef6ff; }
        table.month td.other { color: #6b6b75; background: #fff; }
        table.month td.today { outline: 2px solid var(--red); outline-offset: -2px; }
        /* The day on a line of its own: «10» beside «12 việc» read as «1012». */
        table.month .day { font-weight: 700; display: block; margin-bottom: .15rem; }
        table.month .day .on-phone { display: none; }
        table.month .note { display: block; color: var(--muted); font-size: .75rem; }
        table.month ul { margin: .2rem 0 0; padding-left: 1rem; }
        .legend span { margin-right: 1rem; padding: 0 .4rem; border: 1px solid var(--line); }
        .legend .badge { margin-right: .3rem; } .legend .badge.linked { color: #0b57d0; }
        .legend .weekend { background: #f3f3f6; } .legend .holiday { background: #fdf0e6; } .legend .workday { background: #eef6ff; }
        .print-only { display: none; }
        /* A Party document's head: the issuer on the left, the Party's name underlined and the date on the right. */
        .letterhead { display: flex; justify-content: space-between; gap: 2rem; margin-bottom: 1.2rem; font-size: .9rem; }
        .letterhead div { text-align: center; }
        .letterhead .nation b { text-decoration: underline; }
        .signatures { display: flex; justify-content: space-around; margin-top: 2rem; text-align: center; }
        .signatures div { min-width: 14rem; }
        .signatures .space { height: 4.5rem; }
        /* Text typed by people (a name, a reason) wraps anywhere rather than widening the page past the screen. That
           lets the automatic layout squeeze a column to one letter (at 200 % zoom «Thành lập Ủy ban bầu cử» read
           «Thà / nh / lập», accessibility audit 07/12/2026): what is due keeps 10rem, the other named columns 6rem
           below a wide screen, and a table wider than that scrolls inside itself. */
        td, dd, h1, .flash, ol.timeline li, .problems li { overflow-wrap: anywhere; }
        table.items td.what { min-width: 10rem; }
        /* Where the keyboard is, on every background: a dark ring with a white edge (a browser's thin blue ring was
           1.45:1 on the red head and buttons). */
        :focus-visible { outline: 3px solid #1d1d1f; outline-offset: 2px; box-shadow: 0 0 0 2px #fff; }
        /* A message the page gives the focus to is ringed in its own colour, not in black. */
        .flash:focus-visible, section.error:focus-visible { outline: 2px solid currentColor; box-shadow: none; }
        .required { color: var(--red); font-weight: 700; }
        /* Read by a screen reader, not shown: a column's name whose cells say it by their buttons. */
        .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        a.button { display: inline-block; padding: .35rem .9rem; border-radius: 4px; background: var(--red); color: #fff; text-decoration: none; }
        form.new-record input:not([type=hidden]):not([type=checkbox]), form.new-record select { width: 100%; max-width: 32rem; }
        /* An event's choices are read whole («Hoàn thành 100% nhiệm vụ, có việc chậm hạn (tập thể — không quá 20%)»), not cut at 20rem. */
        form.event select, .pick-bar select { max-width: 32rem; }
        @media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } table.items { table-layout: auto; } }
        /* Between a phone and a wide screen (a tablet, an office screen at 200 %): headings wrap, and a table still too
           wide scrolls inside itself — the whole page, head included, scrolled sideways (audit, 07/12/2026). */
        @media screen and (min-width: 641px) and (max-width: 1100px) {
          th { white-space: normal; }
          table.records, table.summary, table.accounts { display: block; overflow-x: auto; }
          table.items td[data-label], table.records td[data-label] { min-width: 6rem; }
        }
        @media screen and (min-width: 641px) and (max-width: 900px) { table.items { display: block; overflow-x: auto; } }
        /* One column on a screen: a record's open deadlines before its facts, what is due read first (on paper, as written). */
        @media screen and (max-width: 900px) { .grid2 > .open-deadlines { order: -1; } }
        /* A phone (390 px): nothing wider than the screen; a wide table scrolls inside itself, the page does not. */
        @media (max-width: 640px) {
          main { padding: .5rem .6rem 1.5rem; }
          details.filter-box[open] > summary, details.guidance[open] > summary { display: list-item; }
          details.guidance[open] > summary { margin-bottom: .2rem; }
          /* A record's facts as label over value: beside each other the labels took 60 % of the width. */
          dl.data { grid-template-columns: 1fr; gap: 0; }
          dl.data dt { font-size: .85rem; margin-top: .35rem; }
          .counts { gap: .35rem; }
          .counts li a, .counts li span { padding: .2rem .5rem; font-size: .88rem; }
          /* Links that are the only way in, large enough for a finger: a day's count in the calendar (18 px tall),
             a number in the overview (9 px wide), the pages' «Trang sau». */
          table.month a.day-link { display: inline-block; padding: .5rem .4rem; margin: -.3rem 0; }
          table.summary td.num a { display: inline-block; min-width: 2.75rem; padding: .35rem .5rem; margin: -.35rem 0; text-align: center; }
          .pager a { display: inline-block; padding: .5rem .3rem; }
          /* The name and the account on the first line, the pages' links below across the whole width: the links
             beside the name wrapped a word at a time and the head took a fifth of the screen. */
          header.top { gap: .3rem .6rem; padding: .35rem .6rem; }
          header.top nav { order: 3; flex: 1 0 100%; gap: .1rem .2rem; }
          header.top nav a { padding: .2rem .45rem; }
          .who { margin-left: auto; gap: .45rem; font-size: .82rem; }
          input, select, form.filters select, form.filters input, form.filters select#f-quy-trinh, form.filters select#f-trang-thai,
          form.event select, .pick-bar select { min-width: 0; max-width: 100%; }
          form.filters label { max-width: 100%; }
          input[type=file], form.filters input[type=file] { width: 100%; }
          table { display: block; overflow-x: auto; }
          /* Cells keep a readable width (a name wrapped word by word, «Chi bộ» not one word per line): the table
             scrolls sideways instead of squeezing its columns. */
          table:not(.month) th, table:not(.month) td { min-width: 6.5rem; }
          /* The month as a list of its days (a grid of seven columns left a word a line): each day its weekday and
             date, the days with nothing to say left out. */
          table.month, table.month tbody, table.month tr, table.month td { display: block; }
          table.month thead { display: none; }
          table.month td.other, table.month td.quiet { display: none; }
          table.month .day .on-wide { display: none; } table.month .day .on-phone { display: inline; }
          /* The lists of things to do as cards: the record first, then what is due and when, each labelled; a
             sideways-scrolling table hid the record's name off the screen's edge. */
          table.items, table.items tbody, table.items tr, table.items td,
          table.records, table.records tbody, table.records tr, table.records td,
          table.accounts, table.accounts tbody, table.accounts tr, table.accounts td { display: block; min-width: 0; }
          table.items, table.records, table.accounts { overflow: visible; }
          table.items thead, table.items colgroup, table.records thead, table.accounts thead { display: none; }
          table.accounts tr { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; padding: .35rem .6rem; }
          table.accounts td { border: none; padding: .1rem 0; }
          table.accounts td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
          table.items tr, table.records tr { display: flex; flex-direction: column; border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; padding: .35rem .6rem; }
          table.items td, table.records td { border: none; padding: .1rem 0; text-align: left; }
          table.records td:empty { display: none; }
          table.items td.record, table.records td.record { order: -2; font-weight: 600; } table.items td.what { order: -1; }
          table td.pick { order: -3; text-align: left; width: auto; } table td.pick:empty { display: none; }
          /* A state's step is recorded on its record's page: that link closes the card, below what is due (first, it
             read larger than the record's name). */
          table td.pick.go { order: 9; font-size: .9rem; padding-top: .25rem; }
          /* The overview's counts as cards: the workflow (and first its chi bộ) across the width, each number named
             beside it; as tables wider than the screen the names wrapped a word a line and the numbers lay past the
             edge, to be swiped to one column at a time. */
          table.summary, table.summary tbody, table.summary td { display: block; min-width: 0; }
          table.summary { overflow: visible; }
          table.summary thead { display: none; }
          table.summary tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: .1rem 1rem; border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; padding: .35rem .6rem; }
          table.summary tr.overdue { background: var(--red-bg); }
          table.summary tr.subtotal { background: var(--band); }
          table.summary tr:has(td.chi-bo), table.summary tr:has(td.group) { margin-top: 1.1rem; }
          table.summary td { border: none; padding: 0; text-align: left; background: none !important; }
          table.summary td.name, table.summary td.chi-bo, table.summary td.group { flex: 1 0 100%; }
          table.summary td.chi-bo, table.summary td.group { font-weight: 700; }
          table.summary td.again { display: block; flex: 1 0 100%; color: var(--muted); font-size: .85rem; }
          table.summary td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
          /* A record's milestones the same way, its button across the width below: as a table its «Đánh dấu đã xong
             kỳ 02/2026» lay past the screen's edge, the month it marks unread (audit, 07/12/2026). */
          table.milestones, table.milestones tbody { display: block; overflow: visible; }
          table.milestones thead { display: none; }
          table.milestones tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem .6rem; padding: .5rem 0; border-bottom: 1px solid var(--line); }
          table.milestones tr.overdue { background: var(--red-bg); }
          table.milestones td { display: block; min-width: 0; border: none; padding: 0; }
          table.milestones td.what { flex: 1 0 100%; }
          table.milestones td.due { font-weight: 600; }
          table.milestones td.act { flex: 1 0 100%; padding-top: .2rem; }
          table.milestones td.act:empty { display: none; }
          table.milestones td.act button { width: 100%; min-height: 2.75rem; white-space: normal; }
          /* A record's open deadlines: the date and the days left on one line, the task below across the width (as a
             third column it wrapped a word or two a line). */
          table.deadlines, table.deadlines tbody { display: block; overflow: visible; }
          table.deadlines thead { display: none; }
          table.deadlines tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 .6rem; padding: .4rem 0; border-bottom: 1px solid var(--line); }
          table.deadlines td { display: block; min-width: 0; border: none; padding: 0; }
          table.deadlines td.due { font-weight: 600; }
          table.deadlines td.what { flex: 1 0 100%; }
          table td.pick label { display: flex; gap: .5rem; align-items: center; color: var(--muted); font-size: .9rem; }
          table td.pick .on-phone { display: inline; }
          .pick-help { display: none; }
          h1 .badge { white-space: normal; max-width: 100%; }
          table.items td[data-label]::before, table.records td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
          table.month td { height: auto; font-size: .9rem; padding: .45rem .6rem; border-width: 0 0 1px; }
          .letterhead, .signatures { flex-direction: column; gap: .5rem; }
          .provisional { white-space: normal; }
        }
        @media print {
          @page { size: A4 portrait; margin: 14mm 12mm 16mm; }
          html { font-size: 10.5pt; }
          body { color: #000; }
          .no-print, header.top, footer, form.filters, .pager, button, form.event, table .pick { display: none !important; }
          /* A record's history on paper says which of its records it shows (the links stay on the screen). */
          p.pager.history { display: block !important; }
          table.items col.w-pick { display: none; }
          .print-only { display: block; }
          main { max-width: none; padding: 0; }
          h1 { font-size: 14pt; text-align: center; margin: 0 0 2mm; }
          a { color: #000; text-decoration: none; }
          table { font-size: 9.5pt; }
          th, td { border: 1px solid #777; padding: 1.2mm 1.5mm; }
          th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          thead { display: table-header-group; }
          /* A signed list: headings wrap rather than squeeze the names into a word a line; the day a record was entered
             into the software and its code mean nothing on paper. */
          th { white-space: normal; }
          table.records .started, table.records .id { display: none; }
          /* A person's name on one line where it fits: with the list's extra columns (a grade, a score) the table
             squeezed «Trần Văn Điểm» into a word a line. */
          table.records td.record { min-width: 32mm; }
          tr { break-inside: avoid; }
          tr.overdue td { background: none; font-weight: 600; }
          tr.subtotal td { border-top: 2px solid #000; border-bottom: 2px solid #000; font-style: italic; }
          .counts li a, .counts li span { border: 1px solid #777; background: none !important; color: #000 !important; }
        }
        """

    /// Progressive enhancement only: every page works without it.
    static let js = """
        "use strict";
        document.addEventListener("DOMContentLoaded", function () {
          // A refusal takes the focus, so that a keyboard and a screen reader start from it; so does what a change
          // did (a live region present when the page loads is not read out, and the focus was back at the top).
          var said = document.querySelector(".flash.bad[tabindex], section.error[tabindex], .flash.ok[tabindex]");
          if (said) { said.focus(); }
          // On a phone the filters fold under their summary line unless one is in force.
          if (window.matchMedia("(max-width: 640px)").matches) {
            document.querySelectorAll("details.filter-box:not([data-active])").forEach(function (d) { d.open = false; });
            // A record's rules and their citations fold too: its deadlines and buttons come first.
            document.querySelectorAll("details.guidance").forEach(function (d) { d.open = false; });
          }
          // Choosing a workflow with the mouse or a finger reloads the filters, so that its states can be chosen. Not
          // with the keyboard: each ↑/↓ is a change, and the page reloaded at the first one, the focus back at its top
          // (audit, 07/12/2026); there Enter (or the form's button) sends the choice.
          document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
            var keyed = false;
            s.addEventListener("keydown", function (e) {
              if (e.key === "Enter" && s.form) { e.preventDefault(); s.form.submit(); return; }
              if (e.key !== "Tab") { keyed = true; }
            });
            s.addEventListener("pointerdown", function () { keyed = false; });
            s.addEventListener("change", function () { if (!keyed && s.form) { s.form.submit(); } });
          });
          // Confirmation before changing a record, with the values typed into the form (a vote's counts read back
          // before they are recorded).
          // Lists with boxes (the agenda's milestones, a list's records): the box in a table's head ticks every row of
          // that table; the form they belong to asks first, with how many and what (none ticked: said, nothing sent).
          // A head box's rows: those of its table, or every row of the form it names (the box beside the button).
          var heads = "input[data-pick-all], input[data-pick-form]";
          function rowsOf(head) {
            return head.hasAttribute("data-pick-form")
              ? document.querySelectorAll("td.pick input[form='" + head.getAttribute("data-pick-form") + "']")
              : head.closest("table").querySelectorAll("td.pick input[type=checkbox]");
          }
          function pickHeads() {
            document.querySelectorAll(heads).forEach(function (head) {
              var boxes = rowsOf(head);
              var ticked = Array.prototype.filter.call(boxes, function (c) { return c.checked; }).length;
              head.checked = boxes.length > 0 && ticked === boxes.length;
              head.indeterminate = ticked > 0 && ticked < boxes.length;
            });
          }
          document.querySelectorAll(heads).forEach(function (head) {
            head.addEventListener("change", function () {
              rowsOf(head).forEach(function (c) { c.checked = head.checked; });
              pickHeads();
            });
          });
          // A list form's buttons: inside it and, standing apart, naming it.
          function buttonsOf(f) { return document.querySelectorAll("button[form='" + f.id + "'], #" + f.id + " button"); }
          // «Title: value» for each filled box of `labels` (label[data-title]), a choice by its text.
          // «Title: value» per box typed; with `empty`, a line for each box left empty too: what it keeps
          // (`data-held`) or «(chưa nhập)».
          function typedLines(labels, empty) {
            var lines = [];
            labels.forEach(function (l) {
              var c = l.querySelector("input, select, textarea");
              if (!c) { return; }
              if (c.value === "") {
                if (!empty) { return; }
                var held = l.getAttribute("data-held");
                lines.push(l.getAttribute("data-title") + ": " + (held === null ? "(chưa nhập)" : "(để trống, giữ nguyên: " + held + ")"));
                return;
              }
              lines.push(l.getAttribute("data-title") + ": " + (c.tagName === "SELECT" ? c.options[c.selectedIndex].text : c.value));
            });
            return lines;
          }
          document.querySelectorAll("td.pick input[type=checkbox]").forEach(function (c) { c.addEventListener("change", pickHeads); });
          pickHeads();
          // A signed-in page brought back from the browser's cache (Back after «Đăng xuất» on a shared office PC)
          // shows only once the server still knows its session: else it is asked again, which leads to sign-in.
          window.addEventListener("pageshow", function (e) {
            if (!e.persisted || !document.querySelector("form[action='/dang-xuat']")) { return; }
            document.documentElement.style.visibility = "hidden";
            fetch(location.href, { method: "HEAD", redirect: "manual", credentials: "same-origin", cache: "no-store" })
              .then(function (r) {
                if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) { location.reload(); return; }
                document.documentElement.style.visibility = "";
              }, function () { document.documentElement.style.visibility = ""; });
          });
          // Back to a list from the browser's cache: its buttons, disabled when it was sent, work again.
          window.addEventListener("pageshow", function (e) {
            if (!e.persisted) { return; }
            document.querySelectorAll("form[data-bulk]").forEach(function (f) {
              buttonsOf(f).forEach(function (b) { b.disabled = false; });
            });
            pickHeads();
          });
          // A list's step that asks facts once for all its records: only the chosen step's boxes show, and only they
          // are sent (a hidden fieldset is disabled).
          document.querySelectorAll("form[data-bulk] select[name=su-kien]").forEach(function (s) {
            function shown() {
              s.form.querySelectorAll("fieldset.step-fields").forEach(function (fs) {
                fs.hidden = fs.disabled = fs.getAttribute("data-step") !== s.value;
              });
            }
            s.addEventListener("change", shown);
            shown();
          });
          document.querySelectorAll("form[data-bulk]").forEach(function (f) {
            f.addEventListener("submit", function (e) {
              var n = 0;
              for (var i = 0; i < f.elements.length; i++) {
                if (f.elements[i].name === f.getAttribute("data-bulk") && f.elements[i].checked) { n++; }
              }
              var step = f.querySelector("select[name=su-kien]");
              var chosen = step ? step.selectedOptions[0] : null;
              var asked = f.getAttribute("data-bulk-confirm").replace("{n}", function () { return String(n); })
                .replace("{viec}", function () { return chosen ? chosen.getAttribute("data-said") || "" : ""; });
              typedLines(f.querySelectorAll("fieldset.step-fields:not([disabled]) label[data-title]")).forEach(function (line) {
                asked += "\\n" + line;
              });
              if (chosen && chosen.hasAttribute("data-ends")) {
                asked += "\\nSau bước này các hồ sơ đó kết thúc, không ghi thêm được bước nào.";
              }
              if (n === 0) {
                e.preventDefault();
                window.alert(f.getAttribute("data-bulk-none"));
              } else if (!window.confirm(asked)) {
                e.preventDefault();
              } else {
                // Sent once: a second click would be answered «đã được ghi nhận trước đó» over this one's message.
                buttonsOf(f).forEach(function (b) { b.disabled = true; });
              }
            });
          });
          document.querySelectorAll("form[data-confirm]").forEach(function (f) {
            f.addEventListener("submit", function (e) {
              var lines = [f.getAttribute("data-confirm")]
                .concat(typedLines(f.querySelectorAll("label[data-title]"), f.hasAttribute("data-branches")));
              if (!window.confirm(lines.join("\\n"))) { e.preventDefault(); }
            });
          });
          // A form sent after the session ended is not done (the sign-in page says so): what was typed is kept in
          // this tab and put back when its page opens again after signing in (#dien-lai), to be checked and sent
          // again. Any other page opened drops it. Passwords and files are never kept.
          var typedKey = "tiendo.typed";
          function formKey(f) {
            var parts = [f.getAttribute("action") || ""];
            f.querySelectorAll("input[type=hidden][name=hanh-dong], input[type=hidden][name=su-kien], input[type=hidden][name=moc]")
              .forEach(function (h) { parts.push(h.name + "=" + h.value); });
            return parts.join("|");
          }
          document.querySelectorAll("form[method=post]").forEach(function (f) {
            // A list's ticked rows are not kept: the boxes stand outside their form, and one name holds them all.
            if (f.classList.contains("login") || f.hasAttribute("data-bulk") || f.enctype === "multipart/form-data") { return; }
            f.addEventListener("submit", function (e) {
              if (e.defaultPrevented) { return; }
              var values = {};
              f.querySelectorAll("input, select, textarea").forEach(function (c) {
                if (!c.name || c.type === "hidden" || c.type === "password" || c.type === "file" || c.type === "submit") { return; }
                values[c.name] = c.type === "checkbox" ? (c.checked ? "1" : "") : c.value;
              });
              try {
                sessionStorage.setItem(typedKey, JSON.stringify({
                  page: location.pathname + location.search, form: formKey(f), values: values, at: Date.now() }));
              } catch (ignored) { /* storage full or off: nothing kept */ }
            });
          });
          if (location.pathname !== "/dang-nhap") {
            var kept = null;
            try { kept = JSON.parse(sessionStorage.getItem(typedKey) || "null"); sessionStorage.removeItem(typedKey); } catch (ignored) {}
            if (location.hash === "#dien-lai") {
              history.replaceState(null, "", location.pathname + location.search);
              if (kept && kept.page === location.pathname + location.search && Date.now() - kept.at < 12 * 3600 * 1000) {
                document.querySelectorAll("form[method=post]").forEach(function (f) {
                  if (formKey(f) !== kept.form) { return; }
                  Object.keys(kept.values).forEach(function (name) {
                    var c = f.querySelector("[name='" + name.replace(/'/g, "") + "']");
                    if (!c) { return; }
                    if (c.type === "checkbox") { c.checked = kept.values[name] === "1"; } else { c.value = kept.values[name]; }
                  });
                  var note = document.createElement("p");
                  note.className = "flash ok refilled";
                  note.setAttribute("role", "status");
                  // The form's own button by its words («Thêm hồ sơ»), not «gửi lại», which no button says.
                  var button = f.querySelector("button[type=submit], button:not([type])");
                  var label = button ? button.textContent.trim() : "";
                  note.textContent = "Đã điền lại những gì bạn nhập trước khi phiên đăng nhập hết hạn. Hãy kiểm tra rồi bấm "
                    + (label ? "«" + label + "»" : "nút gửi của biểu mẫu") + ".";
                  f.parentNode.insertBefore(note, f);
                  f.scrollIntoView({ block: "center" });
                });
              }
            }
          }
          document.querySelectorAll("a[data-back]").forEach(function (a) {
            a.addEventListener("click", function (e) { if (window.history.length > 1) { e.preventDefault(); window.history.back(); } });
          });
          document.querySelectorAll("button[data-print]").forEach(function (b) {
            b.addEventListener("click", function () { window.print(); });
          });
        });
        """
}
