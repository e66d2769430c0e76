import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import Testing

@Suite struct DashboardFileTests {
    @Test func theSampleHasFiveCellsAndThirtySignals() throws {
        let records = try DashboardFile.parse(try DashboardFixtures.sample())
        #expect(records.filter { $0.kind == "cell" }.count >= 5)
        #expect(records.filter { $0.kind == "signal" }.count >= 30)
    }

    @Test func exportImportExportGivesTheSameFile() throws {
        let first = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importJSON(try DashboardFixtures.sample(), into: first)
        let exported = try DashboardFixtures.exportJSON(first)
        let second = try Replica.inMemory(analyst: "bob")
        try DashboardFixtures.importJSON(exported, into: second)
        #expect(try DashboardFixtures.exportJSON(second) == exported)
        #expect(try second.store.records(kind: "cell").count == 5)
    }

    @Test func reimportingWritesNothing() throws {
        let replica = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importJSON(try DashboardFixtures.sample(), into: replica)
        let again = try DashboardFile.changes(for: try DashboardFile.parse(try DashboardFixtures.exportJSON(replica)), in: replica.store)
        #expect(again.isEmpty)
    }

    static let valid = """
        {
          "format": "field-sync-dashboard",
          "version": 1,
          "cells": [
            {
              "id": "ea632693-04f6-56e1-a95c-795c0b940dee",
              "fields": {
                "number": 16,
                "title": "Indo-Pacific Deterrence Stack",
                "relatedCells": ["17"]
              }
            }
          ],
          "signals": []
        }
        """

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let line: Int
        let message: String

        init(_ name: String, _ text: String, _ line: Int, _ message: String) {
            self.name = name
            self.text = text
            self.line = line
            self.message = message
        }

        var testDescription: String { name }
    }

    static let malformedCases: [Case] = [
        Case("not JSON", "hello", 1, "expected a value"),
        Case("truncated", String(valid.dropLast(40)), 10, "the file ends"),
        Case("wrong format name", valid.replacingOccurrences(of: "field-sync-dashboard", with: "other"), 2, "expected \"format\""),
        Case("newer version", valid.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 3"), 3, "this tool reads files up to version 2"),
        Case("unknown top-level key", valid.replacingOccurrences(of: "\"signals\": []", with: "\"notes\": []"), 14, "unexpected key \"notes\""),
        Case("cells not an array", valid.replacingOccurrences(of: "\"signals\": []", with: "\"signals\": {}"), 14, "to be an array"),
        Case("bad id", valid.replacingOccurrences(of: "ea632693-04f6", with: "zz632693-04f6"), 6, "to be a UUID"),
        Case("unknown field", valid.replacingOccurrences(of: "\"title\"", with: "\"colour\""), 9, "has no field \"colour\""),
        Case("wrong value type", valid.replacingOccurrences(of: "\"number\": 16", with: "\"number\": \"sixteen\""), 8, "takes an integer"),
        Case("bad cell reference", valid.replacingOccurrences(of: "[\"17\"]", with: "[\"seventeen\"]"), 10, "not a cell number"),
        Case("number in a list", valid.replacingOccurrences(of: "[\"17\"]", with: "[17]"), 10, "to hold strings"),
        Case("duplicate key", valid.replacingOccurrences(of: "\"number\": 16,", with: "\"number\": 16, \"number\": 17,"), 8, "appears twice"),
        Case("duplicate record", valid.replacingOccurrences(of: "\"signals\": []", with: "\"signals\": [{\"id\": \"ea632693-04f6-56e1-a95c-795c0b940dee\", \"fields\": {}}]"), 14, "already appears at line 5"),
        Case("NUL in text", valid.replacingOccurrences(of: "Deterrence Stack", with: "Deterrence\\u0000Stack"), 9, "NUL"),
        Case("lone surrogate", valid.replacingOccurrences(of: "Deterrence Stack", with: "Deterrence \\ud800 Stack"), 9, "lone surrogate"),
    ]

    @Test("a malformed file is refused at its line and imports nothing", arguments: malformedCases)
    func malformed(testCase: Case) throws {
        let (name, text, line, message) = (testCase.name, testCase.text, testCase.line, testCase.message)
        let replica = try Replica.inMemory(analyst: "alice")
        let before = try replica.store.canonicalDump()
        do {
            try DashboardFixtures.importJSON(text, into: replica)
            Issue.record("\(name) was imported")
        } catch let error as ImportError {
            #expect(error.line == line, "\(name): \(error)")
            #expect(error.description.contains(message), "\(name): \(error)")
            #expect(error.description.hasSuffix("nothing was imported"))
        }
        #expect(try replica.store.canonicalDump() == before)
    }

    @Test func theValidFixtureImports() throws {
        let replica = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importJSON(Self.valid, into: replica)
        #expect(try replica.store.records(kind: "cell").first?.value("title") == .text("Indo-Pacific Deterrence Stack"))
    }
}
