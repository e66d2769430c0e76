import Crypto
import Foundation
import Synchronization
import HTTPTypes
import Hummingbird

/// What keeps the local dashboard the analyst's alone, as a browser is hostile territory: only
/// the loopback host names (a DNS-rebound name is refused), a random token in the printed URL
/// that works once, exchanged for a session secret kept in a cookie and required on every
/// request, a CSRF token on every form, and headers that forbid inline and foreign scripts,
/// framing and sniffing.
/// Every refusal is a sentence and changes nothing.
package final class WebGuard: Sendable {
    /// The one-time secret in the printed URL.
    package let token: String
    /// The secret the cookie carries once the token was exchanged.
    package let session: String
    /// Whether the URL's token was exchanged already: an address copied from a shell history
    /// or a screen share then opens nothing.
    /// The secret every form carries back.
    package let csrf: String
    /// The port the dashboard listens on (known once it listens): the Host header must name it.
    package var port: Int { listening.withLock { $0 } }
    private let listening: Mutex<Int>
    private let exchanged = Mutex(false)

    /// The cookie holding the token. Browsers keep cookies by host, not port, so each
    /// dashboard's name carries its port: two replicas served at once keep their own.
    package var cookieName: String { "fieldsync_web_\(port)" }

    package init(port: Int, token: String = WebGuard.randomSecret(), session: String = WebGuard.randomSecret(), csrf: String = WebGuard.randomSecret()) {
        listening = Mutex(port)
        self.token = token
        self.session = session
        self.csrf = csrf
    }

    /// Takes the URL's token: true the first time only.
    func exchange() -> Bool {
        exchanged.withLock { used in
            defer { used = true }
            return !used
        }
    }

    /// Records the port the server was given when it asked for any free one.
    func listens(on port: Int) { listening.withLock { $0 = port } }

    /// 32 random bytes as hex.
    package static func randomSecret() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
    }

    /// The address to open: its token works once, for a session the dashboard keeps in a cookie.
    package var url: String { "http://127.0.0.1:\(port)/?token=\(token)" }

    /// Whether `host` (a Host header) names this dashboard on the loopback interface: a page
    /// of another site that rebinds its name to 127.0.0.1 sends its own name, and is refused.
    func allows(host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        return ["127.0.0.1", "localhost", "[::1]"].contains { name in host == name || host == "\(name):\(port)" }
    }

    /// Compares secrets in time independent of where they differ.
    static func same(_ a: String?, _ b: String) -> Bool {
        guard let a, a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The token in a request's Cookie header, if any.
    func cookieToken(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookieName + "=") { return String(pair.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    /// Headers on every answer: no script but the dashboard's own file (nothing inline, nothing
    /// from elsewhere), requests only to the dashboard, no framing.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-store",
    ]
}

/// Applies ``WebGuard`` to every request before any route runs.
struct WebGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let guardian: WebGuard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await checked(request, context: context, next: next)
        for field in WebGuard.securityHeaders { response.headers[field.name] = field.value }
        return response
    }

    private func checked(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard guardian.allows(host: request.head.authority) else {
            return WebPage.refusal(.misdirectedRequest, "This dashboard answers only at 127.0.0.1:\(guardian.port) (or localhost). Open the address sync-client web printed.")
        }
        let hasSession = WebGuard.same(guardian.cookieToken(request.headers[.cookie]), guardian.session)
        if let offered = request.uri.queryParameters.get("token") {
            guard WebGuard.same(offered, guardian.token) else {
                return WebPage.refusal(.unauthorized, "The token in this address is not this dashboard's. Open the address sync-client web printed.")
            }
            let location = request.uri.path.isEmpty ? "/" : request.uri.path
            // The browser that exchanged it may open the address again: it has the session.
            if hasSession { return Response(status: .seeOther, headers: [.location: location]) }
            guard guardian.exchange() else {
                return WebPage.refusal(.unauthorized, "The address sync-client web printed works once, and it was opened already (by another browser or profile). Use that browser, or stop sync-client web and run it again for a new address.")
            }
            // The token is spent; a session secret moves into a cookie, out of the address bar and history.
            var response = Response(status: .seeOther, headers: [.location: location])
            response.headers[.setCookie] = "\(guardian.cookieName)=\(guardian.session); Path=/; HttpOnly; SameSite=Strict"
            return response
        }
        guard hasSession else {
            return WebPage.refusal(.unauthorized, "This dashboard needs the token from the address sync-client web printed; open that address (it ends in ?token=…).")
        }
        return try await next(request, context)
    }
}
