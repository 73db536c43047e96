// `lifeline list ...`: create, show, delete, key, set.
#include <filesystem>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/settings.hpp>
#include <ostream>
#include <server/command.hpp>
#include <server/context.hpp>
#include <server/gnupg_home.hpp>

namespace server {

namespace {

list::KeyType parse_key_type(const Invocation& invocation) {
  const std::string type = invocation.option("--key-type").value_or("ed25519");
  if (type == "ed25519") {
    return list::KeyType::ed25519;
  }
  if (type == "rsa4096") {
    return list::KeyType::rsa4096;
  }
  throw UsageError(fmt::format("--key-type must be ed25519 or rsa4096, not '{}'", type));
}

void list_create(Context& context, const Invocation& invocation) {
  const std::string address =
      list::fold_case(value_or_refuse(list::normalise_address(invocation.args[0])));
  const list::KeyType key_type = parse_key_type(invocation);
  const std::string name =
      invocation.option("--name").value_or(std::string(list::local_part(address)));
  if (value_or_refuse(context.store().find_list(address))) {
    throw Refused(fmt::format("list {} is already there", address));
  }
  const std::string home = context.list_home(address);
  if (std::filesystem::exists(home)) {
    throw Refused(fmt::format("{} already exists but no list uses it: move it away first", home));
  }
  // The key is made before the list row; if anything fails, the half-made
  // home goes so that a retry starts clean.
  GnupgHomeGuard guard(home);
  auto keyring = context.keyring(address);
  const std::string fingerprint =
      value_or_refuse(keyring->create_list_key(list::ListIdentity{name, address}, key_type));
  list::ListRecord record;
  record.address = address;
  record.name = name;
  record.fingerprint = fingerprint;
  record = value_or_refuse(context.store().create_list(
      record, context.audit("list.create", address, fmt::format("fingerprint={}", fingerprint))));
  value_or_refuse(context.store().set_list_setting(
      record.id, "subject_prefix", fmt::format("[{}]", name),
      context.audit("list.set", address, fmt::format("subject_prefix=[{}]", name))));
  guard.keep();
  context.out() << fingerprint << "\n";
}

void list_show(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const auto members = value_or_refuse(context.store().members(record.id));
  const auto settings =
      list::effective_settings(value_or_refuse(context.store().list_settings(record.id)));
  std::ostream& out = context.out();
  out << fmt::format("address:     {}\nname:        {}\nfingerprint: {}\ncreated:     {}\n"
                     "members:     {}\n",
                     record.address, record.name, record.fingerprint, record.created_at,
                     members.size());
  out << "settings:\n";
  for (const list::SettingSpec& spec : list::setting_specs()) {
    out << fmt::format("  {:<20} {}\n", spec.name, settings.find(spec.name)->second);
  }
}

void list_delete(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  if (!invocation.flag("--yes")) {
    throw Refused(fmt::format("deleting {} removes its members and its key for good: add --yes",
                              record.address));
  }
  value_or_refuse(context.store().delete_list(
      record.id, context.audit("list.delete", record.address,
                               fmt::format("fingerprint={}", record.fingerprint))));
  remove_gnupg_home(context.list_home(record.address));
  context.out() << fmt::format("deleted {}\n", record.address);
}

void list_key(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  context.out() << value_or_refuse(
      context.keyring(record.address)->export_public_key(record.fingerprint));
}

void list_set(Context& context, const Invocation& invocation) {
  const list::ListRecord record = context.find_list(invocation.args[0]);
  const std::string& name = invocation.args[1];
  const std::string value = value_or_refuse(list::validate_setting(name, invocation.args[2]));
  value_or_refuse(context.store().set_list_setting(
      record.id, name, value,
      context.audit("list.set", record.address, fmt::format("{}={}", name, value))));
  context.out() << fmt::format("{} {} = {}\n", record.address, name, value);
}

void list_all(Context& context, const Invocation&) {
  for (const list::ListRecord& record : value_or_refuse(context.store().all_lists())) {
    context.out() << fmt::format("{}  {}  {}\n", record.address, record.fingerprint, record.name);
  }
}

// clang-format off
constexpr Command k_commands[] = {
  {"list create", "ADDRESS [--name TEXT] [--key-type ed25519|rsa4096]",
   "create a list and its key; prints the key's fingerprint", 1, 1, "--name --key-type", "", list_create},
  {"list show", "ADDRESS", "show a list, its key and its settings", 1, 1, "", "", list_show},
  {"list delete", "ADDRESS --yes", "delete a list, its members and its key", 1, 1, "", "--yes", list_delete},
  {"list key", "ADDRESS", "print the list's armored public key", 1, 1, "", "", list_key},
  {"list set", "ADDRESS SETTING VALUE", "change a per-list setting (see `list show`)", 3, 3, "", "", list_set},
  {"list all", "", "every list: address, fingerprint, name", 0, 0, "", "", list_all},
};
// clang-format on

} // namespace

std::span<const Command> list_commands() {
  return k_commands;
}

} // namespace server
