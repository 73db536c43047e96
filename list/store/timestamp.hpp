// The store's one clock: times written to the database are ISO 8601 UTC text
// to the second ("2024-05-01T09:30:00Z"), so they sort as text and read alike
// in SQLite and PostgreSQL. Cannot fail.
#pragma once

#include <string>

namespace list::sqlite {

/// The current time, ISO 8601 UTC.
std::string utc_now_iso8601();

} // namespace list::sqlite
