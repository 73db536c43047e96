// Maps what Poco::Data/SQLite throws to util::Error: contention, I/O and a
// read-only or full disk are transient (retry later, SMTP answers 4xx);
// constraint violations, bad SQL and corruption are permanent.
#pragma once

#include <exception>
#include <string_view>
#include <util/result.hpp>

namespace list::sqlite {

/// The error for `failure` caught while `doing` ("cannot add member x: ...").
util::Error to_error(const std::exception& failure, std::string_view doing);

} // namespace list::sqlite
