#include <list/types.hpp>

namespace list {

const char* to_string(Role role) {
  switch (role) {
  case Role::member:
    return "member";
  case Role::moderator:
    return "moderator";
  case Role::admin:
    return "admin";
  }
  return "member";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role role : {Role::member, Role::moderator, Role::admin}) {
    if (text == to_string(role)) {
      return role;
    }
  }
  return std::nullopt;
}

const char* to_string(MemberState state) {
  return state == MemberState::active ? "active" : "disabled";
}

} // namespace list
