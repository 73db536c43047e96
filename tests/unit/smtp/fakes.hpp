// Test doubles for the smtp unit tests: a recipient check with a fixed set of
// known addresses and helpers that flatten Session actions into text.
#pragma once

#include <smtp/session.hpp>
#include <string>
#include <string_view>

namespace smtp::test {

/// Accepts list@, list-request@, list-owner@ and postmaster@ at example.org
/// (plus list-bounces+ANY@ and one UTF-8 list), says "unavailable" for
/// tempfail@example.org.
class FakeRecipients : public RecipientCheck {
public:
  RecipientVerdict check(std::string_view address) override;
};

/// A fixed clock so Received headers are reproducible: 2023-11-14 22:13:20 UTC.
inline constexpr std::time_t k_fixed_time = 1700000000;

Limits test_limits();
SessionOptions test_options(TlsPolicy tls = TlsPolicy::offered);

/// Concatenated bytes of the SendReply actions.
std::string replies(const Actions& actions);

} // namespace smtp::test

namespace smtp::test {

/// Drives a Session like the adapter does: answers StoreMessage with a queue
/// ID (Q1, Q2, ...) or a failure, completes StartTls once the current read is
/// consumed (as a real handshake would come after it), and records a
/// readable transcript: reply lines (CRLF shown as a newline), "[starttls]",
/// "[store ...]" followed by "| " data lines, "[close]".
class Driver {
public:
  explicit Driver(TlsPolicy tls = TlsPolicy::offered, Limits limits = test_limits());

  /// One read from the client, then a pending TLS handshake completes.
  void feed(std::string_view bytes);
  /// Part of one read: a pending handshake waits for complete_tls().
  void feed_part(std::string_view bytes);
  void complete_tls();
  void abort(Reply reason);
  void fail_stores(bool fail) { m_fail_stores = fail; }

  const std::string& transcript() const { return m_transcript; }
  /// "220 250 250 354 [store] 250 221 [close]": codes and actions only.
  const std::string& codes() const { return m_codes; }
  const std::vector<StoreMessage>& messages() const { return m_messages; }
  Session& session() { return m_session; }

private:
  void handle(Actions actions);

  FakeRecipients m_recipients;
  Session m_session;
  bool m_fail_stores = false;
  bool m_tls_pending = false;
  int m_next_id = 1;
  std::string m_transcript;
  std::string m_codes;
  std::vector<StoreMessage> m_messages;
};

} // namespace smtp::test
