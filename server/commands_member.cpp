// `lifeline member ...`: add (with the member's key), remove, list.
#include <ctime>
#include <fmt/format.h>
#include <list/address.hpp>
#include <ostream>
#include <server/command.hpp>
#include <server/context.hpp>
#include <server/json.hpp>
#include <util/fd.hpp>

namespace server {

namespace {

std::string format_expiry(const std::optional<std::int64_t>& expires) {
  if (!expires) {
    return "never";
  }
  const std::time_t seconds = static_cast<std::time_t>(*expires);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
  return text;
}

void member_add(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const std::string email = value_or_refuse(list::normalise_address(invocation.args[1]));
  const auto role = list::parse_role(invocation.option("--role").value_or("member"));
  if (!role) {
    throw UsageError("--role must be member, moderator or admin");
  }
  if (value_or_refuse(context.store().find_member(record.id, email))) {
    throw Refused(fmt::format("{} is already a member of {}", email, record.address));
  }
  list::MemberRecord member;
  member.list_id = record.id;
  member.email = email;
  member.role = *role;
  std::string key_data;
  if (auto key_file = invocation.option("--key")) {
    key_data = value_or_refuse(util::read_file(*key_file));
    const auto uid_check = invocation.flag("--allow-uid-mismatch") ? list::UidCheck::allow_mismatch
                                                                   : list::UidCheck::require_match;
    // The key is checked before anything changes, so a refused key leaves
    // both the database and the keyring as they were.
    auto keyring = context.keyring(record.address);
    const list::KeyInfo info =
        value_or_refuse(keyring->inspect_member_key(key_data, email, uid_check));
    value_or_refuse(keyring->import_member_key(key_data, email, uid_check));
    member.fingerprint = info.fingerprint;
    member.key_expires = info.expires;
  }
  member = value_or_refuse(context.store().add_member(
      member, key_data,
      context.audit("member.add", fmt::format("{} {}", record.address, email),
                    fmt::format("role={} fingerprint={}", list::to_string(member.role),
                                member.fingerprint.empty() ? "none" : member.fingerprint))));
  context.out() << fmt::format(
      "added {} to {} as {}{}\n", email, record.address, list::to_string(member.role),
      member.fingerprint.empty() ? " (no key)" : " with key " + member.fingerprint);
}

void member_remove(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const std::string email = value_or_refuse(list::normalise_address(invocation.args[1]));
  auto member = value_or_refuse(context.store().find_member(record.id, email));
  if (!member) {
    throw Refused(fmt::format("{} is not a member of {}", email, record.address));
  }
  value_or_refuse(context.store().remove_member(
      member->id, context.audit("member.remove", fmt::format("{} {}", record.address, email))));
  context.out() << fmt::format("removed {} from {}\n", email, record.address);
}

void member_list(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const auto members = value_or_refuse(context.store().members(record.id));
  std::ostream& out = context.out();
  if (invocation.flag("--json")) {
    out << "[";
    for (std::size_t i = 0; i < members.size(); ++i) {
      const list::MemberRecord& m = members[i];
      out << fmt::format(
          "{}\n  {{\"address\": {}, \"role\": {}, \"fingerprint\": {}, \"key_expires\": {}, "
          "\"state\": {}}}",
          i == 0 ? "" : ",", json_string(m.email), json_string(list::to_string(m.role)),
          m.fingerprint.empty() ? "null" : json_string(m.fingerprint),
          m.key_expires ? std::to_string(*m.key_expires) : "null",
          json_string(list::to_string(m.state)));
    }
    out << (members.empty() ? "]\n" : "\n]\n");
    return;
  }
  for (const list::MemberRecord& m : members) {
    out << fmt::format("{:<36} {:<9} {:<40} {:<10} {}\n", m.email, list::to_string(m.role),
                       m.fingerprint.empty() ? "-" : m.fingerprint, format_expiry(m.key_expires),
                       list::to_string(m.state));
  }
}

// clang-format off
constexpr Command k_commands[] = {
  {"member add", "LIST EMAIL [--key FILE] [--role member|moderator|admin] [--allow-uid-mismatch]",
   "add a member, bound to the one public key in FILE", 2, 2, "--key --role", "--allow-uid-mismatch", member_add},
  {"member remove", "LIST EMAIL", "remove a member", 2, 2, "", "", member_remove},
  {"member list", "LIST [--json]", "address, role, fingerprint, key expiry, state", 1, 1, "", "--json", member_list},
};
// clang-format on

} // namespace

std::span<const Command> member_commands() {
  return k_commands;
}

} // namespace server
