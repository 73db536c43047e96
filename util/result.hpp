// Expected outcomes as values: Result<T> holds a T or an Error saying whether
// trying again later may help (transient) or not (permanent).
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace util {

enum class Severity { transient, permanent };

struct Error {
  Severity severity = Severity::permanent;
  std::string message;
};

template <class T> using Result = tl::expected<T, Error>;

/// A permanent failure: the same request will fail again.
inline tl::unexpected<Error> permanent(std::string message) {
  return tl::unexpected<Error>(Error{Severity::permanent, std::move(message)});
}

/// A transient failure: the same request may succeed later.
inline tl::unexpected<Error> transient(std::string message) {
  return tl::unexpected<Error>(Error{Severity::transient, std::move(message)});
}

} // namespace util
