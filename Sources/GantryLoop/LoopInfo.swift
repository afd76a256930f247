import CUV

/// Facts about the event-loop library.
public enum LoopInfo {
    /// libuv's version string ("1.44.2").
    public static var libuvVersion: String { String(cString: uv_version_string()) }
}
