import Foundation
import Logging
public import Hummingbird
public import LocalStore
public import SyncClientCore
import SyncModel

/// `sync-client web`: the dashboard served from the analyst's own replica on 127.0.0.1.
public enum WebServer {
    /// The application: every route behind ``WebGuard``, on 127.0.0.1:`port` (0: any free
    /// port). `onListening` gets the address to open once it listens. The Sync button runs
    /// `sync`, by default the one `sync-client sync` runs (``ReplicaSync``, with the replica's
    /// settings and the environment's overrides), and shows what it says.
    public static func application(
        replica: Replica, guardian: WebGuard, port: Int, onListening: @escaping @Sendable (String) -> Void = { _ in },
        sync: (@Sendable () async throws -> SyncOutcome)? = nil
    ) -> some ApplicationProtocol {
        let sync = sync ?? {
            let settings = EffectiveSettings(saved: try replica.settings(), server: nil, token: nil, caFile: nil,
                                             environment: ProcessInfo.processInfo.environment)
            return try await ReplicaSync().run(replica: replica, settings: settings)
        }
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: WebGuardMiddleware(guardian: guardian))
        let pages = WebPages(replica: replica, guardian: guardian)
        router.get("/style.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: WebTemplates.stylesheet)))
        }
        router.get("/") { request, _ in
            WebPage.render("dashboard", title: "Dashboard", context: try pages.dashboard(sort: request.uri.queryParameters.get("sort")), frame: try pages.frame())
        }
        router.get("/cells/:cell") { _, context in
            try page(pages, template: "cell") { try pages.cell(try context.parameters.require("cell")) }
        }
        router.get("/cells/:cell/history") { request, context in
            let cell = try context.parameters.require("cell")
            let field = request.uri.queryParameters.get("field")
            return try page(pages, template: "history") { try pages.history(cell, field: field) }
        }
        router.get("/signals") { request, _ in
            let query = request.uri.queryParameters
            return WebPage.render("signals", title: "Signals", context: try pages.signals(
                cell: query.get("cell"), direction: query.get("direction"), from: query.get("from"), to: query.get("to")), frame: try pages.frame())
        }
        router.get("/conflicts") { _, _ in
            WebPage.render("conflicts", title: "Conflicts", context: try pages.conflicts(), frame: try pages.frame())
        }
        router.get("/conflicts/:id") { _, context in
            let id = try context.parameters.require("id")
            return try page(pages, template: "conflict") { try pages.conflict(id) }
        }
        router.post("/cells/:cell/set") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let reference = try context.parameters.require("cell")
            return try setField(form, of: { try RecordLookup(store: replica.store).cell(reference) }, replica: replica, pages: pages, template: "cell") {
                try pages.cell(reference)
            }
        }
        router.get("/signals/:id") { _, context in
            let id = try context.parameters.require("id")
            return try page(pages, template: "signal") { try pages.signal(id) }
        }
        router.post("/signals/:id/set") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let id = try context.parameters.require("id")
            return try setField(form, of: { try RecordLookup(store: replica.store).signal(id) }, replica: replica, pages: pages, template: "signal") {
                try pages.signal(id)
            }
        }
        router.post("/cells/:cell/signals") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let reference = try context.parameters.require("cell")
            // A signal is added from a cell's page; for a cell that is not there, nothing is written.
            do { _ = try RecordLookup(store: replica.store).cell(reference) } catch { return try notFound(pages, error) }
            do {
                let added = try RecordEditor.addSignal(replica, fields: ["title", "date", "direction", "cells", "source", "body"].map { ($0, form[$0]) })
                let said = (["Added the signal \(added.id.short)."] + added.notes).joined(separator: " ")
                return try page(pages, template: "cell", said: said) { try pages.cell(reference) }
            } catch {
                return try page(pages, template: "cell", refused: "\(error)", status: .badRequest) { try pages.cell(reference) }
            }
        }
        router.post("/conflicts/:id/resolve") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let id = try context.parameters.require("id")
            let conflict: Conflict
            do {
                conflict = try replica.store.conflict(id)
            } catch {
                return try notFound(pages, error)
            }
            do {
                try choice(form).resolve(conflict, on: replica, words: .buttons)
            } catch {
                return try page(pages, template: "conflict", refused: "\(error)", status: .badRequest) { try pages.conflict(id) }
            }
            return WebPage.render("conflicts", title: "Conflicts", context: try pages.conflicts(),
                                      frame: try pages.frame(said: "Resolved conflict \(conflict.id); sync to close it on every replica."))
        }
        router.post("/sync") { request, _ in
            _ = try await WebForm.read(request, guardian: guardian)
            let frame: [String: Any]
            do {
                let outcome = try await sync()
                frame = try pages.frame(said: (outcome.lines + outcome.warnings).joined(separator: "\n"))
            } catch {
                frame = try pages.frame(refused: "\(error)")
            }
            return WebPage.render("dashboard", title: "Dashboard", context: try pages.dashboard(sort: nil), frame: frame)
        }
        // Problems only: the address is printed by the command, and requests are not logged.
        var logger = Logger(label: "sync-client.web")
        logger.logLevel = .warning
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { guardian.listens(on: port) }
                onListening(guardian.url)
            },
            logger: logger
        )
    }

    /// A page, or the refusal a person can act on when what it names is not there.
    private static func page(
        _ pages: WebPages, template: String, said: String? = nil, refused: String? = nil, status: HTTPResponse.Status = .ok,
        _ content: () throws -> (title: String, context: [String: Any])
    ) throws -> Response {
        let shown: (title: String, context: [String: Any])
        do {
            shown = try content()
        } catch {
            return try notFound(pages, error)
        }
        return WebPage.render(template, title: shown.title, context: shown.context, frame: try pages.frame(said: said, refused: refused), status: status)
    }

    /// A page saying what was not found (404), with the way back.
    private static func notFound(_ pages: WebPages, _ error: any Error) throws -> Response {
        WebPage.render("notFound", title: "Not found", context: [:], frame: try pages.frame(refused: "\(error)"), status: .notFound)
    }

    /// Sets the field a posted form names, as `cell set` and `signal set` do, and shows the page
    /// again with what came of it, or with the refusal (400, nothing written).
    private static func setField(
        _ form: [String: String], of record: () throws -> RecordSnapshot, replica: Replica, pages: WebPages, template: String,
        _ content: () throws -> (title: String, context: [String: Any])
    ) throws -> Response {
        let field = form["field"] ?? ""
        do {
            let lines = try RecordEditor.set(replica, try record(), field: field, text: form["value"] ?? "")
            return try page(pages, template: template, said: lines.isEmpty ? "Saved \(field)." : lines.joined(separator: " "), content)
        } catch {
            return try page(pages, template: template, refused: "\(error)", status: .badRequest, content)
        }
    }

    /// The choice a resolve form carries.
    private static func choice(_ form: [String: String]) throws -> ConflictChoice {
        switch form["choice"] {
        case "mine": return .mine
        case "theirs": return .theirs
        case "keep": return .keep
        case "delete": return .delete
        case "edited": return .edited(form["value"] ?? "")
        case "value": return .value(form["value"] ?? "")
        default: throw ClientError("choose Keep mine, Keep theirs, or save an edited text")
        }
    }
}
