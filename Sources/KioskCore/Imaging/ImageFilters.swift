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
    public func sharpened(radius: Int = 2, amount: Int = 2) -> GrayImage {
        let amount = Int32(amount)
        return mappedWithLocalSum(radius: radius) { pixel, sum, area in
            UInt8(clamping: pixel + amount * (pixel - sum / area))
        }
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
