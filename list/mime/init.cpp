#include <gmime/gmime.h>
#include <list/mime/init.hpp>
#include <mutex>

namespace list {

void initialize_mime() {
  // g_mime_init is not thread safe and counts its calls; call_once keeps
  // repeated calls (tests, fuzzers) from stacking initialisations.
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

} // namespace list
