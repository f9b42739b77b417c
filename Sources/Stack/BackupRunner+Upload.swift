import Foundation
import Topology

/// `backups.upload` after each dump `ovudev backup` makes, as the crontab line runs it: the
/// command through sh with the file's path in place of `{file}` (as `"$1"`: any path is one word).
extension BackupRunner {
    func upload(_ file: BackupFile) throws {
        guard let command = plan.backups.uploadCommand(file: "\"$1\"") else { return }
        progress("upload \(file.target): \(plan.backups.upload ?? "")")
        let r = try Subprocess.run(["sh", "-c", command, "sh", file.path], environment: ProcessInfo.processInfo.environment, directory: backupsDirectory)
        let stamp = ISO8601DateFormatter().string(from: Date())
        if r.status == 0 {
            appendLog("\(stamp) ok upload \(file.path)")
            return
        }
        appendLog("\(stamp) FAILED upload \(file.path) (exit \(r.status))\n\(r.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        throw EngineError("backup \(file.target): the upload failed (exit \(r.status)); the dump is kept at \(file.path):\n\(r.output.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// A line in `<backups>/backup.log`, the log the crontab's lines write.
    func appendLog(_ text: String) {
        let path = (backupsDirectory as NSString).appendingPathComponent("backup.log")
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((text + "\n").utf8))
    }
}
