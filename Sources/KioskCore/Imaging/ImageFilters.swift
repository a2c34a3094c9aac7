/// The pixel operations the decoding cascade uses. Each is a single pass over the image in
/// plain loops over unsafe buffers: they run on every frame and must cost well under a
/// millisecond at 720p.
extension GrayImage {
    /// Light modules on dark become dark on light (phone screens in dark mode).
    public func inverted() -> GrayImage {
        let source = packed
        var out = [UInt8](repeating: 0, count: width * height)
        source.pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for index in 0..<input.count { output[index] = 255 &- input[index] }
            }
        }
        return GrayImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// Half the width and height, each pixel the mean of a 2×2 block. Blur and noise shrink,
    /// a large code still has modules of a pixel or more, and zbar runs four times faster.
    public func downscaledByTwo() -> GrayImage {
        let outWidth = width / 2
        let outHeight = height / 2
        guard outWidth > 0, outHeight > 0 else { return self }
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        let stride = self.stride
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for y in 0..<outHeight {
                    let row0 = 2 * y * stride
                    let row1 = row0 + stride
                    let target = y * outWidth
                    for x in 0..<outWidth {
                        let sum = Int(input[row0 + 2 * x]) + Int(input[row0 + 2 * x + 1])
                            + Int(input[row1 + 2 * x]) + Int(input[row1 + 2 * x + 1])
                        output[target + x] = UInt8(truncatingIfNeeded: (sum + 2) >> 2)
                    }
                }
            }
        }
        return GrayImage(uncheckedWidth: outWidth, height: outHeight, pixels: out)
    }

    /// The mean of each `factor`×`factor` block (the last row and column of blocks may be partial):
    /// the scene gate's preview, 1/64 of the pixels, with sensor noise averaged away. Sums whole
    /// rows into per-block accumulators, so the inner loop is one add a pixel.
    public func blockAveraged(by factor: Int) -> GrayImage {
        precondition(factor > 0)
        let outWidth = (width + factor - 1) / factor
        let outHeight = (height + factor - 1) / factor
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        var sums = [Int](repeating: 0, count: outWidth)
        let stride = self.stride, width = self.width, height = self.height
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                sums.withUnsafeMutableBufferPointer { sums in
                    for blockRow in 0..<outHeight {
                        let top = blockRow * factor
                        let rows = min(factor, height - top)
                        for x in 0..<outWidth { sums[x] = 0 }
                        for y in top..<(top + rows) {
                            let row = input.baseAddress! + y * stride
                            var x = 0
                            for block in 0..<outWidth {
                                let end = min(x + factor, width)
                                var sum = 0
                                while x < end { sum &+= Int(row[x]); x += 1 }
                                sums[block] &+= sum
                            }
                        }
                        let target = blockRow * outWidth
                        for block in 0..<outWidth {
                            let columns = min(factor, width - block * factor)
                            let count = columns * rows
                            output[target + block] = UInt8(truncatingIfNeeded: (sums[block] + count / 2) / count)
                        }
                    }
                }
            }
        }
        return GrayImage(uncheckedWidth: outWidth, height: outHeight, pixels: out)
    }

    /// A region scaled up by `factor` with bilinear interpolation: small, far codes get modules
    /// of several pixels, which zbar's finder needs.
    public func upscaled(region: PixelRect, factor: Int) -> GrayImage {
        let region = region.clamped(width: width, height: height)
        let outWidth = min(region.width * factor, GrayImage.maxDimension)
        let outHeight = min(region.height * factor, GrayImage.maxDimension)
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        let stride = self.stride
        let scale = 1.0 / Double(factor)
        let maxX = region.x + region.width - 1
        let maxY = region.y + region.height - 1
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for y in 0..<outHeight {
                    let sy = max(0, (Double(y) + 0.5) * scale - 0.5) + Double(region.y)
                    let y0 = min(Int(sy), maxY)
                    let y1 = min(y0 + 1, maxY)
                    let fy = Int((sy - Double(y0)) * 256)
                    for x in 0..<outWidth {
                        let sx = max(0, (Double(x) + 0.5) * scale - 0.5) + Double(region.x)
                        let x0 = min(Int(sx), maxX)
                        let x1 = min(x0 + 1, maxX)
                        let fx = Int((sx - Double(x0)) * 256)
                        let top = Int(input[y0 * stride + x0]) * (256 - fx) + Int(input[y0 * stride + x1]) * fx
                        let bottom = Int(input[y1 * stride + x0]) * (256 - fx) + Int(input[y1 * stride + x1]) * fx
                        output[y * outWidth + x] = UInt8(truncatingIfNeeded: (top * (256 - fy) + bottom * fy) >> 16)
                    }
                }
            }
        }
        return GrayImage(uncheckedWidth: outWidth, height: outHeight, pixels: out)
    }

    /// Stretches the 1st…99th percentile of the histogram to 0…255: a washed-out or dim code
    /// (glare, low screen brightness) regains full contrast.
    public func contrastStretched() -> GrayImage {
        let source = packed
        var histogram = [Int](repeating: 0, count: 256)
        source.pixels.withUnsafeBufferPointer { input in
            for value in input { histogram[Int(value)] += 1 }
        }
        let total = width * height
        let cut = total / 100
        var low = 0, seen = 0
        while low < 255, seen + histogram[low] <= cut { seen += histogram[low]; low += 1 }
        var high = 255
        seen = 0
        while high > low, seen + histogram[high] <= cut { seen += histogram[high]; high -= 1 }
        guard high > low else { return source }
        var lookup = [UInt8](repeating: 0, count: 256)
        for value in 0..<256 {
            let stretched = (value - low) * 255 / (high - low)
            lookup[value] = UInt8(clamping: stretched)
        }
        var out = [UInt8](repeating: 0, count: total)
        source.pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for index in 0..<total { output[index] = lookup[Int(input[index])] }
            }
        }
        return GrayImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// Local-mean thresholding over a `window`-pixel square: uneven light, glare and shadows
    /// across the code turn into clean black and white modules.
    public func adaptivelyBinarised(window: Int = 31, offset: Int = 8) -> GrayImage {
        let offset = Int32(offset)
        return mappedWithLocalSum(radius: window / 2) { pixel, sum, area in
            (pixel + offset) * area < sum ? 0 : 255
        }
    }

    /// Unsharp mask: the frame plus `amount` times its difference from a (2·radius+1)² box mean.
    /// Steepens the soft module edges of a defocused or moving code.
    ///
    /// The box mean is separable running sums (a row pass, then a column pass), and the division
    /// by the window's area a multiplication by its fixed-point reciprocal: about 1.5 ms at
    /// 1280×720, where a summed-area table with a division a pixel took 15 ms — too slow for the
    /// live budget, which is where far, small codes need it.
    public func sharpened(radius: Int = 2, amount: Int = 2) -> GrayImage {
        precondition(radius >= 1 && radius <= 100)
        let source = packed
        let w = width, h = height, r = radius
        var rows = [UInt16](repeating: 0, count: w * h)
        var out = [UInt8](repeating: 0, count: w * h)
        // Pixels of the window in each column and row (fewer at the edges), and 65536 / area.
        let xCounts: [Int32] = (0..<w).map { (x: Int) -> Int32 in Int32(min(w - 1, x + r) - max(0, x - r) + 1) }
        let side = 2 * r + 1
        let reciprocals: [Int32] = (0...side * side).map { (area: Int) -> Int32 in
            area == 0 ? 0 : Int32((65_536 + area / 2) / area)
        }
        let interior = reciprocals[side * side]
        let amount = Int32(amount)
        source.pixels.withUnsafeBufferPointer { input in
            rows.withUnsafeMutableBufferPointer { rows in
                for y in 0..<h {
                    let row = y * w
                    // The window [x - r, x + r], clipped: grows on the left edge, slides, shrinks.
                    var sum = 0
                    for x in 0..<min(r, w) { sum += Int(input[row + x]) }
                    let growEnd = min(w, r + 1), slideEnd = max(growEnd, w - r)
                    for x in 0..<growEnd {
                        if x + r < w { sum += Int(input[row + x + r]) }
                        rows[row + x] = UInt16(truncatingIfNeeded: sum)
                    }
                    for x in growEnd..<slideEnd {
                        sum += Int(input[row + x + r]) - Int(input[row + x - r - 1])
                        rows[row + x] = UInt16(truncatingIfNeeded: sum)
                    }
                    for x in slideEnd..<w {
                        if x + r < w { sum += Int(input[row + x + r]) }
                        sum -= Int(input[row + x - r - 1])
                        rows[row + x] = UInt16(truncatingIfNeeded: sum)
                    }
                }
                var columns = [Int32](repeating: 0, count: w)
                columns.withUnsafeMutableBufferPointer { columns in
                    for y in 0..<min(r, h) { for x in 0..<w { columns[x] &+= Int32(rows[y * w + x]) } }
                    out.withUnsafeMutableBufferPointer { output in
                        xCounts.withUnsafeBufferPointer { xCounts in
                            reciprocals.withUnsafeBufferPointer { reciprocals in
                                for y in 0..<h {
                                    if y + r < h { let add = (y + r) * w; for x in 0..<w { columns[x] &+= Int32(rows[add + x]) } }
                                    if y - r - 1 >= 0 { let drop = (y - r - 1) * w; for x in 0..<w { columns[x] &-= Int32(rows[drop + x]) } }
                                    let yCount = Int32(min(h - 1, y + r) - max(0, y - r) + 1)
                                    let row = y * w
                                    // Where the whole window is inside, one reciprocal for the row's interior.
                                    let full = yCount == Int32(side) && w > 2 * r
                                    let inner = full ? r..<(w - r) : 0..<0
                                    for x in inner {
                                        let mean = (columns[x] &* interior &+ 32_768) >> 16
                                        let pixel = Int32(input[row + x])
                                        output[row + x] = UInt8(clamping: pixel &+ amount &* (pixel &- mean))
                                    }
                                    let edges = inner.isEmpty ? [0..<w] : [0..<r, (w - r)..<w]
                                    for range in edges {
                                        for x in range {
                                            let mean = (columns[x] &* reciprocals[Int(xCounts[x] &* yCount)] &+ 32_768) >> 16
                                            let pixel = Int32(input[row + x])
                                            output[row + x] = UInt8(clamping: pixel &+ amount &* (pixel &- mean))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return GrayImage(uncheckedWidth: w, height: h, pixels: out)
    }

    /// Maps every pixel with the sum and pixel count of the (2·radius+1)² square around it
    /// (clipped at the edges), from a summed-area table: constant cost whatever the radius.
    @inline(__always)
    private func mappedWithLocalSum(radius: Int, _ transform: (_ pixel: Int32, _ sum: Int32, _ area: Int32) -> UInt8) -> GrayImage {
        let source = packed
        let w = width, h = height
        var integral = [Int32](repeating: 0, count: (w + 1) * (h + 1))
        var out = [UInt8](repeating: 0, count: w * h)
        source.pixels.withUnsafeBufferPointer { input in
            integral.withUnsafeMutableBufferPointer { sums in
                for y in 0..<h {
                    var rowSum: Int32 = 0
                    for x in 0..<w {
                        rowSum += Int32(input[y * w + x])
                        sums[(y + 1) * (w + 1) + x + 1] = sums[y * (w + 1) + x + 1] + rowSum
                    }
                }
            }
            integral.withUnsafeBufferPointer { sums in
                out.withUnsafeMutableBufferPointer { output in
                    for y in 0..<h {
                        let y0 = max(0, y - radius), y1 = min(h, y + radius + 1)
                        for x in 0..<w {
                            let x0 = max(0, x - radius), x1 = min(w, x + radius + 1)
                            let area = Int32((y1 - y0) * (x1 - x0))
                            let sum = sums[y1 * (w + 1) + x1] - sums[y0 * (w + 1) + x1]
                                - sums[y1 * (w + 1) + x0] + sums[y0 * (w + 1) + x0]
                            output[y * w + x] = transform(Int32(input[y * w + x]), sum, area)
                        }
                    }
                }
            }
        }
        return GrayImage(uncheckedWidth: w, height: h, pixels: out)
    }

    /// A copy of a rectangle of this image.
    public func cropped(to rect: PixelRect) -> GrayImage {
        let rect = rect.clamped(width: width, height: height)
        var out = [UInt8](repeating: 0, count: rect.width * rect.height)
        for y in 0..<rect.height {
            let from = (rect.y + y) * stride + rect.x
            out.replaceSubrange(y * rect.width..<(y + 1) * rect.width, with: pixels[from..<from + rect.width])
        }
        return GrayImage(uncheckedWidth: rect.width, height: rect.height, pixels: out)
    }
}

/// A rectangle of pixels, origin top-left.
public struct PixelRect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The part of this rectangle inside a `width`×`height` image (at least one pixel).
    func clamped(width imageWidth: Int, height imageHeight: Int) -> PixelRect {
        let x0 = min(max(0, x), imageWidth - 1)
        let y0 = min(max(0, y), imageHeight - 1)
        let x1 = min(max(x0 + 1, x + width), imageWidth)
        let y1 = min(max(y0 + 1, y + height), imageHeight)
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}
