#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <list/settings.hpp>

namespace list {

namespace {

constexpr std::array k_specs{
    SettingSpec{"posting",            "members|moderated|announce|open", "members",
                "who may post: members; members but held for moderation; only "
                "moderators and admins; anyone"                                                                               },
    SettingSpec{"require_signature",  "yes|no",                          "no",
                "posts must carry a good signature by a member's key"                                                         },
    SettingSpec{"require_encryption", "yes|no",                          "no",       "posts must be encrypted to the list key"},
    SettingSpec{"keyless_members",    "notify|plaintext|skip",           "notify",
                "members without a usable key: told they missed a post; sent signed "
                "plaintext; skipped"                                                                                          },
    SettingSpec{"subscription",       "open|approval|closed",            "approval",
                "self-subscription: confirmed at once; also approved by a moderator; not offered"                             },
    SettingSpec{"deliver_self",       "yes|no",                          "yes",      "a poster gets a copy of their own post" },
    SettingSpec{"subject_prefix",     "text",                            "",
                "put before each subject, e.g. [Crew]; `list create` sets [NAME]"                                             },
    SettingSpec{"keep_message_id",    "no|yes",                          "no",
                "copies keep the post's Message-ID instead of a fresh one"                                                    },
    SettingSpec{"max_message_size",   "size",                            "0",
                "largest post in bytes (K/M suffixes); 0 means [smtp] max_message_size"                                       },
    SettingSpec{"reply_to",           "list|sender|none",                "list",
                "Reply-To of each copy: the list address; the sender (also visible outside the "
                "encryption); none"                                                                                           },
};

constexpr std::uint64_t k_max_size = 1024ull * 1024 * 1024;

const SettingSpec* find_spec(std::string_view name) {
  for (const SettingSpec& spec : k_specs) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

bool in_choices(std::string_view choices, std::string_view value) {
  size_t start = 0;
  while (start <= choices.size()) {
    size_t end = choices.find('|', start);
    if (end == std::string_view::npos) {
      end = choices.size();
    }
    if (choices.substr(start, end - start) == value) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

util::Result<std::string> parse_size(std::string_view value) {
  std::uint64_t multiplier = 1;
  std::string_view digits = value;
  if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'k')) {
    multiplier = 1024;
    digits.remove_suffix(1);
  } else if (!digits.empty() && (digits.back() == 'M' || digits.back() == 'm')) {
    multiplier = 1024 * 1024;
    digits.remove_suffix(1);
  }
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      number > k_max_size / multiplier) {
    return util::permanent(
        fmt::format("'{}' is not a size (bytes, or a number with K or M, at most 1024M)", value));
  }
  return std::to_string(number * multiplier);
}

std::string_view value_or_default(const SettingMap& stored, const SettingSpec& spec) {
  auto found = stored.find(spec.name);
  return found == stored.end() ? spec.default_value : std::string_view(found->second);
}

} // namespace

std::span<const SettingSpec> setting_specs() {
  return k_specs;
}

util::Result<std::string> validate_setting(std::string_view name, std::string_view value) {
  const SettingSpec* spec = find_spec(name);
  if (spec == nullptr) {
    std::string known;
    for (const SettingSpec& each : k_specs) {
      known += known.empty() ? "" : ", ";
      known += each.name;
    }
    return util::permanent(fmt::format("unknown setting '{}' (known: {})", name, known));
  }
  if (spec->allowed == "size") {
    return parse_size(value);
  }
  if (spec->allowed == "text") {
    // Text goes into header fields: besides CR and LF, NUL, escape and the
    // other controls (RFC 5322 2.2 allows only HTAB among them) are refused.
    const bool has_control = std::any_of(value.begin(), value.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return (byte < 0x20 && c != '\t') || byte == 0x7f;
    });
    if (value.size() > 100 || has_control) {
      return util::permanent(fmt::format(
          "{} must be one line of at most 100 characters, without control characters", spec->name));
    }
    return std::string(value);
  }
  if (!in_choices(spec->allowed, value)) {
    return util::permanent(
        fmt::format("{} must be one of {}, not '{}'", spec->name, spec->allowed, value));
  }
  return std::string(value);
}

SettingMap effective_settings(const SettingMap& stored) {
  SettingMap out;
  for (const SettingSpec& spec : k_specs) {
    out.emplace(spec.name, value_or_default(stored, spec));
  }
  return out;
}

ListSettings typed_settings(const SettingMap& stored) {
  const SettingMap values = effective_settings(stored);
  auto get = [&](std::string_view name) -> std::string_view { return values.find(name)->second; };
  auto yes = [&](std::string_view name) { return get(name) == "yes"; };

  ListSettings out;
  const std::string_view posting = get("posting");
  out.posting = posting == "moderated"  ? Posting::moderated
                : posting == "announce" ? Posting::announce
                : posting == "open"     ? Posting::open
                                        : Posting::members;
  out.require_signature = yes("require_signature");
  out.require_encryption = yes("require_encryption");
  const std::string_view keyless = get("keyless_members");
  out.keyless_members = keyless == "plaintext" ? KeylessMembers::plaintext
                        : keyless == "skip"    ? KeylessMembers::skip
                                               : KeylessMembers::notify;
  const std::string_view subscription = get("subscription");
  out.subscription = subscription == "open"     ? Subscription::open
                     : subscription == "closed" ? Subscription::closed
                                                : Subscription::approval;
  out.deliver_self = yes("deliver_self");
  out.subject_prefix = std::string(get("subject_prefix"));
  out.keep_message_id = yes("keep_message_id");
  auto size = parse_size(get("max_message_size"));
  out.max_message_size = size ? std::stoull(*size) : 0;
  const std::string_view reply_to = get("reply_to");
  out.reply_to = reply_to == "sender" ? ReplyTo::sender
                 : reply_to == "none" ? ReplyTo::none
                                      : ReplyTo::list;
  return out;
}

} // namespace list
