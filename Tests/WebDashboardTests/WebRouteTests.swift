import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing
@testable import WebDashboard

/// Every page of `sync-client web` through Hummingbird's test client: what it shows, what it
/// refuses (no token, another host, a form from elsewhere), and that a refusal writes nothing.
@Suite struct WebRouteTests {
    static let hostile = "<script>alert('x')</script> & \"Water\""

    /// Alice's replica with cell 20 (a hostile title), a signal, and a conflict on its trajectory
    /// with bob, who wrote concurrently.
    struct Fixture {
        let alice: Replica
        /// The server both synced through, for a replica a test joins to it.
        let server: SQLiteServerStore
        let guardian = WebGuard(port: 8765)
        let cell = RecordID("20202020-0000-4000-8000-000000000020")!

        init() async throws {
            server = try SQLiteServerStore.inMemory()
            try server.addAnalyst(name: "alice", tokenHash: "a", at: 0)
            try server.addAnalyst(name: "bob", tokenHash: "b", at: 0)
            alice = try Replica.inMemory(analyst: "alice")
            let bob = try Replica.inMemory(analyst: "bob")
            try alice.write([FieldChange(record: cell, kind: "cell", field: "number", value: .int(20)),
                             FieldChange(record: cell, kind: "cell", field: "title", value: .text(WebRouteTests.hostile)),
                             FieldChange(record: cell, kind: "cell", field: "assessment", value: .text("First paragraph.\n\nSecond <b>paragraph</b>."))], at: 1)
            try alice.write([FieldChange(record: .random(), kind: "signal", field: "title", value: .text("Talks <stall>")),
                             ], at: 2)
            let signal = RecordID("51515151-0000-4000-8000-000000000001")!
            try alice.write([FieldChange(record: signal, kind: "signal", field: "title", value: .text("Ministers meet")),
                             FieldChange(record: signal, kind: "signal", field: "date", value: .text("2026-03-04")),
                             FieldChange(record: signal, kind: "signal", field: "direction", value: .text("Advancing")),
                             FieldChange(record: signal, kind: "signal", field: "cells", value: .list(["20"]))], at: 3)
            for (replica, name) in [(alice, "alice"), (bob, "bob")] {
                var driver = SyncDriver(replica: replica)
                try await driver.run(over: InProcessTransport(store: server, analyst: name))
            }
            try alice.write([FieldChange(record: cell, kind: "cell", field: "trajectory", value: .text("Holding")),
                             FieldChange(record: cell, kind: "cell", field: "trend", value: .text("Slipping"))], at: 4)
            try bob.write([FieldChange(record: cell, kind: "cell", field: "trajectory", value: .text("Drifting"))], at: 5)
            for (replica, name) in [(bob, "bob"), (alice, "alice")] {
                var driver = SyncDriver(replica: replica)
                try await driver.run(over: InProcessTransport(store: server, analyst: name))
            }
        }

        func app(of replica: Replica? = nil,
                 sync: @escaping @Sendable () async throws -> SyncOutcome = { SyncOutcome(server: "test", stats: SyncStats(), newConflicts: []) }) -> some ApplicationProtocol {
            WebServer.application(replica: replica ?? alice, guardian: guardian, port: 0, sync: sync)
        }

        var cookie: HTTPFields { [.cookie: "\(guardian.cookieName)=\(guardian.session)"] }

        func form(_ fields: [String: String], csrf: Bool = true) -> (HTTPFields, ByteBuffer) {
            var all = fields
            if csrf { all["csrf"] = guardian.csrf }
            let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            var headers = cookie
            headers[.contentType] = "application/x-www-form-urlencoded"
            return (headers, ByteBuffer(string: body))
        }
    }

    @Test func everyPageAnswersWithTheReplicasContentEscaped() async throws {
        let fixture = try await Fixture()
        let conflict = try #require(try fixture.alice.store.conflicts().first)
        try await fixture.app().test(.router) { client in
            for (path, expected) in [("/", "Dashboard"), ("/cells/20", "Second &lt;b&gt;paragraph&lt;/b&gt;."), ("/signals", "Ministers meet"),
                                     ("/signals?cell=20&direction=Advancing&from=2026-03&to=2026-03", "Ministers meet"),
                                     ("/conflicts", conflict.id.description), ("/conflicts/\(conflict.id)", "Keep mine"),
                                     ("/news", "Since your last visit"), ("/news?since=1970-01-01", "1 new version from bob")] {
                try await client.execute(uri: path, method: .get, headers: fixture.cookie) { response in
                    let body = String(buffer: response.body)
                    #expect(response.status == .ok, "\(path)")
                    #expect(body.contains(expected), "\(path) should show \(expected)")
                    #expect(!body.contains("<script>"), "\(path) shows a title unescaped")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'; script-src 'self'; connect-src 'self';") == true, "\(path)")
                }
            }
            try await client.execute(uri: "/", method: .get, headers: fixture.cookie) { response in
                #expect(String(buffer: response.body).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Water&quot;"))
                #expect(String(buffer: response.body).contains("1 open conflict"))
            }
            try await client.execute(uri: "/cells/20", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("← Back to Dashboard") && body.contains("<svg class=\"timeline\""))
                #expect(body.contains("href=\"/conflicts/\(conflict.id)\""), "the trajectory's conflict is marked where it is")
            }
            try await client.execute(uri: "/signals?direction=Reversing", method: .get, headers: fixture.cookie) { response in
                #expect(!String(buffer: response.body).contains("Ministers meet"), "the filter leaves out other directions")
            }
            try await client.execute(uri: "/style.css", method: .get, headers: fixture.cookie) { response in
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
            }
            try await client.execute(uri: "/cells/99", method: .get, headers: fixture.cookie) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("99"))
            }
        }
    }

    @Test func withoutTheTokenNothingIsShown() async throws {
        let fixture = try await Fixture()
        try await fixture.app().test(.router) { client in
            // No cookie, a wrong token, and the right token under another port's dashboard's name.
            // The URL's token is not the session either.
            for headers: HTTPFields in [[:], [.cookie: "\(fixture.guardian.cookieName)=\(String(fixture.guardian.session.reversed()))"],
                                        [.cookie: "fieldsync_web_9999=\(fixture.guardian.session)"],
                                        [.cookie: "\(fixture.guardian.cookieName)=\(fixture.guardian.token)"]] {
                try await client.execute(uri: "/cells/20", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(!String(buffer: response.body).contains("Water"))
                    #expect(String(buffer: response.body).contains("token"))
                }
                // The live banner's script and what it asks are the session's alone too.
                for path in ["/live", "/live.js"] {
                    try await client.execute(uri: path, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                        #expect(!String(buffer: response.body).contains("versions"), "\(path)")
                    }
                }
            }
            try await client.execute(uri: "/?token=\(String(fixture.guardian.token.reversed()))", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/?token=\(fixture.guardian.token)", method: .get) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/")
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.hasPrefix("fieldsync_web_8765=\(fixture.guardian.session);") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            }
            // The token works once: a second browser opening the same address gets nothing,
            // the browser holding the session is sent on
            try await client.execute(uri: "/?token=\(fixture.guardian.token)", method: .get) { response in
                #expect(response.status == .unauthorized && response.headers[.setCookie] == nil)
                #expect(String(buffer: response.body).contains("works once"))
            }
            try await client.execute(uri: "/?token=\(fixture.guardian.token)", method: .get, headers: fixture.cookie) { response in
                #expect(response.status == .seeOther && response.headers[.setCookie] == nil)
            }
        }
    }

    @Test func anotherHostIsRefusedAsARebindingPageWouldBe() async throws {
        let fixture = try await Fixture()
        #expect(fixture.guardian.allows(host: "127.0.0.1:8765") && fixture.guardian.allows(host: "localhost"))
        #expect(!fixture.guardian.allows(host: "evil.example:8765") && !fixture.guardian.allows(host: "127.0.0.1:9999") && !fixture.guardian.allows(host: nil))
        try await fixture.app().test(.live) { client in
            let port = try #require(client.port)
            let raw = TestClient(host: "127.0.0.1", port: port)
            raw.connect()
            let response = try await raw.execute(TestClient.Request("/", method: .get, authority: "evil.example:\(port)", headers: fixture.cookie))
            try await raw.shutdown()
            #expect(response.head.status == .misdirectedRequest)
            #expect(!String(buffer: response.body ?? ByteBuffer()).contains("Water"))
        }
    }

    @Test func aFormWithoutItsCSRFTokenWritesNothing() async throws {
        let fixture = try await Fixture()
        let before = try fixture.alice.store.canonicalDump()
        let conflict = try #require(try fixture.alice.store.conflicts().first)
        try await fixture.app().test(.router) { client in
            for (path, fields) in [("/cells/20/set", ["field": "title", "value": "Taken over"]), ("/conflicts/\(conflict.id)/resolve", ["choice": "mine"]),
                                   ("/sync", [:]), ("/news/seen", ["vector": "", "conflicts": ""])] {
                let (headers, body) = fixture.form(fields, csrf: false)
                try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .forbidden, "\(path)")
                    #expect(String(buffer: response.body).contains("nothing was changed"))
                }
            }
        }
        #expect(try fixture.alice.store.canonicalDump() == before)
        #expect(try fixture.alice.newsMark() == nil, "nothing was marked seen")
    }

    @Test func theNewsPageRefusesABadPointOrMarkWithASentenceAndMarksNothing() async throws {
        let fixture = try await Fixture()
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/news?since=someday", method: .get, headers: fixture.cookie) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("&#39;someday&#39; is not a point in history"))
            }
            for fields in [["vector": "not a vector", "conflicts": ""], ["vector": "", "conflicts": "nope"]] {
                let (headers, body) = fixture.form(fields)
                try await client.execute(uri: "/news/seen", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .badRequest, "\(fields)")
                    #expect(String(buffer: response.body).contains("nothing was marked"), "\(fields)")
                }
            }
            #expect(try fixture.alice.newsMark() == nil)
            // What the page showed is what the form marks
            let (headers, body) = fixture.form(["vector": try fixture.alice.store.versionVector().text, "conflicts": ""])
            try await client.execute(uri: "/news/seen", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Marked as seen."))
            }
            #expect(try fixture.alice.newsMark()?.vector == fixture.alice.store.versionVector())
        }
    }

    @Test func editsGoThroughTheCommandLinesChecksAndARefusalWritesNothing() async throws {
        let fixture = try await Fixture()
        let before = try fixture.alice.store.canonicalDump()
        try await fixture.app().test(.router) { client in
            let (headers, body) = fixture.form(["field": "lastAssessed", "value": "2026-13-40"])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("is not a date like 2026, 2026-02 or 2026-02-18"))
            }
            #expect(try fixture.alice.store.canonicalDump() == before)
            let (okHeaders, okBody) = fixture.form(["field": "lastAssessed", "value": "2026-05-01"])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: okHeaders, body: okBody) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Saved lastAssessed."))
            }
        }
        #expect(try fixture.alice.store.record(fixture.cell)?.text("lastAssessed") == "2026-05-01")
    }

    @Test func historyShowsTheTrajectoryOverTimeWhoSetEachFieldAndAFieldsVersions() async throws {
        let fixture = try await Fixture()
        let all = try fixture.alice.store.history(record: fixture.cell)
        #expect(all.count > 3)
        #expect(try fixture.alice.store.history(record: fixture.cell, limit: 3) == Array(all.prefix(3)), "the page reads only the newest")
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/cells/20/history", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(body.contains("<svg class=\"trajectory\"") && body.contains("Holding · alice") && body.contains("Drifting · bob"))
                #expect(body.contains("alice + bob"), "the conflicted trajectory was set by both")
                #expect(body.contains("<line class=\"trend\"") && body.contains("trend: Slipping · alice"), "the trend's change is on the picture")
            }
            try await client.execute(uri: "/cells/20/history?field=assessment", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("Versions of assessment") && body.contains("Second &lt;b&gt;paragraph&lt;/b&gt;.") && !body.contains("<td>trajectory</td>"))
            }
            try await client.execute(uri: "/cells/20/history?field=colour", method: .get, headers: fixture.cookie) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("a cell has no field &#39;colour&#39;"))
            }
        }
    }

    /// A replica that joined shallow says on its history pages that older versions are still
    /// to come, as `log` and `blame` do; a full replica's pages say nothing of it.
    @Test func aShallowReplicasHistoryPageSaysItsHistoryIsStillArriving() async throws {
        let fixture = try await Fixture()
        let joined = try Replica.inMemory(analyst: "bob")
        try joined.requestShallowJoin()
        _ = try await ReplicaSync().run(replica: joined, server: "test", over: InProcessTransport(store: fixture.server, analyst: "bob"))
        #expect(try joined.store.historyIsArriving() && joined.store.record(fixture.cell) != nil, "the join brought cell 20 and not its history")
        for (replica, arriving) in [(joined, true), (fixture.alice, false)] {
            try await fixture.app(of: replica).test(.router) { client in
                try await client.execute(uri: "/cells/20/history", method: .get, headers: fixture.cookie) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("history is still arriving") == arriving)
                }
            }
        }
    }

    @Test func signalsAreAddedAndEditedThroughTheCommandLinesChecks() async throws {
        let fixture = try await Fixture()
        try await fixture.app().test(.router) { client in
            let before = try fixture.alice.store.canonicalDump()
            let (badHeaders, badBody) = fixture.form(["title": "No date", "date": "", "cells": "20"])
            try await client.execute(uri: "/cells/20/signals", method: .post, headers: badHeaders, body: badBody) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("a signal needs a title and a date"))
            }
            #expect(try fixture.alice.store.canonicalDump() == before)
            let (headers, body) = fixture.form(["title": "Summit <held>", "date": "2026-04-01", "direction": "Holding", "cells": "20"])
            try await client.execute(uri: "/cells/20/signals", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Summit &lt;held&gt;"))
            }
            let added = try #require(try fixture.alice.store.records(kind: "signal").first { $0.text("title") == "Summit <held>" })
            let (editHeaders, editBody) = fixture.form(["field": "direction", "value": "Reversing"])
            try await client.execute(uri: "/signals/\(added.id.rawValue)/set", method: .post, headers: editHeaders, body: editBody) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Saved direction."))
            }
            #expect(try fixture.alice.store.record(added.id)?.text("direction") == "Reversing")
        }
    }

    @Test func whatIsNotThereIsNotFoundWithASentenceAndNothingIsWritten() async throws {
        let fixture = try await Fixture()
        let before = try fixture.alice.store.canonicalDump()
        try await fixture.app().test(.router) { client in
            for (path, fields) in [("/conflicts/ffffffff/resolve", ["choice": "mine"]), ("/cells/99/signals", ["title": "T", "date": "2026"]),
                                   ("/cells/99/set", ["field": "title", "value": "T"]), ("/signals/ffffffff/set", ["field": "title", "value": "T"])] {
                let (headers, body) = fixture.form(fields)
                try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .notFound, "\(path)")
                    #expect(String(buffer: response.body).contains("Back to Dashboard"), "\(path)")
                }
            }
        }
        #expect(try fixture.alice.store.canonicalDump() == before)
    }

    @Test func aConflictIsResolvedAsTheCommandLineResolvesIt() async throws {
        let fixture = try await Fixture()
        let conflict = try #require(try fixture.alice.store.conflicts().first)
        try await fixture.app().test(.router) { client in
            let (badHeaders, badBody) = fixture.form(["choice": "edited", "value": ConflictChoice.markedText(conflict)])
            try await client.execute(uri: "/conflicts/\(conflict.id)/resolve", method: .post, headers: badHeaders, body: badBody) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("conflict markers"))
            }
            #expect(try fixture.alice.store.conflicts().count == 1)
            let (headers, body) = fixture.form(["choice": "theirs"])
            try await client.execute(uri: "/conflicts/\(conflict.id)/resolve", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Resolved conflict \(conflict.id)"))
            }
        }
        #expect(try fixture.alice.store.conflicts().isEmpty)
        #expect(try fixture.alice.store.record(fixture.cell)?.text("trajectory") == "Drifting")
    }

    @Test func aConflictIsResolvedWithANewValueCheckedAsTheCommandLineChecksIt() async throws {
        let fixture = try await Fixture()
        let conflict = try #require(try fixture.alice.store.conflicts().first)
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/conflicts/\(conflict.id)", method: .get, headers: fixture.cookie) { response in
                #expect(String(buffer: response.body).contains("id=\"set-value\""))
            }
            for (value, status) in [("Sideways", HTTPResponse.Status.badRequest), ("Advancing", .ok)] {
                let (headers, body) = fixture.form(["choice": "value", "value": value])
                try await client.execute(uri: "/conflicts/\(conflict.id)/resolve", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(value)")
                }
            }
        }
        #expect(try fixture.alice.store.conflicts().isEmpty)
        #expect(try fixture.alice.store.record(fixture.cell)?.text("trajectory") == "Advancing")
    }

    @Test func theSyncButtonShowsTheSyncsResultLineItsWarningsOrItsError() async throws {
        let fixture = try await Fixture()
        struct Unreachable: Error, CustomStringConvertible { var description: String { "cannot reach the sync server at http://127.0.0.1:1" } }
        var stats = SyncStats()
        (stats.sent, stats.received, stats.cleanMerges) = (1, 2, 3)
        let synced = SyncOutcome(server: "test", stats: stats, newConflicts: [])
        let range = SignedRange(replica: fixture.alice.id, first: 1, last: 2, signature: Data(count: 64))
        stats.refusedCarried = [SyncSession.RefusedRange(range: range, code: .badSignature, message: "it does not verify")]
        let refused = SyncOutcome(server: "test", stats: stats, newConflicts: [])
        for (sync, expected) in [({ synced } as @Sendable () async throws -> SyncOutcome, "Synced with test: sent 1, received 2, merged cleanly 3"),
                                 ({ refused }, "refused versions \(range.label) received by bundle (no longer carried): it does not verify"),
                                 ({ throw Unreachable() }, "cannot reach the sync server")] {
            try await fixture.app(sync: sync).test(.router) { client in
                let (headers, body) = fixture.form([:])
                try await client.execute(uri: "/sync", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(expected))
                }
            }
        }
    }
}

/// The dashboard says what a revoked clearance removed from the laptop.
@Suite struct WebRemovalNoticeTests {
    @Test func everyPageTellsWhatARevokedClearanceRemoved() async throws {
        let server = try SQLiteServerStore.inMemory()
        try server.addAnalyst(name: "alice", tokenHash: "a", at: 0)
        try server.addCompartment("east", at: 0)
        try server.grant(analyst: "alice", compartment: "east", write: true)
        let alice = try Replica.inMemory(analyst: "alice")
        let cell = RecordID("20202020-0000-4000-8000-000000000021")!
        try alice.setHome(record: cell, compartment: "east")
        try alice.write([FieldChange(record: cell, kind: "cell", field: "number", value: .int(21)),
                         FieldChange(record: cell, kind: "cell", field: "title", value: .text("Eastern cell"))], at: 1)
        _ = try await ReplicaSync().run(replica: alice, server: "test", over: InProcessTransport(store: server, analyst: "alice"))
        #expect(try server.revokeClearance(analyst: "alice", compartment: "east"))
        _ = try await ReplicaSync().run(replica: alice, server: "test", over: InProcessTransport(store: server, analyst: "alice"))
        let guardian = WebGuard(port: 8765)
        let app = WebServer.application(replica: alice, guardian: guardian, port: 0, sync: { SyncOutcome(server: "test", stats: SyncStats(), newConflicts: []) })
        try await app.test(.router) { client in
            for path in ["/", "/signals"] {
                try await client.execute(uri: path, method: .get, headers: [.cookie: "\(guardian.cookieName)=\(guardian.session)"]) { response in
                    let page = String(buffer: response.body)
                    #expect(page.contains("1 cell was removed from this laptop: clearance for compartment east revoked"), "\(path)")
                    #expect(!page.contains("Eastern cell"))
                }
            }
        }
    }
}
