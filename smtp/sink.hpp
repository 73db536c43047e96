// What SMTP intake asks of the rest of Lifeline, as two small interfaces that
// server/ implements: is this recipient ours, and keep this message durably.
// smtp/ knows nothing of lists; these are the only doors out of it.
#pragma once

#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace smtp {

struct Envelope {
  std::string mail_from;            // reverse-path without <>, "" for the null sender
  std::vector<std::string> rcpt_to; // accepted forward-paths without <>
  std::string helo;                 // the EHLO/HELO argument
  std::string client_address;       // peer IP, for the Received header and logs
  bool tls = false;                 // the transaction ran inside STARTTLS
  bool smtputf8 = false;            // MAIL FROM carried SMTPUTF8
  bool eight_bit = false;           // BODY=8BITMIME
};

/// Verdict on one RCPT TO, asked at once (no accept-then-bounce).
enum class RecipientVerdict { accept, unknown, unavailable };

class RecipientCheck {
public:
  virtual ~RecipientCheck() = default;
  virtual RecipientVerdict check(std::string_view address) = 0;
};

class MessageSink {
public:
  virtual ~MessageSink() = default;
  /// Stores the message durably (fsync'd or committed) before returning its
  /// queue ID; an Error means nothing was stored and the client gets 451.
  /// May block while a group commit gathers other sessions' messages.
  virtual util::Result<std::string> store(const Envelope& envelope, std::string data) = 0;
};

} // namespace smtp
