import Foundation
import GRDB
import SyncProtocol

/// Where and as whom a replica syncs.
public struct ReplicaSettings: Sendable, Equatable {
    public var server: String
    public var token: String
    public var analyst: String
    /// A PEM file of certificate authorities to trust for an HTTPS server, besides the system's.
    public var caFile: String

    public init(server: String, token: String, analyst: String, caFile: String = "") {
        self.server = server
        self.token = token
        self.analyst = analyst
        self.caFile = caFile
    }

    static func load(_ db: Database) throws -> ReplicaSettings {
        ReplicaSettings(
            server: try Meta.get("server_url", db) ?? "",
            token: try Meta.get("token", db) ?? "",
            analyst: try Meta.get("analyst", db) ?? "",
            caFile: try Meta.get("ca_file", db) ?? ""
        )
    }

    func save(_ db: Database) throws {
        try Meta.set("server_url", server, db)
        try Meta.set("token", token, db)
        try Meta.set("analyst", analyst, db)
        if !caFile.isEmpty { try Meta.set("ca_file", caFile, db) }
    }
}

/// The key-value `meta` table.
enum Meta {
    static func get(_ key: String, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = ?"), arguments: [key])
    }

    static func set(_ key: String, _ value: String, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [key, value])
    }

    /// The value kept under `key` as JSON (``set(_:encoding:_:)``); nil when there is none or it
    /// does not decode as `T`.
    static func decoded<T: Decodable>(_ type: T.Type, _ key: String, _ db: Database) throws -> T? {
        try get(key, db).flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    /// Keeps `value` under `key` as JSON, as the wire spells it.
    static func set(_ key: String, encoding value: some Encodable, _ db: Database) throws {
        try set(key, String(decoding: WireProtocol.encode(value), as: UTF8.self), db)
    }
}
