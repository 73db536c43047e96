// Which list address a recipient is, and in which role: the post address, or
// one of its special addresses (-request, -owner, -sendkey, -bounces+TAG).
// Pure parsing; whether the list exists is the caller's question.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

enum class RouteKind { post, request, owner, sendkey, bounces };

struct Route {
  RouteKind kind = RouteKind::post;
  std::string list_address; // crew@lists.example.org
  std::string tag;          // the +TAG of -bounces+TAG, else empty
};

/// Every reading of `address` as a list address, most specific first:
/// "crew-owner@x" is the owner address of crew@x, or the post address of a
/// list called crew-owner@x; the caller takes the first whose list exists.
std::vector<Route> candidate_routes(std::string_view address);

const char* to_string(RouteKind kind);

} // namespace list
