#include "fakes.hpp"

#include <array>
#include <variant>

namespace smtp::test {

RecipientVerdict FakeRecipients::check(std::string_view address) {
  static constexpr std::array<std::string_view, 5> k_known{
      "list@example.org", "list-request@example.org", "list-owner@example.org",
      "postmaster@example.org", "gruppe-\xc3\xbc@example.org"};
  if (address == "tempfail@example.org") {
    return RecipientVerdict::unavailable;
  }
  // Like -bounces+TAG: a family of addresses, enough for the 101-recipient test.
  if (address.starts_with("list-bounces+") && address.ends_with("@example.org")) {
    return RecipientVerdict::accept;
  }
  for (auto known : k_known) {
    if (address == known) {
      return RecipientVerdict::accept;
    }
  }
  return RecipientVerdict::unknown;
}

Limits test_limits() {
  return Limits{};
}

SessionOptions test_options(TlsPolicy tls) {
  return SessionOptions{"mx.example.org", "192.0.2.1", "S1", tls, [] { return k_fixed_time; }};
}

std::string replies(const Actions& actions) {
  std::string out;
  for (const auto& action : actions) {
    if (const auto* send = std::get_if<SendReply>(&action)) {
      out += send->bytes;
    }
  }
  return out;
}

} // namespace smtp::test

namespace smtp::test {

Driver::Driver(TlsPolicy tls, Limits limits) : m_session(limits, test_options(tls), m_recipients) {
  handle(m_session.open());
}

void Driver::feed(std::string_view bytes) {
  feed_part(bytes);
  complete_tls();
}

void Driver::feed_part(std::string_view bytes) {
  handle(m_session.feed(bytes));
}

void Driver::complete_tls() {
  if (std::exchange(m_tls_pending, false) && m_session.phase() == Phase::starting_tls) {
    handle(m_session.tls_started());
  }
}

void Driver::abort(Reply reason) {
  handle(m_session.abort(reason));
}

namespace {

void append_visible(std::string& out, std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes.substr(i, 2) == "\r\n") {
      out += '\n';
      ++i;
    } else if (bytes[i] == '\r') {
      out += "\\r";
    } else if (bytes[i] == '\n') {
      out += "\\n";
    } else {
      out += bytes[i];
    }
  }
}

void append_code(std::string& codes, std::string_view token) {
  if (!codes.empty()) {
    codes += ' ';
  }
  codes += token;
}

} // namespace

void Driver::handle(Actions actions) {
  // The adapter's loop: act on each action in order; a store or handshake
  // answer may bring more actions (pipelined input after the dot).
  for (std::size_t i = 0; i < actions.size(); ++i) {
    auto& action = actions[i];
    if (auto* send = std::get_if<SendReply>(&action)) {
      append_visible(m_transcript, send->bytes);
      append_code(m_codes, send->bytes.substr(0, 3));
    } else if (std::holds_alternative<StartTls>(action)) {
      m_transcript += "[starttls]\n";
      append_code(m_codes, "[starttls]");
      m_tls_pending = true;
    } else if (auto* store = std::get_if<StoreMessage>(&action)) {
      const auto& envelope = store->envelope;
      m_transcript += "[store from=<" + envelope.mail_from + "> rcpt=";
      for (std::size_t r = 0; r < envelope.rcpt_to.size(); ++r) {
        m_transcript += (r ? ",<" : "<") + envelope.rcpt_to[r] + ">";
      }
      m_transcript += " helo=" + envelope.helo + " tls=" + (envelope.tls ? "yes" : "no") +
                      " size=" + std::to_string(store->data.size()) + "]\n";
      std::size_t start = 0;
      while (start < store->data.size()) {
        auto end = store->data.find("\r\n", start);
        m_transcript += "| ";
        append_visible(m_transcript, std::string_view(store->data).substr(start, end - start));
        m_transcript += '\n';
        start = end == std::string::npos ? store->data.size() : end + 2;
      }
      append_code(m_codes, "[store]");
      m_messages.push_back(*store);
      util::Result<std::string> outcome =
          m_fail_stores ? util::Result<std::string>(util::transient("disk full"))
                        : util::Result<std::string>("Q" + std::to_string(m_next_id++));
      auto more = m_session.stored(outcome);
      actions.insert(actions.end(), more.begin(), more.end());
    } else if (std::holds_alternative<Close>(action)) {
      m_transcript += "[close]\n";
      append_code(m_codes, "[close]");
    }
  }
}

} // namespace smtp::test
