public import Foundation
import GRDB
public import SyncModel
public import SyncProtocol

/// What ``Replica/makeBundle(beyond:filter:at:)`` put in a bundle.
public struct BundleMade: Sendable {
    public var bundle: VersionBundle
    /// The file's bytes (the bundle's blocks are slices of them).
    public var file: [UInt8]
    /// The file's bytes, as `Data` (a copy).
    public var data: Data { Data(file) }
    /// Versions that were wanted but left out: received from the server, which keeps no
    /// signatures, so this replica cannot vouch for them.
    public var unsigned: Int
    /// Versions of records the receiver of a filtered bundle may not read, left out.
    public var withheld: Int = 0
    /// Versions of records the receiver may read, left out because their author signed them
    /// together with versions the receiver may not read (they come with the receiver's sync).
    public var entangled: Int = 0
}

/// What applying a bundle did.
public struct BundleApplied: Sendable {
    public var report: ApplyReport
    /// Other replicas' versions this bundle added to those carried for their authors, until the
    /// server takes them.
    public var carried: Int
}

extension Replica {
    /// A bundle of what a receiver lacks. Given `beyond` (what the receiver is known to hold),
    /// every version this replica can vouch for that `beyond` does not cover; without it, its
    /// own writes the server has not acknowledged and the versions it carries for others that
    /// the server has not taken. Its own writes are signed now; others' travel under the
    /// signatures they came with, so versions it received from the server (unsigned) are left
    /// out and counted. With a `filter`, only versions of records its receiver may read (its own
    /// writes signed again in runs around the gaps, others' only in signed ranges that hold
    /// nothing else). Reads only (keys missing for its older ids are made first).
    public func makeBundle(beyond: VersionVector?, filter: BundleFilter? = nil, at time: Int64) throws -> BundleMade {
        let own = try ownReplicas()
        try store.transaction { db in for id in own { _ = try Self.ensureSigningKey(for: id, db) } }
        return try store.read { db in try StoredVersions.scanning(db) {
            func key(_ id: ReplicaID) throws -> SigningKey {
                guard let key = try Self.signingKey(for: id, db) else { throw StoreError.damaged("replica \(id) has no signing key") }
                return key
            }
            let held = try VersionTable.versionVector(db)
            let acknowledged = try Self.lastServerVector(db)
            var pendingFrom: [ReplicaID: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT replica, min(first) FROM signed_range WHERE pending = 1 GROUP BY replica") {
                if let replica = ReplicaID(row[0] as String) { pendingFrom[replica] = UInt64(row[1] as Int64) }
            }
            var builder = VersionBundle.Builder(filtered: filter != nil)
            var carried: Set<RecordID> = []
            var signatures: [SignedRange] = []
            var authors: [VersionBundle.Author] = []
            var unsigned = 0, withheld = 0, entangled = 0
            for replica in held.replicas {
                let from: UInt64?
                if let beyond {
                    guard beyond[replica] < held[replica] else { continue }
                    from = beyond[replica] + 1
                } else if own.contains(replica) {
                    from = acknowledged[replica] + 1
                } else {
                    from = pendingFrom[replica]
                }
                guard let from, from <= held[replica] else { continue }
                if own.contains(replica) {
                    let key = try key(replica)
                    let before = builder.count
                    // A block at a time: a bundle of a million versions is never held whole.
                    try Self.forEachChunk(of: replica, from: from, to: held[replica], db) { chunk in
                        var run = chunk
                        if let filter {
                            run.removeAll { !filter.admits($0.record) }
                            withheld += chunk.count - run.count
                        }
                        for stretch in Self.consecutive(run) { signatures += key.signRanges(stretch) }
                        builder.append(run)
                    }
                    if builder.count > before {
                        authors.append(VersionBundle.Author(replica: replica, analyst: analyst, publicKey: key.publicKey))
                    }
                    continue
                }
                let (chosen, end) = try Self.cover(replica, from: from, to: held[replica], db)
                unsigned += Int(held[replica] - end)
                guard let start = chosen.map(\.first).min(), let author = try Self.knownKey(replica, db) else { continue }
                guard let filter else {
                    try Self.forEachChunk(of: replica, from: start, to: end, db) { run in
                        carried.formUnion(run.lazy.map(\.record))
                        builder.append(run)
                    }
                    signatures += chosen
                    authors.append(author)
                    continue
                }
                // A signed range travels whole or not at all: one holding any version the
                // receiver may not read stays here.
                var taken = false
                var appended: UInt64 = 0
                for range in chosen {
                    let run = try Self.run(replica, from: range.first, to: range.last, db)
                    let admitted = run.filter { filter.admits($0.record) }.count
                    guard admitted == run.count, run.count == range.count else {
                        withheld += run.count - admitted
                        entangled += admitted
                        continue
                    }
                    // Chosen ranges may overlap (each is the longest from where the last ended):
                    // their shared versions travel once, under both signatures.
                    let new = run.filter { $0.dot.counter > appended }
                    carried.formUnion(new.lazy.map(\.record))
                    builder.append(new)
                    appended = max(appended, range.last)
                    signatures.append(range)
                    taken = true
                }
                if taken { authors.append(author) }
            }
            let key = try key(id)
            let sender = VersionBundle.Author(replica: id, analyst: analyst, publicKey: key.publicKey)
            if !authors.contains(where: { $0.replica == id }) { authors.append(sender) }
            var bundle = builder.finish(sender: sender, signatures: signatures, authors: authors, holds: held, created: time, receiver: filter?.receiver)
            // Both from the bundle's records, sorted once when it was made.
            if let filter { bundle.header.compartments = bundle.records.reduce(into: [:]) { $0[$1] = filter.restricted[$1] } }
            let homes = try homes(for: bundle.records, carried: carried, db)
            if !homes.isEmpty { bundle.header.homes = homes }
            let file = bundle.sign(with: key)
            return BundleMade(bundle: bundle, file: file, unsigned: unsigned, withheld: withheld, entangled: entangled)
        } }
    }

    /// `replica`'s versions with counters `first...last` (skipping any it lacks), in chunks of
    /// at most 20,000 counters, so that a run is never read whole.
    static func forEachChunk(of replica: ReplicaID, from first: UInt64, to last: UInt64, _ db: Database, _ body: ([Version]) throws -> Void) throws {
        guard first <= last else { return }
        let chunk = UInt64(SyncSession.defaultPageSize)
        var start = first
        while true {
            // Counted without passing `last`, which may be the last counter there is.
            let end = last - start < chunk ? last : start + chunk - 1
            let run = try run(replica, from: start, to: end, db)
            if !run.isEmpty { try body(run) }
            guard end < last else { return }
            start = end + 1
        }
    }

    /// `run` (one replica's versions in counter order) cut where counters skip.
    static func consecutive(_ run: [Version]) -> [ArraySlice<Version>] {
        var stretches: [ArraySlice<Version>] = []
        var start = run.startIndex
        for index in run.indices.dropFirst() where run[index - 1].dot.counter + 1 != run[index].dot.counter {
            stretches.append(run[start..<index])
            start = index
        }
        if start < run.endIndex { stretches.append(run[start...]) }
        return stretches
    }

    /// Stored signed ranges of `replica` covering counters from `from` on without a gap, as far
    /// as they reach (at most `to`); returns them and the last counter covered.
    private static func cover(_ replica: ReplicaID, from: UInt64, to: UInt64, _ db: Database) throws -> ([SignedRange], UInt64) {
        let ranges = try Row.fetchAll(db, sql: "SELECT first, last, signature FROM signed_range WHERE replica = ? ORDER BY first",
                                      arguments: [replica.rawValue]).map {
            SignedRange(replica: replica, first: UInt64($0[0] as Int64), last: UInt64($0[1] as Int64), signature: $0[2])
        }
        var chosen: [SignedRange] = []
        var next = from
        while next <= to, let best = ranges.filter({ $0.first <= next && $0.last >= next && $0.last <= to }).max(by: { $0.last < $1.last }) {
            chosen.append(best)
            next = best.last + 1
        }
        return (chosen, next - 1)
    }

    static func knownKey(_ replica: ReplicaID, _ db: Database) throws -> VersionBundle.Author? {
        try Row.fetchOne(db, sql: "SELECT public_key, analyst FROM known_key WHERE replica = ?", arguments: [replica.rawValue]).map {
            VersionBundle.Author(replica: replica, analyst: $0[1], publicKey: $0[0])
        }
    }

    /// Applies a bundle ``VersionBundle/read(_:)`` checked, in one transaction: refuses it if
    /// a replica's key differs from the one known here, if it carries writes of this replica
    /// that this file lacks, or if this replica lacks what it builds on; else stores its versions
    /// as a sync stores a page (merging, opening conflicts), keeps other replicas' signed ranges
    /// to carry on, pins their keys and notes what the sender holds. Applying it again changes
    /// nothing.
    public func apply(_ bundle: VersionBundle) throws -> BundleApplied {
        try store.transaction { db in
            let placements = try Self.checkClearances(for: bundle, db)
            let own = try ownReplicas(db)
            let held = try VersionTable.versionVector(db)
            for run in bundle.header.covers where own.contains(run.replica) && run.last > held[run.replica] {
                throw BundleError.forkedOwn(run.replica)
            }
            var authors: [ReplicaID: VersionBundle.Author] = [:]
            for author in bundle.header.authors + [bundle.header.sender] {
                let known: Data? = own.contains(author.replica)
                    ? try Self.signingKey(for: author.replica, db)?.publicKey
                    : try Self.knownKey(author.replica, db)?.publicKey
                if let known, known != author.publicKey { throw BundleError.keyChanged(author.replica) }
                authors[author.replica] = author
            }
            var missing: [String] = []
            for entry in bundle.header.presupposes.entries where held[entry.replica] < entry.counter {
                let known = try Self.knownKey(entry.replica, db)?.analyst
                let who = authors[entry.replica]?.analyst ?? known ?? "an analyst"
                missing.append("\(entry.replica.short):\(held[entry.replica] + 1)-\(entry.counter) (\(who))")
            }
            guard missing.isEmpty else { throw BundleError.missingPrerequisites(missing) }
            var report = ApplyReport()
            // Block by block, as a sync stores its pages: only one block is held decoded at a time.
            try bundle.forEachBlock { block in
                report.add(try store.integrate(try store.prepare(block), db, deferFields: true))
            }
            var settle = try ApplyBatch.begin(store, db, derivingUncommitted: true)
            report.add(try settle.finish())
            // Where the sender said they stand, until the server says: a revoke removes them here too.
            try Self.noteCompartments(placements, db)
            var carried = 0
            let keep = try db.cachedStatement(sql: """
                INSERT INTO signed_range (replica, first, last, signature, pending) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO NOTHING
                """)
            for range in bundle.header.signatures where !own.contains(range.replica) {
                try keep.execute(arguments: [range.replica.rawValue, Int64(range.first), Int64(range.last), range.signature])
                if db.changesCount > 0 { carried += range.count }
            }
            let pin = try db.cachedStatement(sql: "INSERT INTO known_key (replica, public_key, analyst, vouched) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING")
            for author in authors.values where !own.contains(author.replica) {
                try pin.execute(arguments: [author.replica.rawValue, author.publicKey, author.analyst])
            }
            let sender = bundle.header.sender
            guard !own.contains(sender.replica) else { return BundleApplied(report: report, carried: carried) }
            let before = try String.fetchOne(db, sql: "SELECT holds FROM peer WHERE replica = ?", arguments: [sender.replica.rawValue])
            let holds = bundle.header.holds.merging(before.flatMap(VersionVector.init(text:)) ?? VersionVector())
            try db.execute(sql: """
                INSERT INTO peer (replica, analyst, holds) VALUES (?, ?, ?) ON CONFLICT (replica) DO UPDATE SET holds = excluded.holds
                """, arguments: [sender.replica.rawValue, sender.analyst, holds.text])
            return BundleApplied(report: report, carried: carried)
        }
    }

    /// What the replicas matching `name` (an analyst, or a replica id or its prefix) were known
    /// to hold when their last bundle was applied here: for several, what all of them hold.
    /// Nil when no bundle from them was applied here.
    public func peerHolds(_ name: String) throws -> VersionVector? {
        try store.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT replica, analyst, holds FROM peer ORDER BY replica")
            let matching = rows.filter { ($0[1] as String) == name || ($0[0] as String).hasPrefix(name.lowercased()) }
            guard !matching.isEmpty else { return nil }
            return matching.compactMap { VersionVector(text: $0[2] as String) }.reduce(nil as VersionVector?) { $0?.meet($1) ?? $1 }
        }
    }
}

extension Replica {
    /// ``Store/canonicalDump()`` plus what the file keeps about bundles (carried ranges, pinned
    /// keys, what each sender held): equal exactly when a command changed nothing of either.
    public func stateDump() throws -> String {
        let versions = try store.canonicalDump()
        return try store.read { db in
            var lines = [versions]
            for (table, order) in [("signed_range", "replica, first, last"), ("known_key", "replica"), ("peer", "replica")] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") {
                    lines.append(table + " " + row.databaseValues.map { "\($0)" }.joined(separator: "|"))
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension Replica {
    /// Other replicas this file holds versions of whose key the server has not vouched for here.
    public func replicasWithoutVouchedKey() throws -> Set<ReplicaID> {
        try store.read { db in
            let own = try ownReplicas(db)
            let vouched = Set(try String.fetchAll(db, sql: "SELECT replica FROM known_key WHERE vouched = 1").compactMap(ReplicaID.init))
            return Set(try VersionTable.versionVector(db).replicas).subtracting(own).subtracting(vouched)
        }
    }

    /// Keeps the keys the server vouches for, replacing any pinned from a bundle: the server's
    /// word is the one every replica can check against.
    public func noteVouchedKeys(_ keys: [VersionBundle.Author]) throws {
        let own = try ownReplicas()
        try store.transaction { db in
            let vouch = try db.cachedStatement(sql: """
                INSERT INTO known_key (replica, public_key, analyst, vouched) VALUES (?, ?, ?, 1)
                ON CONFLICT (replica) DO UPDATE SET public_key = excluded.public_key, analyst = excluded.analyst, vouched = 1
                """)
            for key in keys where !own.contains(key.replica) {
                try vouch.execute(arguments: [key.replica.rawValue, key.publicKey, key.analyst])
            }
        }
    }
}
