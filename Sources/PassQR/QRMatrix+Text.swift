/// Drawing a `QRMatrix` without any image library: SVG for the web (the customer's pass page,
/// the kiosk's screen), half-block text for a terminal.
extension QRMatrix {
    /// A scalable SVG: one path, one horizontal run of dark modules per subpath, in module units.
    public func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        let side = size + 2 * quietZone
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else { x += 1; continue }
                let start = x
                while x < size, self[x, y] { x += 1 }
                path += "M\(start + quietZone) \(y + quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        let pixels = side * moduleSize
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
            <rect width="\(side)" height="\(side)" fill="#ffffff"/>
            <path fill="#000000" d="\(path)"/>
            </svg>

            """
    }

    /// UTF-8 half blocks, two module rows a text line. Light modules are drawn as blocks, as on a
    /// terminal with light text on a dark background (the usual console), so a phone camera sees
    /// dark modules on light. `darkOnLight: true` is for terminals with dark text on light.
    public func text(quietZone: Int = 2, darkOnLight: Bool = false) -> String {
        let side = size + 2 * quietZone
        func lit(_ x: Int, _ y: Int) -> Bool {
            let mx = x - quietZone, my = y - quietZone
            let dark = mx >= 0 && my >= 0 && mx < size && my < size && self[mx, my]
            return darkOnLight ? dark : !dark
        }
        var out = ""
        var y = 0
        while y < side {
            for x in 0..<side {
                let top = lit(x, y)
                let bottom = y + 1 < side ? lit(x, y + 1) : !darkOnLight
                let block: String = switch (top, bottom) {
                case (true, true): "█"
                case (true, false): "▀"
                case (false, true): "▄"
                case (false, false): " "
                }
                out += block
            }
            out += "\n"
            y += 2
        }
        return out
    }
}
