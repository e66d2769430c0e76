import Foundation
import Logging
package import Hummingbird
package import LocalStore
package import SyncClientCore
import SyncModel

/// `sync-client web`: the dashboard served from the analyst's own replica on 127.0.0.1.
package enum WebServer {
    /// The application: every route behind ``WebGuard``, on 127.0.0.1:`port` (0: any free
    /// port). `onListening` gets the address to open once it listens. The Sync button runs
    /// `sync`, by default the one `sync-client sync` runs (``ReplicaSync``, with the replica's
    /// settings and the environment's overrides), and shows what it says.
    package static func application(
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
        // The one script (see WebTemplates.liveScript), and what it asks: how many versions the replica holds.
        router.get("/live.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: WebTemplates.liveScript)))
        }
        router.get("/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"versions":\#(try replica.store.versionVector().total)}"#)))
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
        router.get("/news") { request, _ in
            do {
                let shown = try pages.news(since: request.uri.queryParameters.get("since"))
                return WebPage.render("news", title: shown.title, context: shown.context, frame: try pages.frame())
            } catch let error as ClientError {
                return WebPage.render("news", title: "Since your last visit", context: try pages.news(since: nil).context,
                                      frame: try pages.frame(refused: "\(error)"), status: .badRequest)
            }
        }
        router.post("/news/seen") { request, _ in
            let form = try await WebForm.read(request, guardian: guardian)
            var refused: String?
            do { try pages.markSeen(form) } catch let error as ClientError { refused = "\(error)" }
            let shown = try pages.news(since: nil)
            return WebPage.render("news", title: shown.title, context: shown.context,
                                  frame: try pages.frame(said: refused == nil ? "Marked as seen." : nil, refused: refused),
                                  status: refused == nil ? .ok : .badRequest)
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
        router.get("/cells/:cell/edit/:field") { _, context in
            let (cell, field) = (try context.parameters.require("cell"), try context.parameters.require("field"))
            return try page(pages, template: "edit") { try pages.edit(.cell(cell), field: field) }
        }
        router.post("/cells/:cell/set") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let reference = try context.parameters.require("cell")
            return try WebEdit(replica: replica, pages: pages).save(form, editing: .cell(reference), template: "cell") { try pages.cell(reference) }
        }
        router.get("/signals/:id") { _, context in
            let id = try context.parameters.require("id")
            return try page(pages, template: "signal") { try pages.signal(id) }
        }
        router.get("/signals/:id/edit/:field") { _, context in
            let (id, field) = (try context.parameters.require("id"), try context.parameters.require("field"))
            return try page(pages, template: "edit") { try pages.edit(.signal(id), field: field) }
        }
        router.post("/signals/:id/set") { request, context in
            let form = try await WebForm.read(request, guardian: guardian)
            let id = try context.parameters.require("id")
            return try WebEdit(replica: replica, pages: pages).save(form, editing: .signal(id), template: "signal") { try pages.signal(id) }
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
            var frame: [String: Any]
            do {
                let outcome = try await sync()
                frame = try pages.frame(said: (outcome.lines + outcome.warnings).joined(separator: "\n"))
                // Each conflict the sync opened links to its page.
                let opened = Set(outcome.newConflicts)
                let conflicts = try replica.store.conflicts().filter { opened.contains($0.id) }
                if !conflicts.isEmpty {
                    frame["saidLinks"] = conflicts.map { ["href": "/conflicts/\($0.id)", "text": "conflict \($0.id) on \($0.field)"] }
                }
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
    static func page(
        _ pages: WebPages, template: String, said: String? = nil, refused: String? = nil, status: HTTPResponse.Status = .ok,
        links: [[String: String]] = [], _ content: () throws -> (title: String, context: [String: Any])
    ) throws -> Response {
        let shown: (title: String, context: [String: Any])
        do {
            shown = try content()
        } catch {
            return try notFound(pages, error)
        }
        var frame = try pages.frame(said: said, refused: refused)
        if !links.isEmpty { frame["saidLinks"] = links }
        return WebPage.render(template, title: shown.title, context: shown.context, frame: frame, status: status)
    }

    /// A page saying what was not found (404), with the way back.
    static func notFound(_ pages: WebPages, _ error: any Error) throws -> Response {
        WebPage.render("notFound", title: "Not found", context: [:], frame: try pages.frame(refused: "\(error)"), status: .notFound)
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
