// CDecimal is header-only (static inline); this file gives SwiftPM a C target to build.
