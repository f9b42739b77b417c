import Foundation
import Testing
import Workspace
@testable import Stack

/// FIPS 180-4 test vectors, fed whole and in uneven pieces (the streaming path of seed files),
/// and random data against coreutils' sha256sum.
@Suite struct SHA256Tests {
    static func hash(_ bytes: some Collection<UInt8>, step: (Int) -> Int = { _ in .max }) -> String {
        let bytes = Array(bytes)
        let hash = SHA256()
        var offset = 0, piece = 0
        repeat {
            let end = min(bytes.count, offset + max(1, step(piece)))
            bytes[offset..<end].withUnsafeBytes { hash.update($0) }
            offset = end
            piece += 1
        } while offset < bytes.count
        return hash.finalize()
    }

    @Test func knownVectors() {
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (input, digest) in vectors {
            #expect(Self.hash(input.utf8) == digest, "\(input)")
            #expect(SHA256.hex(Array(input.utf8)) == digest, "\(input)")
        }
    }

    @Test func millionAsWholeAndInUnevenPieces() {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Self.hash(bytes) == million)
        var step = 1
        #expect(Self.hash(bytes) { _ in defer { step = step * 3 % 1000 + 1 }; return step } == million)
    }

    /// The three overloads agree, pieces fed as [UInt8], Data and raw bytes in turn equal the
    /// digest of the whole, and after `finalize` the hash starts again empty.
    @Test func streamedPiecesEqualOneShot() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<10_007).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = SHA256.hex(bytes)
        let streamed = SHA256()
        var offset = 0, piece = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + [1, 63, 64, 65, 129, 997][piece % 6])
            switch piece % 3 {
            case 0: streamed.update(Array(bytes[offset..<end]))
            case 1: streamed.update(Data(bytes[offset..<end]))
            default: bytes[offset..<end].withUnsafeBytes { streamed.update($0) }
            }
            offset = end
            piece += 1
        }
        #expect(streamed.finalize() == whole)
        streamed.update(Data(bytes))
        #expect(streamed.finalize() == whole)
        #expect(streamed.finalize() == SHA256.hex([]))
    }

    /// Random data of every length around the block and padding boundaries, and a large one,
    /// against coreutils' sha256sum.
    @Test func randomDataAgreesWithSha256sum() throws {
        var generator = SystemRandomNumberGenerator()
        let lengths = Array(0...130) + [191, 192, 193, 1000, 4095, 4096, 65_537, 3_000_001]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-sha-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var ours: [String: String] = [:]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let name = "\(length).bin"
            try Data(bytes).write(to: directory.appendingPathComponent(name))
            ours[name] = Self.hash(bytes) { piece in piece % 2 == 0 ? 100_003 : 37 }
        }
        let sum = try ChildProcess.run(["sha256sum"] + lengths.map { "\($0).bin" }, directory: directory.path)
        #expect(sum.status == 0, "\(sum.stderr)")
        let output = sum.stdout
        var theirs: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { theirs[String(parts[1])] = String(parts[0]) }
        }
        #expect(theirs.count == lengths.count)
        for (name, digest) in ours {
            #expect(theirs[name] == digest, "\(name)")
        }
        // The file path of seeds: Seeder.checksum reads the file in 1 MiB pieces.
        let big = directory.appendingPathComponent("3000001.bin").path
        #expect(try Seeder.checksum(big) == theirs["3000001.bin"])
    }
}
