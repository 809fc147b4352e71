import Foundation

/// Turns HTML into readable text: drops scripts, styles and tags, keeps block structure as line breaks,
/// decodes the common entities, and collapses runs of blank space.
public enum HTMLText {
    public static func readable(_ html: String) -> String {
        var out = ""
        var i = html.startIndex
        let blockTags: Set<String> = ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section", "article",
                                      "header", "footer", "ul", "ol", "table", "blockquote", "title"]
        while i < html.endIndex {
            let c = html[i]
            if c == "<" {
                guard let close = html[i...].firstIndex(of: ">") else { break }
                let tag = html[html.index(after: i)..<close]
                let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if (name == "script" || name == "style" || name == "noscript") && !tag.hasPrefix("/") {
                    if let end = html.range(of: "</\(name)", options: .caseInsensitive, range: close..<html.endIndex) {
                        i = html[end.upperBound...].firstIndex(of: ">").map { html.index(after: $0) } ?? html.endIndex
                        continue
                    }
                    break
                }
                if tag.hasPrefix("!--"), let end = html.range(of: "-->", range: i..<html.endIndex) {
                    i = end.upperBound
                    continue
                }
                if blockTags.contains(name) { out += "\n" }
                if name == "li" && !tag.hasPrefix("/") { out += "- " }
                i = html.index(after: close)
                continue
            }
            out.append(c)
            i = html.index(after: i)
        }
        out = decodeEntities(out)
        var lines: [String] = []
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
            let collapsed = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if collapsed.isEmpty && (lines.last?.isEmpty ?? true) { continue }
            lines.append(collapsed)
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = s
        for (e, r) in [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: e, with: r)
        }
        return out
    }
}
