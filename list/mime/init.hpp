// GMime's process-wide initialisation. No errors: g_mime_init cannot fail.
#pragma once

namespace list {

/// Initialises GMime once for the process. Call from main before any thread
/// starts; calling it again is harmless. Every list/mime function relies on it.
void initialize_mime();

} // namespace list
