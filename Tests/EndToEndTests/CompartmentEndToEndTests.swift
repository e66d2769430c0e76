import Foundation
import Testing
import TestSupport

/// Need-to-know with the real binaries: a restricted cell's text never reaches an analyst who
/// is not cleared for it, arrives with its history when they are, and leaves a laptop whose
/// clearance is revoked, with the owner's unsent writes there set aside, not lost.
@Suite(.serialized, .ownThreads) struct CompartmentEndToEndTests {
    /// Whether `text` appears in the bytes of the replica file or its `-wal` and `-shm`.
    static func filesHold(_ text: String, _ replica: String) -> [String] {
        ["", "-wal", "-shm"].compactMap { suffix in
            guard let data = FileManager.default.contents(atPath: replica + suffix) else { return nil }
            return data.range(of: Data(text.utf8)) != nil ? replica + suffix : nil
        }
    }

    @Test func aRestrictedCellReachesOnlyTheClearedAndLeavesARevokedLaptop() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        func admin(_ arguments: String...) throws -> String {
            let result = try workspace.run("sync-server", arguments + ["--db", server.database])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        _ = try admin("compartment", "add", "east")
        _ = try admin("clearance", "grant", "alice", "east", "--write")
        #expect(try admin("clearance", "list", "alice").contains("alice\teast\tread and write"))

        let sentinel = "SENTINEL-7f3a9c"
        try alice.ok("cell", "create", "--number", "7", "--title", "\(sentinel) title", "--compartment", "east")
        try alice.ok("cell", "set", "7", "assessment", "\(sentinel) first assessment")
        try alice.ok("cell", "set", "7", "assessment", "\(sentinel) second assessment")
        try alice.ok("cell", "create", "--number", "8", "--title", "Open cell")
        try alice.ok("sync")
        try bob.ok("sync")
        let bobsCells = try #require(try bob.json("cell", "list") as? [[String: Any]])
        #expect(bobsCells.count == 1, "bob holds only the open cell: \(bobsCells)")
        #expect(Self.filesHold(sentinel, bob.replica).isEmpty, "no byte of bob's files holds the east cell's text")
        // A bundle for bob carries only what bob may read.
        let toBob = try alice.ok("bundle", "create", "--for", "bob", "--output", workspace.path("to-bob.fsbundle"))
        #expect(toBob.contains("versions of records bob is not cleared for"), "\(toBob)")
        let bobsBundle = try #require(FileManager.default.contents(atPath: workspace.path("to-bob.fsbundle")))
        #expect(bobsBundle.range(of: Data(sentinel.utf8)) == nil, "no byte of bob's bundle holds the east cell's text")
        try bob.ok("bundle", "apply", workspace.path("to-bob.fsbundle"))
        try alice.ok("bundle", "create", "--encrypt-to", "server", "--output", workspace.path("to-server.fsbundle"))
        #expect(try admin("compartment", "list").contains("east\t1 record"))

        // A grant brings the cell with its whole history, though it is older than bob's cursor.
        _ = try admin("clearance", "grant", "bob", "east")
        let granted = try bob.ok("sync")
        #expect(granted.contains("Brought the history of records you are newly cleared for"), "\(granted)")
        #expect(try bob.ok("cell", "show", "7").contains("\(sentinel) second assessment"))
        #expect(try bob.ok("cell", "show", "7").contains("Compartment: east"))
        #expect(try bob.ok("log", "7", "assessment").contains("\(sentinel) first assessment"), "history came too")
        // Read clearance only: bob may not write it, and is told so before anything is written.
        let refused = try bob.fails("cell", "set", "7", "title", "Bob's title")
        #expect(refused.stderr.contains("compartment 'east', which you are cleared only to read"), "\(refused.stderr)")
        #expect(try bob.ok("status").contains("Cleared  default: read and write, east: read"))

        // Alice writes offline in east, then loses her clearance before she syncs.
        let unsent = "UNSENT-41c2e8"
        try alice.ok("cell", "set", "7", "crosswinds", unsent)
        _ = try admin("clearance", "revoke", "alice", "east")
        let revoked = try alice.ok("sync")
        #expect(revoked.contains("1 cell was removed from this laptop: clearance for compartment east revoked"), "\(revoked)")
        #expect(revoked.contains("your 1 unsent write there was saved to"), "\(revoked)")
        for text in [sentinel, unsent] {
            #expect(Self.filesHold(text, alice.replica).isEmpty, "\(text) is gone from every file of alice's replica")
        }
        let setAside = try #require(FileManager.default.contentsOfDirectory(atPath: workspace.path("set-aside")).first)
        let saved = try String(contentsOfFile: workspace.path("set-aside/\(setAside)"), encoding: .utf8)
        #expect(saved.contains(unsent), "the unsent write is in the set-aside file")
        #expect(try alice.ok("status").contains("Removed  1 cell was removed from this laptop"))
        #expect(try alice.ok("status").contains("Pending  nothing to send"), "the set-aside write is not counted as waiting")
        // Her later writes still sync: the set-aside write's counter is passed over.
        try alice.ok("cell", "set", "8", "title", "Open cell, renamed")
        try alice.ok("sync")
        try bob.ok("sync")
        #expect(try bob.ok("cell", "show", "8").contains("Open cell, renamed"))
        #expect(!(try bob.ok("cell", "show", "7").contains(unsent)), "the set-aside write never reached the server")
    }

    @Test func aMoveTakesACellFromAnalystsNotClearedForItsNewCompartment() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        for arguments in [["compartment", "add", "europe"]] {
            #expect(try workspace.run("sync-server", arguments + ["--db", server.database]).status == 0)
        }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        #expect(try workspace.run("sync-server", ["clearance", "grant", "alice", "europe", "--write", "--db", server.database]).status == 0)
        try alice.ok("cell", "create", "--number", "20", "--title", "MOVED-c0ffee")
        try alice.ok("sync")
        try bob.ok("sync")
        #expect(try bob.ok("cell", "show", "20").contains("MOVED-c0ffee"))
        let notCleared = try bob.fails("cell", "move", "20", "--to", "europe")
        #expect(notCleared.stderr.contains("no write clearance for 'europe'") || notCleared.stderr.contains("you have none for 'europe'"), "\(notCleared.stderr)")
        #expect(try alice.ok("cell", "move", "20", "--to", "europe").contains("Moved cell 20 to compartment 'europe'"))
        let moved = try bob.ok("sync")
        #expect(moved.contains("1 cell was removed from this laptop: moved to a compartment you are not cleared for"), "\(moved)")
        #expect(Self.filesHold("MOVED-c0ffee", bob.replica).isEmpty)
        #expect(try alice.ok("cell", "show", "20").contains("MOVED-c0ffee"), "alice, cleared for both, keeps it")
    }

    @Test func aCellCarriedToTheOfficeOnAStickKeepsTheCompartmentItWasMadeIn() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        for arguments in [["compartment", "add", "east"], ["clearance", "grant", "alice", "east", "--write"]] {
            let result = try workspace.run("sync-server", arguments + ["--db", server.database])
            #expect(result.status == 0, "\(result.stderr)")
        }
        try alice.ok("sync")
        // Offline, alice makes an east cell and sends it to the office on a stick.
        try alice.ok("cell", "create", "--number", "9", "--title", "STICK-5e1f", "--compartment", "east")
        let stick = workspace.path("office.fsbundle")
        try alice.ok("bundle", "create", "--encrypt-to", "server", "--output", stick)
        let applied = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", server.database])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try workspace.run("sync-server", ["compartment", "list", "--db", server.database]).stdout.contains("east\t1 record"))
        try bob.ok("sync")
        #expect(Self.filesHold("STICK-5e1f", bob.replica).isEmpty, "the cell stayed in east: bob never received it")
    }

    @Test func aBundleForAColleagueCarriesWhatTheyMayReadAndARevokeRemovesItFromTheirLaptop() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        func admin(_ arguments: String...) throws {
            let result = try workspace.run("sync-server", arguments + ["--db", server.database])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        let carol = try server.client("carol")
        try admin("compartment", "add", "east")
        try admin("clearance", "grant", "alice", "east", "--write")
        try admin("clearance", "grant", "carol", "east")
        // Each learns what the others may read at the sync after a clearance changes.
        for analyst in [alice, bob, carol] { try analyst.ok("sync") }

        // Offline, alice writes an east cell and an open one, and hands bundles round.
        let sentinel = "STICK-EAST-93d1"
        try alice.ok("cell", "create", "--number", "7", "--title", "\(sentinel) title", "--compartment", "east")
        try alice.ok("cell", "set", "7", "assessment", "\(sentinel) assessment")
        try alice.ok("cell", "create", "--number", "8", "--title", "OPEN-2b7e")
        let toCarol = workspace.path("to-carol.fsbundle"), toBob = workspace.path("to-bob.fsbundle")
        try alice.ok("bundle", "create", "--for", "carol", "--output", toCarol)
        try alice.ok("bundle", "create", "--for", "bob", "--output", toBob)
        #expect(try workspace.run("sync-client", ["bundle", "show", toBob]).stdout.contains("for:      bob, only records they are cleared to read"))
        // A bundle for anyone could reach someone not cleared for the east cell: it is not made.
        let anyone = try alice.fails("bundle", "create", "--output", workspace.path("to-anyone.fsbundle"))
        #expect(anyone.stderr.contains("outside the default compartment") && anyone.stderr.contains("--for NAME"), "\(anyone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("to-anyone.fsbundle")))
        #expect(FileManager.default.contents(atPath: toBob)?.range(of: Data(sentinel.utf8)) == nil)
        #expect(FileManager.default.contents(atPath: toCarol)?.range(of: Data(sentinel.utf8)) != nil)
        let unknown = try alice.fails("bundle", "create", "--for", "dave", "--output", workspace.path("to-dave.fsbundle"))
        #expect(unknown.stderr.contains("does not know what 'dave' may read"), "\(unknown.stderr)")

        // Bob, handed carol's bundle, refuses it whole and is unchanged.
        let before = try bob.ok("cell", "list")
        let refused = try bob.fails("bundle", "apply", toCarol)
        #expect(refused.stderr.contains("of compartment 'east', which this replica's analyst is not cleared to read"), "\(refused.stderr)")
        #expect(try bob.ok("cell", "list") == before)
        #expect(Self.filesHold(sentinel, bob.replica).isEmpty)
        try bob.ok("bundle", "apply", toBob)
        #expect(try bob.ok("cell", "show", "8").contains("OPEN-2b7e"))

        // Carol takes the east cell, knows its compartment, and may not write it.
        try carol.ok("bundle", "apply", toCarol)
        #expect(try carol.ok("cell", "show", "7").contains("Compartment: east"))
        #expect(try carol.fails("cell", "set", "7", "title", "Carol's").stderr.contains("cleared only to read"))
        // She carries it to the server, which places it in east, not in alice's default.
        try carol.ok("sync")
        try bob.ok("sync")
        #expect(Self.filesHold(sentinel, bob.replica).isEmpty, "the carried cell reached the server in east")
        let listed = try workspace.run("sync-server", ["compartment", "list", "--db", server.database])
        #expect(listed.stdout.contains("east\t1 record"), "\(listed.stdout)")

        // A revoke removes what came on the stick as it removes what came over the network.
        try admin("clearance", "revoke", "carol", "east")
        let revoked = try carol.ok("sync")
        #expect(revoked.contains("1 cell was removed from this laptop"), "\(revoked)")
        #expect(Self.filesHold(sentinel, carol.replica).isEmpty)
    }
}
