import Foundation
import Testing

/// The layers as `Package.swift` declares them: each target's imports match its declared
/// dependencies, and the README's diagram is exactly what `Package.swift` says.
@Suite struct RepositoryLayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Target {
        var name: String
        var isTest: Bool
        var path: String
        var targets: [String]
        var products: [String]
    }

    /// The targets of `Package.swift`, read from its text (written one call per target).
    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let body = manifest[manifest.range(of: "targets: [")!.upperBound...]
        let starts = try Regex(#"\.(target|executableTarget|testTarget)\(\s*name: "([^"]+)""#)
        let matches = body.matches(of: starts)
        return try matches.enumerated().map { index, match in
            let end = index + 1 < matches.count ? matches[index + 1].range.lowerBound : body.endIndex
            let text = String(body[match.range.lowerBound..<end])
            let name = String(match.output[2].substring!)
            let kind = String(match.output[1].substring!)
            let declared = text.range(of: "dependencies: [").map { text[$0.upperBound...] }.map { deps -> Substring in
                var depth = 1, position = deps.startIndex
                while depth > 0, position < deps.endIndex {
                    if deps[position] == "[" { depth += 1 } else if deps[position] == "]" { depth -= 1 }
                    position = deps.index(after: position)
                }
                return deps[..<position]
            } ?? ""
            let products = declared.matches(of: try Regex(#"\.product\(name: "([^"]+)""#)).map { String($0.output[1].substring!) }
            let withoutProducts = declared.replacing(try Regex(#"\.product\([^)]*\)"#), with: "")
            let targets = withoutProducts.matches(of: try Regex(#""([^"]+)""#)).map { String($0.output[1].substring!) }
            let path = text.firstMatch(of: try Regex(#"path: "([^"]+)""#)).map { String($0.output[1].substring!) }
            return Target(name: name, isTest: kind == "testTarget", path: path ?? (kind == "testTarget" ? "Tests/\(name)" : "Sources/\(name)"),
                          targets: targets, products: products)
        }
    }

    /// Modules every target may import without declaring them.
    static let system: Set<String> = ["Foundation", "FoundationNetworking", "Glibc", "Testing", "Dispatch", "Synchronization"]

    @Test func everyTargetImportsExactlyWhatItDeclares() throws {
        let all = try Self.targets()
        #expect(all.count > 10, "Package.swift was not read")
        for target in all {
            let folder = Self.root.appendingPathComponent(target.path)
            guard let files = FileManager.default.enumerator(atPath: folder.path) else {
                Issue.record("\(target.name): no folder \(target.path)")
                continue
            }
            var imports: Set<String> = []
            let importLine = try Regex(#"^(?:@testable |public |package |internal )?import ([A-Za-z_][A-Za-z0-9_]*)$"#)
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    if let match = line.wholeMatch(of: importLine) { imports.insert(String(match.output[1].substring!)) }
                }
            }
            // Executables are imported by their module names; a C target is linked, not imported.
            let declared = Set(target.targets.map { $0.replacingOccurrences(of: "-", with: "_") } + target.products)
            let linkedOnly: Set<String> = ["CSQLiteConfig", "GRDBSQLite"]
            let undeclared = imports.subtracting(declared).subtracting(Self.system)
            let unused = declared.subtracting(imports).subtracting(linkedOnly)
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted()) without declaring them in Package.swift")
            #expect(unused.isEmpty, "\(target.name) declares \(unused.sorted()) in Package.swift but never imports them")
        }
    }

    /// The stores, and the layers above them that a lower layer must never reach.
    static let stores: Set<String> = ["LocalStore", "PostgresStore", "GRDB", "GRDBSQLite", "PostgresNIO"]
    static let commands: Set<String> = ["sync-client", "sync-server", "sync-bench", "CommandLineSupport", "ArgumentParser"]

    /// What each layer may never depend on, directly or through another target.
    static let forbidden: [String: Set<String>] = [
        "SyncModel": stores.union(commands).union(["SyncProtocol", "SyncHTTP", "SyncServerCore", "SyncClientCore", "WebDashboard"]),
        "SyncProtocol": stores.union(commands).union(["SyncHTTP", "SyncServerCore", "SyncClientCore", "WebDashboard"]),
        "LocalStore": commands.union(["PostgresStore", "SyncHTTP", "SyncServerCore", "SyncClientCore", "WebDashboard"]),
        "PostgresStore": commands.union(["LocalStore", "GRDB", "SyncHTTP", "SyncServerCore", "SyncClientCore", "WebDashboard"]),
    ]

    /// Every target and product `name` depends on, directly or through other targets.
    static func closure(of name: String, in targets: [String: Target]) -> Set<String> {
        var reached: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard let target = targets[next] else { continue }
            for dependency in target.targets + target.products where reached.insert(dependency).inserted {
                pending.append(dependency)
            }
        }
        return reached
    }

    @Test func noLayerReachesALayerAboveIt() throws {
        let targets = Dictionary(uniqueKeysWithValues: try Self.targets().map { ($0.name, $0) })
        // The walk itself: a command reaches the model through every layer between.
        #expect(Self.closure(of: "sync-client", in: targets).isSuperset(of: ["SyncModel", "SyncProtocol", "LocalStore", "GRDB"]))
        for (layer, never) in Self.forbidden {
            #expect(targets[layer] != nil, "Package.swift has no target \(layer)")
            let reached = Self.closure(of: layer, in: targets).intersection(never)
            #expect(reached.isEmpty, "\(layer) depends on \(reached.sorted()), which it must never reach")
        }
    }

    /// The targets `Package.swift` ships as library products.
    static func libraryProducts() throws -> Set<String> {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        return Set(manifest.matches(of: try Regex(#"\.library\(name: "[^"]+", targets: \["([^"]+)"\]"#)).map { String($0.output[1].substring!) })
    }

    @Test func modulesThatAreNotProductsGiveOnlyPackageAccess() throws {
        let products = try Self.libraryProducts()
        #expect(products == ["SyncModel", "LocalStore", "SyncProtocol"], "\(products)")
        let declaration = try Regex(#"^\s*(?:@[A-Za-z.]+(?:\([^)]*\))?\s+)*public\b"#)
        for target in try Self.targets() where target.path.hasPrefix("Sources/") && !products.contains(target.name) {
            let folder = Self.root.appendingPathComponent(target.path)
            guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                for (number, line) in lines.enumerated() where line.firstMatch(of: declaration) != nil {
                    Issue.record("\(target.path)/\(file):\(number + 1) declares something public; \(target.name) is not a product, so its siblings get package access")
                }
            }
        }
    }

    @Test func theReadmeDiagramIsPackageSwift() throws {
        let lines = try Self.targets().filter { $0.path.hasPrefix("Sources/") && $0.name != "CSQLiteConfig" }.map { target in
            let dependencies = target.targets + target.products
            let padded = target.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            return dependencies.isEmpty ? padded + "(no dependencies)" : padded + "← " + dependencies.joined(separator: ", ")
        }
        let expected = "```\n" + lines.joined(separator: "\n") + "\n```"
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(expected), "README.md's diagram under Repository organisation should read:\n\(expected)")
    }
}
