/// Durations in job files and config.yaml: a number of seconds (`90`, `0.5`) or a string of
/// number+unit parts from largest to smallest unit, each at most once: `500ms`, `30s`, `5m`, `1h30m`, `2h`, `1.5h`.
/// Units: `h`, `m`, `s`, `ms`. Must match `DurationParser.pattern` (also used by docs/job.schema.json).
public enum DurationParser {
    public static let pattern = #"^(?=[0-9])([0-9]+(\.[0-9]+)?h)?([0-9]+(\.[0-9]+)?m)?([0-9]+(\.[0-9]+)?s)?([0-9]+(\.[0-9]+)?ms)?$"#

    /// Seconds for a duration string, or nil when it is not one.
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001)]
        var rest = Substring(text)
        var total = 0.0
        var nextUnit = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard isDecimal(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let index = units.firstIndex(where: { $0.0 == unit }), index >= nextUnit,
                  let value = Double(number) else { return nil }
            total += value * units[index].1
            nextUnit = index + 1
        }
        return total.isFinite ? total : nil
    }

    /// `[0-9]+(\.[0-9]+)?`
    static func isDecimal(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// `90` → "1m30s", `0.5` → "500ms": how durations are written back in messages.
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds != seconds.rounded() { return "\(seconds)s" }
        var s = Int(seconds)
        var text = ""
        if s >= 3600 { text += "\(s / 3600)h"; s %= 3600 }
        if s >= 60 { text += "\(s / 60)m"; s %= 60 }
        if s > 0 || text.isEmpty { text += "\(s)s" }
        return text
    }
}
