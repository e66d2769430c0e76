import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

/// A real headless Chromium, driven over the DevTools protocol: it loads pages, clicks, and
/// takes screenshots as a person's browser would (with the page's own security headers).
final class HeadlessBrowser {
    let process: RunningCommand
    let devToolsPort: Int
    /// The browser's own DevTools endpoint, from the profile's DevToolsActivePort file.
    let browserPath: String

    /// Starts Chromium with a fresh profile in `workspace`; fails with the command to install it.
    init(workspace: Workspace) throws {
        guard let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw HarnessError("chromium is not installed: the web dashboard's test drives a real headless browser. Install it with `apt-get install -y chromium`, then run the tests again.")
        }
        let profile = workspace.path("chromium-profile")
        process = try workspace.start(binary, ["--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", "--user-data-dir=\(profile)",
                                               "--window-size=1280,1600", "--no-first-run", "--remote-allow-origins=ws://127.0.0.1", "about:blank"])
        let deadline = Date().addingTimeInterval(60)
        var lines: [Substring] = []
        while lines.count < 2 {
            lines = ((try? String(contentsOfFile: profile + "/DevToolsActivePort", encoding: .utf8)) ?? "").split(separator: "\n")
            guard lines.count < 2 else { break }
            guard Date() < deadline, process.process.isRunning else { throw HarnessError("chromium did not start its DevTools server") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let port = Int(lines[0]) else { throw HarnessError("chromium wrote an unreadable DevToolsActivePort: \(lines)") }
        devToolsPort = port
        browserPath = String(lines[1])
    }

    deinit { process.kill() }

    /// Runs `script` against the browser's page.
    func drive(_ script: @escaping @Sendable (DevToolsPage) async throws -> Void) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 64 << 20
        // A new page, made through the browser's endpoint, then driven through its own.
        let target = Mutex<String?>(nil)
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(devToolsPort)\(browserPath)", configuration: configuration, logger: Logger(label: "devtools")) { inbound, outbound, _ in
            let browser = DevToolsPage(outbound: outbound, messages: inbound.messages(maxSize: 1 << 20).makeAsyncIterator())
            let made = try await browser.call("Target.createTarget", ["url": "about:blank"])
            target.withLock { $0 = made["targetId"] as? String }
        }
        guard let id = target.withLock({ $0 }) else { throw HarnessError("chromium made no page to drive") }
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(devToolsPort)/devtools/page/\(id)", configuration: configuration, logger: Logger(label: "devtools")) { inbound, outbound, _ in
            let page = DevToolsPage(outbound: outbound, messages: inbound.messages(maxSize: 64 << 20).makeAsyncIterator())
            _ = try await page.call("Page.enable")
            try await script(page)
        }
    }
}

/// One page of the browser: commands answered in order, events remembered until awaited.
final class DevToolsPage: @unchecked Sendable {
    private let outbound: WebSocketOutboundWriter
    private var messages: WebSocketInboundMessageStream.AsyncIterator
    private var nextID = 1
    private var events: [String] = []

    init(outbound: WebSocketOutboundWriter, messages: WebSocketInboundMessageStream.AsyncIterator) {
        self.outbound = outbound
        self.messages = messages
    }

    /// Sends a command and returns its result.
    @discardableResult
    func call(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        let id = nextID
        nextID += 1
        let request = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters])
        try await outbound.write(.text(String(decoding: request, as: UTF8.self)))
        while true {
            let message = try await next()
            if message["id"] as? Int == id {
                if let error = message["error"] { throw HarnessError("\(method) failed: \(error)") }
                return message["result"] as? [String: Any] ?? [:]
            }
        }
    }

    /// Waits for an event named `name` (one that already came counts).
    func wait(for name: String) async throws {
        while !events.contains(name) { _ = try await next() }
        events.removeAll { $0 == name }
    }

    private func next() async throws -> [String: Any] {
        guard let message = try await messages.next() else { throw HarnessError("the browser closed the DevTools connection") }
        guard case .text(let text) = message, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        if let event = object["method"] as? String { events.append(event) }
        return object
    }

    /// Loads `url` and waits until the page has loaded.
    func open(_ url: String) async throws {
        events.removeAll()
        try await call("Page.navigate", ["url": url])
        try await wait(for: "Page.loadEventFired")
    }

    /// The value of a JavaScript expression evaluated in the page by DevTools (the page itself
    /// runs only its own `/live.js`: its Content-Security-Policy forbids any other script).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Clicks the element with `id` and waits for the page it leads to.
    func click(_ id: String) async throws {
        events.removeAll()
        _ = try await evaluate("document.getElementById('\(id)').click()")
        try await wait(for: "Page.loadEventFired")
    }

    /// A PNG of the whole page.
    func screenshot(to path: String) async throws {
        let result = try await call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else { throw HarnessError("no screenshot came back") }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }
}
