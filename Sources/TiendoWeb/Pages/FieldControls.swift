import TiendoCore
import TiendoVarlink

/// The form control for a workflow field, typed as the workflow declares it: shared by the record page's steps and
/// the page that starts a record.
enum FieldControls {
    /// A control identified `id` and named `name` (`id` when nil: a page with one form), showing `current` (as tiendod
    /// stores it: dates `YYYY-MM-DD`). `invalid`: the value tiendod refused, marked for screen readers and tied to the
    /// refusal's message (`Layout.refusalID`).
    /// A box a refusal names: marked invalid, and pointing to the refusal's words (`Layout.refusalID`).
    static func refused(_ invalid: Bool) -> HTML {
        invalid ? HTML(unescaped: " aria-invalid=\"true\" aria-describedby=\"\(Layout.refusalID)\"") : .empty
    }

    static func control(
        _ f: Extras.FieldInfo?, id: String, name: String? = nil, current: String, required: Bool = false, list: String? = nil,
        invalid: Bool = false
    ) -> HTML {
        let req: HTML = HTML.flag("required", required)
        let marked = FieldControls.refused(invalid)
        let named: HTML = "id=\"\(id)\" name=\"\(name ?? id)\"\(marked)"
        switch f?.type {
        case "integer", "number":
            let step = f?.type == "integer" ? "1" : "any"
            func bound(_ name: String, _ v: Double?) -> HTML {
                v.map { HTML(unescaped: " \(name)=\"\(Value.number($0).formText(zone: Format.zone))\"") } ?? .empty
            }
            return
                "<input type=\"number\" step=\"\(step)\" \(named) value=\"\(current)\"\(bound("min", f?.min))\(bound("max", f?.max))\(req)>"
        case "date":
            // Typed day first, as officers write dates, not a browser's date picker: an English-language browser
            // reads 08/12/2026 as 12 August (tiendod reads dd/mm/yyyy, and refuses an impossible date). The text
            // keyboard, not `inputmode="numeric"`: a phone's digits keypad has no «/» (an iPhone's), and «-» or «.»
            // between the parts are read too (one of them, twice, as tiendod reads them).
            return
                "<input type=\"text\" placeholder=\"dd/mm/yyyy\" pattern=\"[0-9]{1,2}(/[0-9]{1,2}/|-[0-9]{1,2}-|\\.[0-9]{1,2}\\.)[0-9]{4}\" title=\"Ngày viết dd/mm/yyyy (hoặc dd-mm-yyyy, dd.mm.yyyy), ví dụ 05/03/2026\" class=\"date\" \(named) value=\"\(Format.date(current))\"\(req)>"
        case "datetime":
            return
                "<input type=\"text\" placeholder=\"dd/mm/yyyy HH:MM\" title=\"Ngày giờ viết dd/mm/yyyy HH:MM, ví dụ 05/03/2026 08:00\" \(named) value=\"\(Format.date(current))\"\(req)>"
        case "boolean":
            let options: HTML =
                "<option value=\"true\"\(HTML.flag("selected", current == "true"))>có</option><option value=\"false\"\(HTML.flag("selected", current == "false"))>không</option>"
            // Left blank, nothing is recorded (the workflow's default, if it has one, applies): said, not an empty line
            // that reads as «không».
            return "<select \(named)\(req)><option value=\"\">— không ghi —</option>\(options)</select>"
        case "enum":
            let options = (f?.values ?? []).map { v -> HTML in
                "<option value=\"\(v)\"\(HTML.flag("selected", v == current))>\(f?.title(ofValue: v) ?? v)</option>"
            }
            // The empty choice says it is one to make, not a blank line that reads as a value.
            return "<select \(named)\(req)><option value=\"\">— chọn —</option>\(options)</select>"
        default:
            let suggestions: HTML = list.map { " list=\"\($0)\" autocomplete=\"off\"" } ?? .empty
            return "<input \(named) value=\"\(current)\" maxlength=\"\(FieldDefinition.textLimit)\"\(suggestions)\(req)>"
        }
    }
}
