#include <array>
#include <list/address.hpp>
#include <list/route.hpp>

namespace list {

namespace {
struct Suffix {
  std::string_view text;
  RouteKind kind;
};
constexpr std::array k_suffixes{
    Suffix{"-request", RouteKind::request},
    Suffix{"-owner",   RouteKind::owner  },
    Suffix{"-sendkey", RouteKind::sendkey},
    Suffix{"-bounces", RouteKind::bounces},
};

bool ends_with_nocase(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() &&
         same_address(text.substr(text.size() - suffix.size()), suffix);
}
} // namespace

std::vector<Route> candidate_routes(std::string_view address) {
  std::vector<Route> out;
  std::string_view local = local_part(address);
  const std::string_view domain = domain_part(address);
  if (domain.empty() || local.empty()) {
    return out;
  }
  // VERP: crew-bounces+TAG@x. The tag is opaque; only -bounces carries one.
  std::string_view tag;
  if (const auto plus = local.find('+'); plus != std::string_view::npos) {
    tag = local.substr(plus + 1);
    std::string_view base = local.substr(0, plus);
    if (ends_with_nocase(base, "-bounces") && !tag.empty()) {
      out.push_back(Route{RouteKind::bounces,
                          std::string(base.substr(0, base.size() - 8)) + "@" + std::string(domain),
                          std::string(tag)});
    }
    return out;
  }
  for (const Suffix& suffix : k_suffixes) {
    if (ends_with_nocase(local, suffix.text)) {
      out.push_back(Route{suffix.kind,
                          std::string(local.substr(0, local.size() - suffix.text.size())) + "@" +
                              std::string(domain),
                          {}});
    }
  }
  out.push_back(Route{RouteKind::post, std::string(address), {}});
  return out;
}

const char* to_string(RouteKind kind) {
  switch (kind) {
  case RouteKind::post:
    return "post";
  case RouteKind::request:
    return "request";
  case RouteKind::owner:
    return "owner";
  case RouteKind::sendkey:
    return "sendkey";
  case RouteKind::bounces:
    return "bounces";
  }
  return "post";
}

} // namespace list
