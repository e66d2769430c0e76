import ArgumentParser
import Foundation
import SyncModel
import SyncProtocol

struct CompartmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compartment",
        abstract: "Make and list compartments: the parts of the dashboard analysts are cleared for.",
        discussion: """
            Every record is in one compartment (a signal in those of the cells it names); an analyst \
            receives only the records of compartments they are cleared for (`sync-server clearance`). \
            A team that makes none keeps every record in 'default', which every new analyst may write.
            """,
        subcommands: [Add.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Make a compartment; nobody is cleared for it until granted.",
            discussion: "Example: sync-server compartment add indo-pacific --db field.sqlite"
        )
        @Argument(help: "1 to 40 lowercase letters, digits and hyphens, starting with a letter.") var name: String
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            do { _ = try Compartment.checkName(name) } catch { throw ValidationError("\(error)") }
        }

        func run() async throws {
            try await database.withStore { try await $0.addCompartment(name, at: WallClock.now()) }
            print("Made compartment '\(name)'. Clear analysts for it with `sync-server clearance grant NAME \(name) [--write]`.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List compartments with how many records each holds.",
            discussion: "Example: sync-server compartment list --db field.sqlite"
        )
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            for entry in try await database.withStore({ try await $0.compartments() }) {
                print("\(entry.name)\t\(entry.records) record\(entry.records == 1 ? "" : "s")")
            }
        }
    }
}

struct ClearanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearance",
        abstract: "Grant, revoke and list analysts' clearances for compartments.",
        discussion: """
            A clearance lets an analyst read a compartment, or with --write read and write it. A revoke \
            takes effect at once on the server; the analyst's replicas delete that compartment's records \
            at their next sync, setting aside any writes they had not sent.
            """,
        subcommands: [Grant.self, Revoke.self, List.self, Default.self]
    )

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grant", abstract: "Clear an analyst to read a compartment (with --write, to read and write it).",
            discussion: "Their next sync brings the compartment's records with their whole history.\nExample: sync-server clearance grant alice indo-pacific --write --db field.sqlite"
        )
        @Argument var analyst: String
        @Argument var compartment: String
        @Flag(help: "Let them write it too.") var write = false
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await database.withStore { try await $0.grant(analyst: analyst, compartment: compartment, write: write) }
            print("Cleared '\(analyst)' to \(write ? "read and write" : "read") compartment '\(compartment)'; their next sync brings its records.")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Remove an analyst's clearance for a compartment.",
            discussion: "The server stops serving it at once; their replicas delete its records at their next sync.\nExample: sync-server clearance revoke alice indo-pacific --db field.sqlite"
        )
        @Argument var analyst: String
        @Argument var compartment: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            if try await database.withStore({ try await $0.revokeClearance(analyst: analyst, compartment: compartment) }) {
                print("Revoked \(analyst)'s clearance for '\(compartment)'; their replicas delete its records at their next sync.")
            } else {
                print("'\(analyst)' had no clearance for '\(compartment)'; nothing changed.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List clearances, of every analyst or of one.",
            discussion: "Example: sync-server clearance list alice --db field.sqlite"
        )
        @Argument var analyst: String?
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            for entry in try await database.withStore({ try await $0.clearances(analyst: analyst) }) {
                print("\(entry.analyst)\t\(entry.clearance.compartment)\t\(entry.clearance.level)")
            }
        }
    }

    struct Default: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "default", abstract: "Set the compartment an analyst's new cells and signals go to when they name none.",
            discussion: "Example: sync-server clearance default alice indo-pacific --db field.sqlite"
        )
        @Argument var analyst: String
        @Argument var compartment: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await database.withStore { try await $0.setHome(analyst: analyst, compartment: compartment) }
            print("New records of '\(analyst)' go to '\(compartment)' unless they name another (`sync-client cell create --compartment NAME`).")
        }
    }
}
