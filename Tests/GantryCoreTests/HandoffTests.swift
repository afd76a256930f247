import Testing
import GantryCore

@Suite("Handoff")
struct HandoffTests {
    struct Token: ~Copyable, Sendable { let value: Int }

    static func value(_ token: consuming Token?) -> Int? {
        switch consume token {
        case .some(let t): t.value
        case .none: nil
        }
    }

    @Test("a value is taken exactly once")
    func takenOnce() {
        let box = Handoff(Token(value: 7))
        let first = Self.value(box.take())
        let second = Self.value(box.take())
        #expect(first == 7)
        #expect(second == nil)
    }
}
