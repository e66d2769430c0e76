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
                first sync here: a replica that never synced cannot be taken from a bundle. A bundle encrypted to \
                this server's key (`bundle create --encrypt-to server`) is decrypted first. A damaged or forged \
                bundle is refused and nothing is stored; applying a bundle twice stores nothing new. Each apply's result \
                (applied, or refused with its reason) is counted in the database, for a serving instance's /metrics.
                Example: sync-server bundle apply /media/usb/field.fsbundle --db sync-server.sqlite
                """
        )
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The bundle file.") var file: String

        func run() async throws {
            let data = try VersionBundle.loadData(path: file)
            let (bundle, report, vector) = try await database.withStore { store in
                do {
                    // A bundle encrypted to this server's key is opened with it first.
                    let plain = SealedBundle.isSealed(data) ? try SealedBundle.open(data, privateKey: try await store.bundleKey().privateKey) : data
                    let bundle = try VersionBundle.read(plain)
                    // Counted as applied by the transaction that stores it.
                    // The sender signs the header, so only the homes of records it wrote itself are its to name.
                    let versions = bundle.versions
                    let senders = Set(versions.filter { $0.author == bundle.header.sender.analyst }.map(\.record))
                    let others = Set(versions.filter { $0.author != bundle.header.sender.analyst }.map(\.record))
                    let homes = (bundle.header.homes ?? []).filter { senders.contains($0.record) && !others.contains($0.record) }
                    let stored = try await store.storeCarried(versions, signatures: bundle.header.signatures, homes: homes, at: WallClock.now())
                    return (bundle, stored.report, stored.vector)
                } catch {
                    // The refusal is what the operator must hear; a database that cannot count it
                    // either has already said why in that refusal.
                    try? await store.recordRefusedBundleApply(BundleApplyResult.Reason(error), at: WallClock.now())
                    throw error
                }
            }
            let sender = bundle.header.sender
            print("Applied bundle \(bundle.header.id) from \(sender.analyst) (replica \(sender.replica.short)): stored \(report.new) new version\(report.new == 1 ? "" : "s"), \(report.duplicates) already held, new conflicts \(report.newConflicts.count)")
            for run in bundle.header.covers {
                print("  replica \(run.replica.short): now holds versions up to \(vector[run.replica])")
            }
        }
    }
}
