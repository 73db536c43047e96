// `lifeline user add`, `audit verify|show`, `config reference|show`.
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/audit.hpp>
#include <list/password.hpp>
#include <ostream>
#include <server/command.hpp>
#include <server/config_table.hpp>
#include <server/context.hpp>
#include <util/fd.hpp>

namespace server {

namespace {

void user_add(Context& context, const Invocation& invocation) {
  const std::string email = value_or_refuse(list::normalise_address(invocation.args[0]));
  const auto role_text = invocation.option("--role");
  const auto role = role_text ? list::parse_role(*role_text) : std::nullopt;
  if (!role || *role == list::Role::member) {
    throw UsageError("--role must be admin or moderator");
  }
  const auto password_file = invocation.option("--password-file");
  if (!password_file) {
    throw UsageError("--password-file is required (the password is never a command argument)");
  }
  std::string password = value_or_refuse(util::read_file(*password_file));
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  list::UserRecord user;
  user.email = email;
  user.role = *role;
  if (auto list_address = invocation.option("--list")) {
    user.list_id = context.find_list(*list_address).id;
  } else if (*role == list::Role::moderator) {
    throw UsageError("a moderator needs --list LIST");
  }
  user.password_hash = value_or_refuse(list::hash_password(password));
  value_or_refuse(context.store().add_user(
      user, context.audit("user.add", email,
                          fmt::format("role={}{}", list::to_string(user.role),
                                      invocation.option("--list")
                                          ? " list=" + *invocation.option("--list")
                                          : ""))));
  context.out() << fmt::format("added {} user {}\n", list::to_string(user.role), email);
}

void audit_verify(Context& context, const Invocation&) {
  const auto entries = value_or_refuse(context.store().audit_log());
  if (auto broken = list::first_broken_entry(entries)) {
    throw Refused(fmt::format("audit log broken at entry {}: it or the entry before it was "
                              "changed or removed",
                              *broken));
  }
  context.out() << fmt::format("audit log intact: {} entries\n", entries.size());
}

void audit_show(Context& context, const Invocation&) {
  for (const list::AuditEntry& entry : value_or_refuse(context.store().audit_log())) {
    context.out() << fmt::format("{} {} {} {} {} {}\n", entry.id, entry.time, entry.event.actor,
                                 entry.event.action, entry.event.target, entry.event.detail);
  }
}

void config_reference(Context& context, const Invocation&) {
  context.out() << config_reference_markdown();
}

void config_show(Context& context, const Invocation&) {
  context.out() << context.config().to_ini();
}

// clang-format off
constexpr Command k_user_commands[] = {
  {"user add", "EMAIL --role admin|moderator [--list LIST] --password-file FILE",
   "add a web panel account (argon2id password hash)", 1, 1, "--role --list --password-file", "", user_add},
};
constexpr Command k_audit_commands[] = {
  {"audit verify", "", "check the audit log's hash chain; names the first broken entry", 0, 0, "", "", audit_verify},
  {"audit show", "", "print the audit log", 0, 0, "", "", audit_show},
};
constexpr Command k_config_commands[] = {
  {"config reference", "", "every configuration key as a Markdown table", 0, 0, "", "", config_reference},
  {"config show", "", "the configuration in effect, as INI", 0, 0, "", "", config_show},
};
// clang-format on

} // namespace

std::span<const Command> user_commands() {
  return k_user_commands;
}
std::span<const Command> audit_commands() {
  return k_audit_commands;
}
std::span<const Command> config_commands() {
  return k_config_commands;
}

} // namespace server
