// Per-list settings: one table of name, allowed values and default, used to
// validate `list set`, to fill defaults and to give the pipeline typed values.
#pragma once

#include <cstdint>
#include <list/store.hpp>
#include <span>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

enum class Posting { members, moderated, announce, open };
enum class KeylessMembers { notify, plaintext, skip };
enum class Subscription { open, approval, closed };
/// The Reply-To of each copy: the list, the post's sender, or none at all.
enum class ReplyTo { list, sender, none };

struct SettingSpec {
  std::string_view name;
  std::string_view allowed; // "a|b|c", or "text", or "size"
  std::string_view default_value;
  std::string_view description;
};

/// Every per-list setting, in the order `list show` prints them.
std::span<const SettingSpec> setting_specs();

/// Checks `value` for setting `name`; returns its canonical form.
util::Result<std::string> validate_setting(std::string_view name, std::string_view value);

/// Stored values over defaults, typed.
struct ListSettings {
  Posting posting = Posting::members;
  bool require_signature = false;
  bool require_encryption = false;
  KeylessMembers keyless_members = KeylessMembers::notify;
  Subscription subscription = Subscription::approval;
  bool deliver_self = true;
  std::string subject_prefix;
  bool keep_message_id = false;
  std::uint64_t max_message_size = 0; // 0: the server's [smtp] max_message_size
  ReplyTo reply_to = ReplyTo::list;
};

/// Typed settings from stored values; unknown or invalid stored values fall
/// back to defaults (they were validated on the way in).
ListSettings typed_settings(const SettingMap& stored);

/// Stored values over defaults, as text, in table order.
SettingMap effective_settings(const SettingMap& stored);

} // namespace list
