import Foundation
import Testing
@testable import Renderers

/// A rendered file set against a golden folder: `Golden/<folder>/…` holds every file's bytes and
/// `Golden/<folder>.files` the listing with modes (`0644 docker-compose.yml`). A file on disk that
/// the render no longer makes is reported too. With OVUDEV_RECORD=1 the folder and its listing are
/// written instead, and the test records an issue, so a recording is never mistaken for a pass.
enum GoldenFolder {
    static func compare(_ files: [RenderedFile], folder: String) throws {
        let dir = "\(Bundles.goldenRoot)/\(folder)"
        let listingPath = "\(dir).files"
        let fm = FileManager.default
        if GoldenTests.recording {
            try? fm.removeItem(atPath: dir)
            for file in files {
                let path = "\(dir)/\(file.path)"
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path))
            }
            try Data(GoldenTests.listing(files).utf8).write(to: URL(fileURLWithPath: listingPath))
            Issue.record("recorded \(files.count) golden files into \(dir); rerun without OVUDEV_RECORD=1 and read `git diff`")
            return
        }
        let listing = try #require(try? String(contentsOfFile: listingPath, encoding: .utf8), "no \(listingPath); record with OVUDEV_RECORD=1")
        if let diff = firstDifference(expected: listing, actual: GoldenTests.listing(files)) { Issue.record("\(folder).files differs: \(diff)") }
        var stored: [String] = []
        if let walker = fm.enumerator(atPath: dir) {
            while let relative = walker.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: "\(dir)/\(relative)", isDirectory: &isDirectory), !isDirectory.boolValue { stored.append(relative) }
            }
        }
        let rendered = Set(files.map(\.path))
        for stale in stored.sorted() where !rendered.contains(stale) { Issue.record("\(folder)/\(stale) is no longer rendered; record with OVUDEV_RECORD=1") }
        for file in files {
            guard let expected = try? String(contentsOfFile: "\(dir)/\(file.path)", encoding: .utf8) else {
                Issue.record("missing \(folder)/\(file.path); record with OVUDEV_RECORD=1"); continue
            }
            if let diff = firstDifference(expected: expected, actual: file.contents) { Issue.record("\(folder)/\(file.path) differs: \(diff)") }
        }
    }
}
