// SMTP intake limits with RFC-sane defaults; the config table in server/
// fills them (name, default, min, max) and validates before a Session sees them.
// Plain data: nothing here reports errors.
#pragma once

#include <chrono>
#include <cstddef>

namespace smtp {

struct Limits {
  /// RFC 5321 4.5.3.1.4: 512 octets including CRLF is the nominal command line;
  /// ESMTP parameters may extend it, so lines up to `command_line_accept` pass.
  std::size_t command_line = 512;
  std::size_t command_line_accept = 2048;
  /// RFC 5321 4.5.3.1.6: 1000 octets including CRLF per text line in DATA.
  std::size_t text_line = 1000;
  /// Advertised as SIZE (RFC 1870), checked at MAIL and while reading DATA.
  std::size_t max_message_size = 25 * 1024 * 1024;
  /// RFC 5321 4.5.3.1.8 asks for at least 100 recipients per transaction.
  std::size_t max_recipients = 100;
  /// RFC 5321 4.5.3.2.7: wait at least 5 minutes for the next command.
  std::chrono::seconds command_timeout{300};
  /// Longest silence tolerated while reading DATA (RFC 5321 4.5.3.2.5-6 ask
  /// clients for 3 and 10 minutes; the server side must not be shorter).
  std::chrono::seconds data_timeout{600};
  std::size_t max_sessions = 100;
  std::size_t max_sessions_per_ip = 10;
  /// Errors (4xx/5xx replies) after which the session answers 421 4.7.0 and closes.
  std::size_t max_errors = 10;
};

} // namespace smtp
