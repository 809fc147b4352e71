/// Durations as job files write them: `500ms`, `30s`, `5m`, `1h30m`, `2h`, or a plain number of seconds.
public enum Durations {
    public static func parse(_ text: String) -> Double? {
        if let n = Double(text), n.isFinite { return n }
        var total = 0.0
        var number = ""
        var chars = Array(text)
        guard !chars.isEmpty else { return nil }
        var i = 0
        var units = 0
        while i < chars.count {
            let c = chars[i]
            if c.isASCII && (c.isNumber || c == ".") {
                number.append(c)
                i += 1
                continue
            }
            guard let value = Double(number) else { return nil }
            let unit: Double
            if c == "m" && i + 1 < chars.count && chars[i + 1] == "s" { unit = 0.001; i += 2 }
            else if c == "h" { unit = 3600; i += 1 }
            else if c == "m" { unit = 60; i += 1 }
            else if c == "s" { unit = 1; i += 1 }
            else if c == "d" { unit = 86400; i += 1 }
            else { return nil }
            total += value * unit
            number = ""
            units += 1
        }
        chars.removeAll()
        return number.isEmpty && units > 0 ? total : nil
    }
}
