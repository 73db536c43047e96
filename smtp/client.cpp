#include <algorithm>
#include <cassert>
#include <smtp/client.hpp>
#include <utility>

namespace smtp {
namespace {

// A relay line longer than this, or a reply with more lines, is not SMTP
// (RFC 5321 4.5.3.1.5 allows 512 octets); refusing keeps memory bounded.
constexpr std::size_t k_max_reply_line = 8192;
constexpr std::size_t k_max_reply_lines = 200;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string upper_copy(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), upper);
  return out;
}

/// The length of an RFC 3463 code ("5.1.1") at the start of `text` whose
/// class matches the reply's first digit, else 0.
std::size_t enhanced_code_length(std::string_view text, char reply_class) {
  if (text.size() < 5 || text[0] != reply_class || text[1] != '.') {
    return 0;
  }
  std::size_t at = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t digits = 0;
    while (at < text.size() && is_digit(text[at]) && digits < 3) {
      ++at;
      ++digits;
    }
    if (digits == 0) {
      return 0;
    }
    if (part == 0) {
      if (at >= text.size() || text[at] != '.') {
        return 0;
      }
      ++at;
    }
  }
  if (at < text.size() && text[at] != ' ') {
    return 0;
  }
  return at;
}

Outcome outcome_of(const ServerReply& reply) {
  if (reply.code >= 200 && reply.code < 300) {
    return Outcome::delivered;
  }
  // 503 "bad sequence of commands" says the two sides lost step (a relay
  // mishandling pipelining), not that the recipient is refused: try again.
  return reply.code >= 500 && reply.code != 503 ? Outcome::permanent : Outcome::transient;
}

ServerReply local_reply(std::string text) {
  return ServerReply{0, {}, std::move(text)};
}

} // namespace

std::string ServerReply::summary() const {
  std::string out = code == 0 ? std::string("local") : std::to_string(code);
  if (!enhanced.empty()) {
    out += " " + enhanced;
  }
  if (!text.empty()) {
    out += " " + text;
  }
  return out;
}

std::optional<ServerReply> parse_reply(const std::vector<std::string>& lines) {
  if (lines.empty()) {
    return std::nullopt;
  }
  ServerReply reply;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        line[0] < '2' || line[0] > '5') {
      return std::nullopt;
    }
    if (line.substr(0, 3) != std::string_view(lines[0]).substr(0, 3)) {
      return std::nullopt; // RFC 5321 4.2.1: every line of a reply has the same code
    }
    const bool last = i + 1 == lines.size();
    if (line.size() > 3 && line[3] != (last ? ' ' : '-')) {
      return std::nullopt;
    }
    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
    if (auto length = enhanced_code_length(text, line[0]); length > 0) {
      if (reply.enhanced.empty()) {
        reply.enhanced = std::string(text.substr(0, length));
      }
      text.remove_prefix(std::min(text.size(), length + 1));
    }
    if (!text.empty()) {
      if (!reply.text.empty()) {
        reply.text += "; ";
      }
      // Replies end up in the queue and in logs: keep them printable.
      for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        reply.text.push_back(byte >= 0x20 && byte != 0x7f ? c : '?');
      }
    }
  }
  reply.code = (lines[0][0] - '0') * 100 + (lines[0][1] - '0') * 10 + (lines[0][2] - '0');
  return reply;
}

std::string dot_stuff(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (line_start && c == '.') {
      out.push_back('.');
    }
    if (c == '\n') {
      if (out.empty() || out.back() != '\r') {
        out.push_back('\r'); // a bare LF would be refused as smuggling by strict servers
      }
      out.push_back('\n');
      line_start = true;
      continue;
    }
    if (c == '\r' && (i + 1 >= data.size() || data[i + 1] != '\n')) {
      out.append("\r\n"); // a bare CR, likewise
      line_start = true;
      continue;
    }
    out.push_back(c);
    line_start = false;
  }
  if (!line_start) {
    out.append("\r\n");
  }
  out.append(".\r\n");
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(k_alphabet[(n >> 6) & 63]);
    out.push_back(k_alphabet[n & 63]);
  }
  if (i < bytes.size()) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? k_alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Client::Client(ClientOptions options) : m_options(std::move(options)) {
  m_tls = m_options.tls_mode == TlsMode::implicit;
}

ClientActions Client::connected() {
  return std::exchange(m_out, {});
}

ClientActions Client::feed(std::string_view bytes) {
  if (m_phase == ClientPhase::closed) {
    return {};
  }
  m_in.append(bytes);
  std::size_t pos = 0;
  while (m_phase != ClientPhase::closed) {
    const auto newline = m_in.find('\n', pos);
    if (newline == std::string::npos) {
      if (m_in.size() - pos > k_max_reply_line) {
        fail_local(Outcome::transient, "relay sent an overlong reply line");
      }
      break;
    }
    std::string line = m_in.substr(pos, newline - pos);
    pos = newline + 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    m_lines.push_back(std::move(line));
    const std::string& last = m_lines.back();
    if (last.size() >= 4 && last[3] == '-' && m_lines.size() < k_max_reply_lines) {
      continue;
    }
    auto reply = parse_reply(m_lines);
    std::vector<std::string> lines = std::exchange(m_lines, {});
    if (!reply) {
      fail_local(Outcome::transient, "relay sent something that is not an SMTP reply");
      break;
    }
    if (m_phase == ClientPhase::ehlo) {
      on_ehlo(*reply, lines);
    } else {
      on_reply(*reply);
    }
    if (m_phase == ClientPhase::tls_handshake && pos < m_in.size()) {
      // Bytes after the 220 to STARTTLS were sent in plaintext by someone:
      // they must never be read as if they came through TLS (CVE-2011-0411
      // in reverse, the "STARTTLS response injection").
      fail_local(Outcome::transient, "relay sent plaintext after its STARTTLS reply");
    }
  }
  if (m_phase == ClientPhase::closed) {
    m_in.clear();
  } else {
    m_in.erase(0, pos);
  }
  return std::exchange(m_out, {});
}

ClientActions Client::tls_started() {
  assert(m_phase == ClientPhase::tls_handshake);
  m_tls = true;
  m_in.clear();
  m_lines.clear();
  // RFC 3207 4.2: everything learnt before TLS is discarded.
  m_pipelining = false;
  m_starttls_offered = false;
  m_auth_plain = false;
  m_auth_login = false;
  m_helo_fallback = false;
  m_phase = ClientPhase::ehlo;
  send_bytes("EHLO " + m_options.helo_name + "\r\n");
  return std::exchange(m_out, {});
}

ClientActions Client::send(Outgoing message) {
  assert(m_phase == ClientPhase::ready);
  assert(!message.recipients.empty());
  m_message = std::move(message);
  m_results.clear();
  for (const std::string& recipient : m_message.recipients) {
    m_results.push_back(RecipientOutcome{recipient, Outcome::transient, Stage::mail, {}});
  }
  m_rcpt_ok.assign(m_results.size(), false);
  m_decided.assign(m_results.size(), false);
  m_accepted = 0;
  m_mail_refusal.reset();
  m_steps.clear();
  if (m_needs_rset) {
    m_steps.push_back(Step{Expect::rset, "RSET\r\n", 0});
  }
  m_steps.push_back(Step{Expect::mail, "MAIL FROM:<" + m_message.mail_from + ">\r\n", 0});
  for (std::size_t i = 0; i < m_message.recipients.size(); ++i) {
    m_steps.push_back(Step{Expect::rcpt, "RCPT TO:<" + m_message.recipients[i] + ">\r\n", i});
  }
  m_steps.push_back(Step{Expect::data, "DATA\r\n", 0});
  m_needs_rset = false;
  m_phase = ClientPhase::transaction;
  send_next_steps();
  return std::exchange(m_out, {});
}

ClientActions Client::quit() {
  assert(m_phase == ClientPhase::ready);
  m_phase = ClientPhase::quitting;
  send_bytes("QUIT\r\n");
  return std::exchange(m_out, {});
}

ClientActions Client::connection_lost(std::string_view why) {
  if (m_phase == ClientPhase::quitting) {
    m_phase = ClientPhase::closed;
    return {};
  }
  if (m_phase != ClientPhase::closed) {
    fail_local(Outcome::transient, std::string(why));
  }
  return std::exchange(m_out, {});
}

/// Sends the commands not yet sent: all of them when pipelining (RFC 2920:
/// DATA may end a group, nothing may follow it), else the next one.
void Client::send_next_steps() {
  std::string batch;
  for (Step& step : m_steps) {
    if (!step.command.empty()) {
      batch += std::exchange(step.command, {});
      if (!m_pipelining) {
        break;
      }
    }
  }
  if (!batch.empty()) {
    send_bytes(std::move(batch));
  }
}

void Client::on_reply(const ServerReply& reply) {
  // RFC 5321 3.8: 421 means the relay is closing the channel, whatever we asked.
  if (reply.code == 421 && m_phase != ClientPhase::quitting) {
    fail(Outcome::transient, reply);
    return;
  }
  switch (m_phase) {
  case ClientPhase::greeting:
    on_greeting(reply);
    return;
  case ClientPhase::ehlo:
    on_ehlo(reply, {});
    return;
  case ClientPhase::starttls:
    on_starttls(reply);
    return;
  case ClientPhase::auth:
    on_auth(reply);
    return;
  case ClientPhase::transaction:
  case ClientPhase::data:
    on_transaction_reply(reply);
    return;
  case ClientPhase::quitting:
    m_phase = ClientPhase::closed;
    m_out.emplace_back(CloseConnection{Outcome::transient, reply});
    return;
  case ClientPhase::ready:
  case ClientPhase::tls_handshake:
    // Nobody asked: the two sides are out of step, so nothing more that the
    // relay says can be trusted to answer our commands.
    fail_local(Outcome::transient, "relay sent an unexpected reply: " + reply.summary());
    return;
  case ClientPhase::closed:
    return;
  }
}

void Client::on_greeting(const ServerReply& reply) {
  if (reply.code != 220) {
    fail(Outcome::transient, reply);
    return;
  }
  m_phase = ClientPhase::ehlo;
  send_bytes("EHLO " + m_options.helo_name + "\r\n");
}

void Client::on_ehlo(const ServerReply& reply, const std::vector<std::string>& lines) {
  if (reply.code == 421) {
    fail(Outcome::transient, reply);
    return;
  }
  if (reply.code != 250) {
    if (!m_helo_fallback && reply.code >= 500) {
      // RFC 5321 3.2: a server that does not know EHLO gets HELO.
      m_helo_fallback = true;
      send_bytes("HELO " + m_options.helo_name + "\r\n");
      return;
    }
    fail(Outcome::transient, reply);
    return;
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string keyword = upper_copy(lines[i].size() > 4 ? lines[i].substr(4) : "");
    if (keyword == "PIPELINING") {
      m_pipelining = true;
    } else if (keyword == "STARTTLS") {
      m_starttls_offered = true;
    } else if (keyword.starts_with("AUTH ") || keyword.starts_with("AUTH=")) {
      std::string_view mechanisms = std::string_view(keyword).substr(5);
      while (!mechanisms.empty()) {
        const auto space = mechanisms.find(' ');
        const auto word = mechanisms.substr(0, space);
        m_auth_plain = m_auth_plain || word == "PLAIN";
        m_auth_login = m_auth_login || word == "LOGIN";
        mechanisms =
            space == std::string_view::npos ? std::string_view{} : mechanisms.substr(space + 1);
      }
    }
  }
  after_ehlo();
}

void Client::after_ehlo() {
  if (!m_tls && m_options.tls_mode == TlsMode::starttls && m_options.starttls != StartTls::off &&
      !m_starttls_refused) {
    if (m_starttls_offered) {
      m_phase = ClientPhase::starttls;
      send_bytes("STARTTLS\r\n");
      return;
    }
    if (m_options.starttls == StartTls::required) {
      fail_local(Outcome::transient,
                 "relay does not offer STARTTLS and [relay] starttls = required");
      return;
    }
  }
  if (!m_options.username.empty()) {
    if (!m_tls) {
      // The password never crosses the network in clear.
      fail_local(Outcome::transient, "AUTH is configured but the connection has no TLS");
      return;
    }
    m_phase = ClientPhase::auth;
    m_auth_step = 0;
    if (m_auth_plain) {
      // RFC 4616: authzid NUL authcid NUL passwd, in the initial response (RFC 4954 4).
      std::string token;
      token.push_back('\0');
      token += m_options.username;
      token.push_back('\0');
      token += m_options.password;
      send_bytes("AUTH PLAIN " + base64(token) + "\r\n");
      m_auth_step = 2;
      return;
    }
    if (m_auth_login) {
      send_bytes("AUTH LOGIN\r\n");
      return;
    }
    fail_local(Outcome::transient,
               "AUTH is configured but the relay offers neither PLAIN nor LOGIN");
    return;
  }
  m_phase = ClientPhase::ready;
}

void Client::on_starttls(const ServerReply& reply) {
  if (reply.code == 220) {
    m_phase = ClientPhase::tls_handshake;
    m_out.emplace_back(BeginTls{});
    return;
  }
  if (m_options.starttls == StartTls::required) {
    fail(Outcome::transient, reply);
    return;
  }
  m_starttls_refused = true; // "auto": carry on in plaintext, as Postfix's "may"
  after_ehlo();
}

/// AUTH LOGIN (draft-murchison-sasl-login) asks for user and password in two
/// 334 rounds; AUTH PLAIN sent everything at once. 235 ends both.
void Client::on_auth(const ServerReply& reply) {
  if (reply.code == 334 && m_auth_step == 0) {
    m_auth_step = 1;
    send_bytes(base64(m_options.username) + "\r\n");
    return;
  }
  if (reply.code == 334 && m_auth_step == 1) {
    m_auth_step = 2;
    send_bytes(base64(m_options.password) + "\r\n");
    return;
  }
  if (reply.code == 235 && m_auth_step == 2) {
    m_phase = ClientPhase::ready;
    return;
  }
  // 535 and friends: our credentials, not the recipients' fault.
  if (reply.code == 334) {
    send_bytes("*\r\n"); // RFC 4954 4: cancel an exchange we cannot follow
  }
  fail(Outcome::transient, reply);
}

void Client::on_transaction_reply(const ServerReply& reply) {
  if (m_steps.empty()) {
    fail_local(Outcome::transient, "relay sent an unexpected reply: " + reply.summary());
    return;
  }
  const Step step = std::move(m_steps.front());
  m_steps.pop_front();
  const bool nothing_to_send = m_mail_refusal.has_value() || m_accepted == 0;
  switch (step.expect) {
  case Expect::rset:
    break;
  case Expect::mail:
    if (!reply.positive()) {
      m_mail_refusal = reply;
      for (std::size_t i = 0; i < m_results.size(); ++i) {
        m_results[i] =
            RecipientOutcome{m_results[i].recipient, outcome_of(reply), Stage::mail, reply};
        m_decided[i] = true;
      }
      if (!m_pipelining) {
        m_steps.clear();
      }
    }
    break;
  case Expect::rcpt:
    if (m_mail_refusal) {
      break;
    }
    m_results[step.rcpt].reply = reply;
    m_results[step.rcpt].stage = Stage::rcpt;
    if (reply.positive()) {
      m_rcpt_ok[step.rcpt] = true;
      ++m_accepted;
    } else {
      m_results[step.rcpt].outcome = outcome_of(reply);
      m_decided[step.rcpt] = true;
    }
    if (!m_pipelining && m_steps.size() == 1 && m_accepted == 0) {
      m_steps.clear(); // every recipient refused: no DATA
    }
    break;
  case Expect::data:
    if (nothing_to_send) {
      if (reply.code == 354) {
        // RFC 2920 3.1: a pipelined DATA may be accepted although every RCPT
        // failed; an empty message ends it without delivering anything.
        m_steps.push_back(Step{Expect::dot, {}, 0});
        m_phase = ClientPhase::data;
        send_bytes(".\r\n");
        return;
      }
      break;
    }
    if (reply.code == 354) {
      m_steps.push_back(Step{Expect::dot, {}, 0});
      m_phase = ClientPhase::data;
      send_bytes(dot_stuff(m_message.data));
      return;
    }
    for (std::size_t i = 0; i < m_results.size(); ++i) {
      if (m_rcpt_ok[i]) {
        m_results[i] = RecipientOutcome{m_results[i].recipient,
                                        reply.positive() ? Outcome::transient : outcome_of(reply),
                                        Stage::data, reply};
        m_decided[i] = true;
      }
    }
    break;
  case Expect::dot:
    if (!nothing_to_send) {
      for (std::size_t i = 0; i < m_results.size(); ++i) {
        if (m_rcpt_ok[i]) {
          m_results[i] =
              RecipientOutcome{m_results[i].recipient, outcome_of(reply), Stage::data, reply};
          m_decided[i] = true;
        }
      }
    }
    m_steps.clear();
    m_phase = ClientPhase::transaction;
    finish_transaction();
    return;
  }
  if (m_steps.empty()) {
    // Ended before the message went out (MAIL, every RCPT or DATA refused):
    // the relay may still hold part of a transaction.
    m_needs_rset = true;
    finish_transaction();
    return;
  }
  if (!m_pipelining) {
    send_next_steps();
  }
}

void Client::finish_transaction() {
  ++m_transactions;
  m_phase = ClientPhase::ready;
  m_out.emplace_back(TransactionDone{std::exchange(m_results, {})});
}

/// The connection is over: a transaction in flight ends with `reply` for
/// every recipient not yet decided (never permanent: the relay did not
/// refuse them, the channel failed), then the adapter closes.
void Client::fail(Outcome outcome, ServerReply reply) {
  const bool in_transaction = m_phase == ClientPhase::transaction || m_phase == ClientPhase::data;
  const bool polite = reply.code != 0 && reply.code != 421 && m_phase != ClientPhase::tls_handshake;
  if (in_transaction) {
    const Stage stage = m_phase == ClientPhase::data ? Stage::data : Stage::connect;
    for (std::size_t i = 0; i < m_results.size(); ++i) {
      if (!m_decided[i]) {
        m_results[i] = RecipientOutcome{m_results[i].recipient, Outcome::transient, stage, reply};
      }
    }
    ++m_transactions;
    m_out.emplace_back(TransactionDone{std::exchange(m_results, {})});
  }
  if (polite) {
    send_bytes("QUIT\r\n");
  }
  m_steps.clear();
  m_phase = ClientPhase::closed;
  m_out.emplace_back(CloseConnection{outcome, std::move(reply)});
}

void Client::fail_local(Outcome outcome, std::string text) {
  fail(outcome, local_reply(std::move(text)));
}

void Client::send_bytes(std::string bytes) {
  m_out.emplace_back(SendBytes{std::move(bytes)});
}

} // namespace smtp
