// Parsing of the MAIL FROM / RCPT TO arguments (RFC 5321 4.1.2 paths plus
// ESMTP parameters) into values; failures are returned as a PathError that
// the session maps to its reply, never thrown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace smtp {

enum class PathError {
  command_syntax,        // not "FROM:<...>" / "TO:<...>" at all
  address_syntax,        // the mailbox inside <> is malformed
  too_long,              // RFC 5321 4.5.3.1: local-part 64, domain 255, path 256
  parameter_syntax,      // a parameter is malformed, repeated or has a bad value
  unsupported_parameter, // well-formed but not an extension we offer
};

enum class Body { seven_bit, eight_bit_mime };

/// Whether non-ASCII octets may appear in addresses (RFC 6531 3.3, SMTPUTF8).
enum class Utf8 { forbidden, allowed };

struct MailFrom {
  std::string address;               // without <>, "" for the null reverse-path
  std::optional<std::uint64_t> size; // RFC 1870 SIZE=, saturated at UINT64_MAX
  Body body = Body::seven_bit;
  bool smtputf8 = false;
};

struct RcptTo {
  std::string address;     // without <> and without a source route; "postmaster" alone allowed
  bool postmaster = false; // RFC 5321 4.5.1: the bare <Postmaster> that must be accepted
};

/// Parses what follows "MAIL": "FROM:<reverse-path> [params]".
tl::expected<MailFrom, PathError> parse_mail_from(std::string_view argument);

/// Parses what follows "RCPT": "TO:<forward-path> [params]". `utf8` comes
/// from the transaction's MAIL FROM.
tl::expected<RcptTo, PathError> parse_rcpt_to(std::string_view argument, Utf8 utf8);

/// Whether `mailbox` (no <>) is a valid RFC 5321 Mailbox.
bool is_valid_mailbox(std::string_view mailbox, Utf8 utf8);

} // namespace smtp
