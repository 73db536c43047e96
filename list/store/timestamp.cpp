#include <ctime>
#include <fmt/chrono.h>
#include <list/store/timestamp.hpp>

namespace list::sqlite {

std::string utc_now_iso8601() {
  // gmtime_r, not fmt's time_point formatter: older fmt releases format
  // time_points in local time.
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

} // namespace list::sqlite
