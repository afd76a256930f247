import Foundation
import GantryCore
import GantryNet
import GantryOps

/// Headless Chromium driven over the Chrome DevTools Protocol (a WebSocket on loopback), for tests that use a page
/// as a person would: type into it, click it (real mouse events), accept its `confirm` dialogs, read its DOM.
public final class DevToolsPage {
    let process: Process
    let profile: URL
    var ws: WebSocketConnection
    var nextId = 1
    var inbox: [[String: Any]] = []
    /// The messages of the dialogs accepted so far.
    public private(set) var dialogs: [String] = []

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `chromium` headless on `url` with a DevTools port of its own, and attaches to the page.
    public init(chromium: String, url: String, profile: URL, timeout: Double = 30) throws {
        self.profile = profile
        let port = try Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=\(port)", "--window-size=1280,1800", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The page's WebSocket, from DevTools' list of targets once it answers.
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(timeout * 1e9))
        var target: String? = nil
        let client = try ControlClient(url: "http://127.0.0.1:\(port)", token: nil)
        while target == nil && MonotonicClock.now() < deadline {
            if let r = try? client.request("GET", "/json/list", timeout: 2),
                let list = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]],
                let page = list.first(where: { $0["type"] as? String == "page" }), let ws = page["webSocketDebuggerUrl"] as? String
            {
                target = ws
            } else {
                usleep(100_000)
            }
        }
        guard let target, let slash = target.range(of: "/devtools/") else {
            process.terminate()
            throw Failure(description: "chromium's DevTools did not list a page within \(timeout) s")
        }
        ws = try WebSocketConnection(address: "127.0.0.1", port: port, host: "127.0.0.1:\(port)", path: String(target[slash.lowerBound...]), tls: nil, maxMessage: 16 << 20)
        let opened = MonotonicClock.now() + .seconds(10)
        var open = false
        while !open && MonotonicClock.now() < opened {
            _ = ws.poll { if case .open = $0 { open = true } }
            usleep(1_000)
        }
        guard open else { throw Failure(description: "the DevTools WebSocket did not open") }
        _ = try call("Page.enable")
        _ = try call("Runtime.enable")
    }

    deinit { close() }

    /// Ends the browser.
    public func close() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func freePort() throws -> Int {
        let l = try TCPListener(host: "127.0.0.1", port: 0)
        return l.port
    }

    /// Sends a DevTools command and waits for its result; a `confirm` dialog opened meanwhile is accepted.
    /// - Throws: `Failure` on a protocol error or no answer within `timeout` seconds.
    @discardableResult
    public func call(_ method: String, _ params: [String: Any] = [:], timeout: Double = 15) throws -> [String: Any] {
        let id = nextId
        nextId += 1
        send(["id": id, "method": method, "params": params])
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(timeout * 1e9))
        while MonotonicClock.now() < deadline {
            var messages: [[String: Any]] = []
            var closed = false
            _ = ws.poll { event in
                switch event {
                case .message(_, let payload, _):
                    if let m = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] { messages.append(m) }
                case .closed: closed = true
                default: break
                }
            }
            if closed { throw Failure(description: "the DevTools connection closed during \(method)") }
            var answer: [String: Any]? = nil
            for m in messages {
                if m["method"] as? String == "Page.javascriptDialogOpening" {
                    dialogs.append((m["params"] as? [String: Any])?["message"] as? String ?? "")
                    send(["id": nextId, "method": "Page.handleJavaScriptDialog", "params": ["accept": true]])
                    nextId += 1
                } else if m["id"] as? Int == id {
                    answer = m
                }
            }
            if let answer {
                if let error = answer["error"] as? [String: Any] { throw Failure(description: "\(method): \(error)") }
                return answer["result"] as? [String: Any] ?? [:]
            }
            if messages.isEmpty { usleep(2_000) }
        }
        throw Failure(description: "\(method): no answer within \(timeout) s")
    }

    func send(_ message: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: message) else { return }
        _ = [UInt8](data).withUnsafeBytes { ws.send(.text, $0) }
    }

    /// Evaluates `expression` in the page. - Returns: its value (JSON-like), nil for undefined.
    public func evaluate(_ expression: String) throws -> Any? {
        let r = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let e = r["exceptionDetails"] { throw Failure(description: "\(expression): \(e)") }
        return (r["result"] as? [String: Any])?["value"]
    }

    /// Clicks the middle of the element `selector` with the mouse (pressed and released), as a person would.
    public func click(_ selector: String) throws {
        let rect = try evaluate("(() => { const e = document.querySelector(\(Self.quoted(selector))); e.scrollIntoView(); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()") as? [Double]
        guard let rect, rect.count == 2 else { throw Failure(description: "\(selector): not on the page") }
        for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
            try call("Input.dispatchMouseEvent", ["type": type, "x": rect[0], "y": rect[1], "button": "left", "clickCount": 1])
        }
    }

    /// Types `text` into the focused element.
    public func type(_ text: String) throws { try call("Input.insertText", ["text": text]) }

    /// Waits until `expression` is true in the page. - Returns: whether it became true within `timeout` seconds.
    public func wait(until expression: String, timeout: Double) -> Bool {
        let deadline = MonotonicClock.now() + Nanos(raw: Int64(timeout * 1e9))
        while MonotonicClock.now() < deadline {
            if (try? evaluate(expression)) as? Bool == true { return true }
            usleep(200_000)
        }
        return false
    }

    /// A PNG of the page as it is drawn.
    public func screenshot() throws -> Data {
        let r = try call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        return Data(base64Encoded: r["data"] as? String ?? "") ?? Data()
    }

    static func quoted(_ s: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [s])
        return String(decoding: data ?? Data(), as: UTF8.self).dropFirst().dropLast().description
    }
}
