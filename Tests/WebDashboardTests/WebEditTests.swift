import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing
@testable import WebDashboard

/// The dashboard as an editor: a form per field prefilled with what it holds, a confirmation
/// before clearing, and a save after a colleague's change that merges or raises a conflict.
@Suite struct WebEditTests {
    typealias Fixture = WebRouteTests.Fixture

    /// The `seen` state a page's form carries.
    static func seen(in page: String) throws -> String {
        let marker = "name=\"seen\" value=\""
        let start = try #require(page.range(of: marker)).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    @Test func eachSectionHasAnEditFormPrefilledWithItsValue() async throws {
        let fixture = try await Fixture()
        try fixture.alice.write([FieldChange(record: fixture.cell, kind: "cell", field: "keyIndicators", value: .list(["Spending", "Basing"])),
                                 FieldChange(record: fixture.cell, kind: "cell", field: "relatedCells", value: .list(["16", "17"]))], at: 6)
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/cells/20", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                for field in ["title", "trajectory", "trend", "assessment", "keyIndicators", "relatedCells"] {
                    #expect(body.contains("href=\"/cells/\(fixture.cell.rawValue)/edit/\(field)\""), "an edit control for \(field)")
                }
                #expect(!body.contains("<select name=\"field\">"), "no form that starts empty")
            }
            try await client.execute(uri: "/cells/20/edit/assessment", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("<textarea name=\"value\" id=\"value\" rows=\"16\">First paragraph.\n\nSecond &lt;b&gt;paragraph&lt;/b&gt;.</textarea>"), "\(body)")
                let seen = try Self.seen(in: body)
                #expect(!seen.isEmpty)
            }
            try await client.execute(uri: "/cells/20/edit/trajectory", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("<select name=\"value\" id=\"value\">") && body.contains("<option value=\"Reversing\">Reversing</option>"))
                #expect(body.contains("selected>"), "the current label is chosen")
            }
            try await client.execute(uri: "/cells/20/edit/keyIndicators", method: .get, headers: fixture.cookie) { response in
                #expect(String(buffer: response.body).contains(">Spending\nBasing</textarea>"), "one item per line")
            }
            try await client.execute(uri: "/cells/20/edit/relatedCells", method: .get, headers: fixture.cookie) { response in
                #expect(String(buffer: response.body).contains("value=\"16, 17\""), "related cells by number")
            }
            try await client.execute(uri: "/cells/20/edit/colour", method: .get, headers: fixture.cookie) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func clearingAFieldAsksFirst() async throws {
        let fixture = try await Fixture()
        let before = try fixture.alice.store.canonicalDump()
        try await fixture.app().test(.router) { client in
            let (headers, body) = fixture.form(["field": "assessment", "value": ""])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .badRequest)
                let page = String(buffer: response.body)
                #expect(page.contains("Saving an empty assessment clears it") && page.contains("name=\"clear\" value=\"yes\""))
            }
            #expect(try fixture.alice.store.canonicalDump() == before)
            let (confirmed, confirmedBody) = fixture.form(["field": "assessment", "value": "", "clear": "yes"])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: confirmed, body: confirmedBody) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try fixture.alice.store.record(fixture.cell)?.value("assessment") == .null)
    }

    @Test func aSaveAfterAChangeMadeMeanwhileMergesOrIsAConflictAndSaysWhich() async throws {
        let fixture = try await Fixture()
        try await fixture.app().test(.router) { client in
            var seenProse = "", seenTrend = ""
            try await client.execute(uri: "/cells/20/edit/assessment", method: .get, headers: fixture.cookie) { response in
                seenProse = try Self.seen(in: String(buffer: response.body))
            }
            try await client.execute(uri: "/cells/20/edit/trend", method: .get, headers: fixture.cookie) { response in
                seenTrend = try Self.seen(in: String(buffer: response.body))
            }
            // Meanwhile a colleague's versions arrive: the first paragraph and the trend change
            try fixture.alice.write([FieldChange(record: fixture.cell, kind: "cell", field: "assessment", value: .text("First, revised.\n\nSecond <b>paragraph</b>.")),
                                     FieldChange(record: fixture.cell, kind: "cell", field: "trend", value: .text("Colleague's trend"))], at: 7)
            let (headers, body) = fixture.form(["field": "assessment", "value": "First paragraph.\n\nSecond, mine.", "seen": seenProse])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("merged with a change made to it since you opened the form"))
            }
            #expect(try fixture.alice.store.record(fixture.cell)?.value("assessment") == .text("First, revised.\n\nSecond, mine."), "both edits kept")
            let (trendHeaders, trendBody) = fixture.form(["field": "trend", "value": "My trend", "seen": seenTrend])
            try await client.execute(uri: "/cells/20/set", method: .post, headers: trendHeaders, body: trendBody) { response in
                let page = String(buffer: response.body)
                let conflict = try #require(try fixture.alice.store.record(fixture.cell)?.fields["trend"]?.conflict)
                #expect(page.contains("the two edits conflict") && page.contains("href=\"/conflicts/\(conflict)\""), "\(page)")
            }
        }
        let heads = try fixture.alice.store.conflicts().first { $0.field == "trend" }?.heads.map(\.value)
        #expect(Set(heads ?? []) == [.text("Colleague's trend"), .text("My trend")], "the colleague's change was not overwritten")
    }

    @Test func theTrajectoryPictureHasItsOwnLabelledTimeAxis() async throws {
        let fixture = try await Fixture()
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/cells/20/history", method: .get, headers: fixture.cookie) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("placed at the time its version was written"))
                #expect(body.contains("<g class=\"time-axis\">") && body.contains(">Written</text>"))
                #expect(body.components(separatedBy: "<text class=\"tick\"").count - 1 >= 1)
            }
        }
    }

    @Test func aConflictTheSyncOpenedLinksToItsPage() async throws {
        let fixture = try await Fixture()
        let alice = fixture.alice, cell = fixture.cell
        // A sync that brings a trend written without seeing Alice's
        let app = fixture.app {
            try alice.write([FieldChange(record: cell, kind: "cell", field: "trend", value: .text("Unseen"))], basedOn: [VersionVector()], at: 8)
            var stats = SyncStats()
            stats.received = 1
            let opened = try alice.store.conflicts().filter { $0.field == "trend" }.map(\.id)
            return SyncOutcome(server: "test", stats: stats, newConflicts: opened)
        }
        try await app.test(.router) { client in
            let (headers, body) = fixture.form([:])
            try await client.execute(uri: "/sync", method: .post, headers: headers, body: body) { response in
                let page = String(buffer: response.body)
                let conflict = try #require(try alice.store.conflicts().first { $0.field == "trend" })
                #expect(page.contains("<a class=\"conflict\" href=\"/conflicts/\(conflict.id)\">conflict \(conflict.id) on trend</a>"), "\(page)")
            }
        }
    }

    @Test func aLongBacklogListsTheNewestSignalsAndLinksToTheRest() async throws {
        let fixture = try await Fixture()
        let extra = WebPages.backlogRows + 1
        for day in 0..<extra {
            let signal = RecordID.random()
            try fixture.alice.write([FieldChange(record: signal, kind: "signal", field: "title", value: .text("Day \(day)")),
                                     FieldChange(record: signal, kind: "signal", field: "date", value: .text(String(format: "2026-06-%02d", day % 28 + 1))),
                                     FieldChange(record: signal, kind: "signal", field: "body", value: .text(String(repeating: "Word ", count: 20_000))),
                                     FieldChange(record: signal, kind: "signal", field: "cells", value: .list(["20"]))], at: 11)
        }
        let total = extra + 1  // and the fixture's own signal on cell 20
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/cells/20", method: .get, headers: fixture.cookie) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(page.components(separatedBy: "<details class=\"signal").count - 1 == WebPages.backlogRows)
                #expect(page.contains("The newest \(WebPages.backlogRows) of \(total) signals; <a href=\"/signals?cell=20\">all of them</a>."))
                let excerpts = page.components(separatedBy: "<p class=\"excerpt\">").dropFirst()
                #expect(excerpts.count == WebPages.excerptedSignals)
                #expect(excerpts.allSatisfy { $0.prefix { $0 != "<" }.count < 300 }, "an excerpt of a 100 KB body stays short")
            }
            try await client.execute(uri: "/signals?cell=20", method: .get, headers: fixture.cookie) { response in
                #expect(String(buffer: response.body).components(separatedBy: "href=\"/signals/").count - 1 >= total)
            }
        }
    }
}
