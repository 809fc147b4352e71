/// "Did you mean …?" for unknown keys.
enum Suggestions {
    /// The allowed key closest to `key`: same letters ignoring case, `-` and `_`, or a small edit distance.
    static func closest(to key: String, in candidates: [String]) -> String? {
        let folded = fold(key)
        if let same = candidates.first(where: { fold($0) == folded }) { return same }
        let limit = folded.count <= 3 ? 1 : folded.count <= 8 ? 2 : 3
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(folded, fold(candidate))
            if d <= limit && d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    static func fold(_ s: String) -> String {
        String(s.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Edit distance over characters where swapping two neighbours counts as one edit
    /// (optimal string alignment), so "titel" is 1 away from "title".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
