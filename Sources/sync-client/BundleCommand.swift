import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Carry versions in a file where no network reaches: create, apply, show.",
        discussion: """
            A bundle holds versions signed by the replicas that wrote them, so it can pass through anyone's hands \
            (a colleague's laptop, a courier, a USB stick) and still reach the server and other replicas unaltered. \
            A replica that applies a bundle carries its versions on to the server at its next sync.
            Examples:
              sync-client bundle create --output /media/usb/field.fsbundle
              sync-client bundle create --for bob --output to-bob.fsbundle
              sync-client bundle show /media/usb/field.fsbundle
              sync-client bundle apply /media/usb/field.fsbundle
            """,
        subcommands: [Create.self, Apply.self, Show.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Write the versions a receiver lacks to a bundle file.",
            discussion: """
                By default: this replica's writes the server has not acknowledged, and the versions it carries for \
                others that the server has not taken (for a colleague who will sync before you). --for NAME: instead, \
                everything that analyst (or replica) is known to lack, from the last bundle of theirs applied here \
                (everything, if none was), and only records that analyst is cleared to read, as the server last told this \
                replica (their versions of other records are left out, and counted). --since: instead, everything a \
                version vector, or the last bundle file the receiver sent, does not cover. Versions this replica received \
                from the server carry no signatures and are left out (the receiver gets them by syncing). A bundle for no \
                named analyst carries no record outside the default compartment unless it is encrypted to the server.
                """
        )
        @OptionGroup var options: ReplicaOption
        @OptionGroup var json: JSONFlag
        @Option(help: ArgumentHelp("The bundle file to write.", valueName: "path")) var output: String
        @Option(name: .customLong("for"), help: ArgumentHelp("An analyst (or a replica id whose bundles were applied here): bundle what they lack and may read.", valueName: "name"))
        var receiver: String?
        @Option(help: ArgumentHelp("A bundle file from the receiver, or a version vector (uuid:counter,...): bundle what it does not cover.", valueName: "file-or-vector"))
        var since: String?
        @Option(help: ArgumentHelp("Encrypt the bundle to the sync server's key ('server'), fetched at init or sync: only the server can open it.", valueName: "server"))
        var encryptTo: String?

        func validate() throws {
            if let encryptTo, encryptTo != "server" {
                throw ValidationError("--encrypt-to takes 'server' (the sync server's key); bundles are not encrypted to analysts")
            }
        }

        func run() throws {
            Self.keepLargeBuffersOutOfTheHeap()
            let replica = try options.open()
            var beyond: VersionVector?
            var notes: [String] = []
            // A bundle for a named analyst carries only what they may read; one for anyone
            // (or sealed to the server, which checks every author's clearances) carries no
            // record outside the default compartment unless sealed.
            let filter = try encryptTo == nil ? receiver.map(replica.bundleFilter(for:)) ?? nil : nil
            if let receiver {
                if let holds = try replica.peerHolds(receiver) {
                    beyond = holds
                } else {
                    beyond = VersionVector()
                    notes.append("No bundle from '\(receiver)' was applied here, so what they hold is unknown: the bundle carries every version this replica can vouch for\(filter == nil ? "" : " that they may read").")
                }
            }
            if let since {
                let holds = try Self.vector(since)
                beyond = beyond.map { $0.meet(holds) } ?? holds
            }
            let made = try replica.makeBundle(beyond: beyond, filter: filter, at: WallClock.now())
            if filter == nil && encryptTo == nil {
                let restricted = try replica.restrictedRecordCount(in: made.bundle.records)
                if restricted > 0 {
                    throw ClientError("the bundle would carry \(restricted) record\(restricted == 1 ? "" : "s") outside the default compartment to whoever opens it; name its receiver with `--for NAME` (it then carries only what they are cleared for), or make it with `--encrypt-to server` (only `sync-server bundle apply` opens it, and it checks every author's clearances). No file was written")
                }
            }
            if let filter, made.withheld > 0 {
                notes.append("Left out \(made.withheld) version\(made.withheld == 1 ? "" : "s") of records \(filter.receiver) is not cleared for (as the server last told this replica).")
            }
            if made.entangled > 0 {
                notes.append("Left out \(made.entangled) version\(made.entangled == 1 ? "" : "s") \(filter?.receiver ?? "the receiver") may read: their author signed them together with versions \(filter?.receiver ?? "the receiver") may not; they come with the receiver's next sync.")
            }
            if made.unsigned > 0 {
                notes.append("Left out \(made.unsigned) version\(made.unsigned == 1 ? "" : "s") received from the server: they carry no author's signature; the receiver gets them by syncing.")
            }
            guard made.bundle.header.count > 0 else {
                notes.insert(beyond == nil
                    ? "Nothing to bundle: the server has every write of this replica and everything it carries; no file was written."
                    : "Nothing to bundle: the receiver holds every version this replica can vouch for; no file was written.", at: 0)
                if json.json { return printJSON(BundleJSON.Created(made, path: nil, bytes: 0, notes: notes)) }
                return print(notes.joined(separator: "\n"))
            }
            // Written from the bundle's own bytes: a large bundle is not copied to be written.
            var bytes = made.file.count
            if encryptTo != nil {
                guard let key = try replica.serverBundleKey() else {
                    throw ClientError("the server's bundle key is not known here yet: run `sync-client sync` once where there is a network, or leave out --encrypt-to; no file was written")
                }
                let sealed = try SealedBundle.seal(made.file, to: key)
                bytes = sealed.count
                notes.append("Encrypted to the sync server's key (fingerprint \(SealedBundle.fingerprint(key))): only `sync-server bundle apply` can open it.")
                try OutputFile.write(sealed, to: output)
            } else {
                try OutputFile.write(made.file, to: output)
            }
            if json.json { return printJSON(BundleJSON.Created(made, path: output, bytes: bytes, notes: notes)) }
            let byAnalyst = made.bundle.summary.byAnalyst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let wrote = "Wrote bundle \(made.bundle.header.id) to \(output): \(made.bundle.header.count) versions (\(byAnalyst)), \(bytes) bytes."
            print(([wrote] + notes).joined(separator: "\n"))
        }

        /// Has glibc map every buffer of 1 MB or more on its own, for this process. A bundle is
        /// made from chunks read one after another; with glibc's moving threshold they come from
        /// the heap, between the blocks kept, and the heap they grow stays when they are freed
        /// (about 30 MB on a million versions). Costs about a tenth of the command's time, which
        /// runs at twice a first sync's rate.
        static func keepLargeBuffersOutOfTheHeap() {
            #if canImport(Glibc)
            // mallopt is in <malloc.h>, which the Glibc module does not export.
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            typealias SetOption = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            _ = unsafeBitCast(symbol, to: SetOption.self)(mmapThreshold, 1 << 20)
            #endif
        }

        /// A vector as text, or the `holds` of a bundle file.
        static func vector(_ argument: String) throws -> VersionVector {
            if FileManager.default.fileExists(atPath: argument) {
                do {
                    return try VersionBundle.load(path: argument).header.holds
                } catch let error as BundleError {
                    // The bundle's own sentence is an apply's; here nothing is written, not applied.
                    let reason = error.description.replacingOccurrences(of: " Nothing was applied.", with: "")
                    throw ClientError("--since \(argument) cannot be read as the receiver's last bundle: \(reason) Pass another bundle of theirs or a version vector; no file was written")
                }
            }
            if let vector = VersionVector(text: argument) { return vector }
            throw ClientError("--since '\(argument)' is neither a bundle file nor a version vector (uuid:counter,uuid:counter); pass the last bundle the receiver sent, or leave --since out")
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Check a bundle and apply it in one transaction, merging as a sync does.",
            discussion: """
                The file's hash and every signature are checked first, and a bundle whose prerequisites this replica \
                lacks is refused, naming them; nothing is written unless everything applies. Applying a bundle twice \
                changes nothing. Versions of other analysts go on to the server with your next sync.
                """
        )
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The bundle file.") var file: String

        func run() throws {
            let bundle = try VersionBundle.load(path: file)
            let replica = try options.open()
            let applied = try replica.apply(bundle)
            if output.json { return printJSON(BundleJSON.Applied(bundle: bundle, applied: applied)) }
            let report = applied.report
            let sender = bundle.header.sender
            var lines = ["Applied bundle \(bundle.header.id) from \(sender.analyst) (replica \(sender.replica.short)): new \(report.new), already held \(report.duplicates), merged cleanly \(report.cleanMerges), new conflicts \(report.newConflicts.count)"]
            lines += SyncOutcome.conflictLines(report.newConflicts.map(\.rawValue))
            if applied.carried > 0 {
                lines.append("Carrying \(applied.carried) version\(applied.carried == 1 ? "" : "s") of other analysts to the server at your next `sync-client sync`.")
            }
            print(lines.joined(separator: "\n"))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Check a bundle and list what it holds, without applying it.",
            discussion: "Example: sync-client bundle show field.fsbundle"
        )
        @OptionGroup var output: JSONFlag
        @Argument(help: "The bundle file.") var file: String

        func run() throws {
            let data = try VersionBundle.loadData(path: file)
            if SealedBundle.isSealed(data) {
                let fingerprint = try SealedBundle.recipient(of: data)
                if output.json { return printJSON(BundleJSON.Sealed(sealedTo: fingerprint, bytes: data.count)) }
                return print("Bundle encrypted to the sync server's key (fingerprint \(fingerprint)), \(data.count) bytes: only `sync-server bundle apply` can open it.")
            }
            let bundle = try VersionBundle.read(data)
            if output.json { return printJSON(BundleJSON.Shown(bundle)) }
            let header = bundle.header
            let summary = bundle.summary
            var lines = [
                "Bundle \(header.id) (format \(header.format)), signatures checked",
                "  from:     \(header.sender.analyst), replica \(header.sender.replica)",
                "  created:  \(Self.date(header.created))",
            ] + (header.receiver.map { ["  for:      \($0), only records they are cleared to read"] } ?? []) + [
                "  versions: \(header.count) of \(summary.records) records (\(summary.byKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))",
                "  authors:",
            ]
            let analysts = Dictionary(header.authors.map { ($0.replica, $0.analyst) }, uniquingKeysWith: { first, _ in first })
            for run in header.covers {
                lines.append("    \(analysts[run.replica] ?? "?"), replica \(run.replica.short): versions \(run.first)-\(run.last) (\(run.count))")
            }
            lines.append(header.presupposes.isEmpty ? "  needs:    nothing first"
                : "  needs:    " + header.presupposes.entries.map { "\($0.replica.short):1-\($0.counter)" }.joined(separator: ", "))
            print(lines.joined(separator: "\n"))
        }

        static func date(_ milliseconds: Int64) -> String {
            let formatter = ISO8601DateFormatter()
            return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
    }
}

/// `bundle ... --json` shapes.
enum BundleJSON {
    struct Created: Encodable {
        var id: String?
        var path: String?
        var versions: Int
        var bytes: Int
        var byAnalyst: [String: Int]
        var leftOutUnsigned: Int
        /// The analyst a filtered bundle is for, and what it left out for them.
        var receiver: String?
        var leftOutNotCleared: Int
        var leftOutSignedWithOthers: Int
        var notes: [String]

        init(_ made: BundleMade, path: String?, bytes: Int, notes: [String]) {
            id = path == nil ? nil : made.bundle.header.id
            self.path = path
            versions = made.bundle.header.count
            self.bytes = bytes
            byAnalyst = made.bundle.summary.byAnalyst
            leftOutUnsigned = made.unsigned
            receiver = made.bundle.header.receiver
            leftOutNotCleared = made.withheld
            leftOutSignedWithOthers = made.entangled
            self.notes = notes
        }
    }

    struct Sealed: Encodable {
        var sealedTo: String
        var bytes: Int
    }

    struct Applied: Encodable {
        var id: String
        var sender: String
        var new: Int
        var alreadyHeld: Int
        var mergedCleanly: Int
        var newConflicts: [String]
        var carried: Int

        init(bundle: VersionBundle, applied: BundleApplied) {
            id = bundle.header.id
            sender = bundle.header.sender.analyst
            new = applied.report.new
            alreadyHeld = applied.report.duplicates
            mergedCleanly = applied.report.cleanMerges
            newConflicts = applied.report.newConflicts.map(\.rawValue)
            carried = applied.carried
        }
    }

    struct Shown: Encodable {
        struct Run: Encodable {
            var replica: String
            var analyst: String
            var first: UInt64
            var last: UInt64
        }

        var id: String
        var format: Int
        var sender: String
        var senderReplica: String
        var created: Int64
        var versions: Int
        var records: Int
        var byAnalyst: [String: Int]
        var byKind: [String: Int]
        var runs: [Run]
        var presupposes: String
        var receiver: String?

        init(_ bundle: VersionBundle) {
            let header = bundle.header
            receiver = header.receiver
            let summary = bundle.summary
            let analysts = Dictionary(header.authors.map { ($0.replica, $0.analyst) }, uniquingKeysWith: { first, _ in first })
            id = header.id
            format = header.format
            sender = header.sender.analyst
            senderReplica = header.sender.replica.rawValue
            created = header.created
            versions = header.count
            records = summary.records
            byAnalyst = summary.byAnalyst
            byKind = summary.byKind
            runs = header.covers.map { Run(replica: $0.replica.rawValue, analyst: analysts[$0.replica] ?? "?", first: $0.first, last: $0.last) }
            presupposes = header.presupposes.text
        }
    }
}
