import ArgumentParser
import Foundation
import SyncModel
import SyncProtocol

struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Take versions carried in a bundle file (a courier's USB stick).",
        subcommands: [Apply.self]
    )

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Check a bundle from `sync-client bundle create` and store its versions in one transaction.",
            discussion: """
                Every version must be signed by the replica that wrote it, with the key that replica bound at its \
                first sync here: a replica that never synced cannot be taken from a bundle. A damaged or forged \
                bundle is refused and nothing is stored; applying a bundle twice stores nothing new.
                Example: sync-server bundle apply /media/usb/field.fsbundle --db sync-server.sqlite
                """
        )
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The bundle file.") var file: String

        func run() async throws {
            let bundle = try VersionBundle.load(path: file)
            let (report, vector) = try await database.withStore { store in
                try await store.storeCarried(bundle.versions, signatures: bundle.header.signatures, at: WallClock.now())
            }
            let sender = bundle.header.sender
            print("Applied bundle \(bundle.header.id) from \(sender.analyst) (replica \(sender.replica.short)): stored \(report.new) new versions, \(report.duplicates) already held, new conflicts \(report.newConflicts.count)")
            for run in bundle.header.covers {
                print("  replica \(run.replica.short): now holds versions up to \(vector[run.replica])")
            }
        }
    }
}
