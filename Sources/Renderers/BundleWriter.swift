import Workspace
import Foundation

/// Writes a bundle all-or-nothing: every file goes into a staging folder next to the target,
/// which then replaces the target by rename. Files in the old bundle that ovudev did not
/// render (a `.env` the user filled in) are carried over.
public enum BundleWriter {
    /// The list of files ovudev wrote, kept inside the bundle to tell them from the user's.
    static let listName = ".ovudev-files"

    public static func write(_ files: [RenderedFile], to directory: String) throws {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        let parent = (target as NSString).deletingLastPathComponent
        let base = (target as NSString).lastPathComponent
        try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = (parent as NSString).appendingPathComponent(".\(base).staging-\(getpid())")
        let retired = (parent as NSString).appendingPathComponent(".\(base).old-\(getpid())")
        try? fm.removeItem(atPath: staging)
        try? fm.removeItem(atPath: retired)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for file in files {
                let path = (staging as NSString).appendingPathComponent(file.path)
                try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
                // No fsync per file: the folder appears by one rename, after the files are written.
                try writeFileAtomically(path: path, data: Data(file.contents.utf8), mode: mode_t(file.mode), sync: false)
            }
            let list = files.map(\.path).sorted().joined(separator: "\n") + "\n"
            try writeFileAtomically(path: (staging as NSString).appendingPathComponent(listName), data: Data(list.utf8), mode: 0o644)

            var isDir: ObjCBool = false
            if fm.fileExists(atPath: target, isDirectory: &isDir) {
                guard isDir.boolValue else { throw RenderError(message: "\(target) exists and is not a folder") }
                try carryOverUserFiles(from: target, to: staging, rendered: Set(files.map(\.path)))
                guard rename(target, retired) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                guard rename(staging, target) == 0 else {
                    let code = errno
                    rename(retired, target)
                    throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
                }
                try? fm.removeItem(atPath: retired)
            } else {
                guard rename(staging, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            }
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
    }

    private static func carryOverUserFiles(from old: String, to staging: String, rendered: Set<String>) throws {
        let fm = FileManager.default
        let listPath = (old as NSString).appendingPathComponent(listName)
        let previous: Set<String> = (try? String(contentsOfFile: listPath, encoding: .utf8)).map { Set($0.split(separator: "\n").map(String.init)) } ?? []
        guard let enumerator = fm.enumerator(atPath: old) else { return }
        while let relative = enumerator.nextObject() as? String {
            let source = (old as NSString).appendingPathComponent(relative)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: source, isDirectory: &isDir), !isDir.boolValue else { continue }
            if relative == listName || rendered.contains(relative) || previous.contains(relative) { continue }
            let destination = (staging as NSString).appendingPathComponent(relative)
            try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: source, toPath: destination)
        }
    }
}
