#include <algorithm>
#include <array>
#include <cassert>
#include <smtp/session.hpp>
#include <utility>

namespace smtp {
namespace {

/// The reply to a MAIL or RCPT argument that does not parse; only the
/// command-syntax and address rows differ between the two commands.
Reply path_error_reply(PathError error, Reply command_syntax, Reply bad_address) {
  switch (error) {
  case PathError::command_syntax:
    return command_syntax;
  case PathError::address_syntax:
  case PathError::too_long:
    return bad_address;
  case PathError::parameter_syntax:
    return Reply::bad_parameter;
  case PathError::unsupported_parameter:
    return Reply::unsupported_parameter;
  }
  return command_syntax;
}

constexpr std::string_view k_crlf = "\r\n";

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool has_bare_cr_or_lf(std::string_view line) {
  return line.find_first_of("\r\n") != std::string_view::npos;
}

/// RFC 5322 3.3 date in UTC, built by hand so no process locale can change it.
std::string rfc5322_date(std::time_t when) {
  static constexpr std::array<std::string_view, 7> k_days{"Sun", "Mon", "Tue", "Wed",
                                                          "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> k_months{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  auto two = [](int value) {
    return std::string{static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)};
  };
  std::string out;
  out.append(k_days[static_cast<std::size_t>(tm.tm_wday) % 7]).append(", ");
  out.append(two(tm.tm_mday)).append(" ");
  out.append(k_months[static_cast<std::size_t>(tm.tm_mon) % 12]).append(" ");
  out.append(std::to_string(tm.tm_year + 1900)).append(" ");
  out.append(two(tm.tm_hour)).append(":").append(two(tm.tm_min)).append(":").append(two(tm.tm_sec));
  out.append(" +0000");
  return out;
}

/// The client's HELO name goes into a header: printable ASCII only, bounded.
std::string header_safe(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 255)) {
    out.push_back(c > 0x20 && c < 0x7f && c != '(' && c != ')' ? c : '?');
  }
  return out;
}

// Replies that report our own trouble, not the client's: they do not count
// towards the error limit that protects us from abusive clients.
bool counts_as_client_error(Reply reply) {
  return spec(reply).code >= 400 && !closes_connection(reply) && reply != Reply::store_failed &&
         reply != Reply::recipient_lookup_failed;
}

} // namespace

/// One row of the command table: what the verb needs before it may proceed
/// (OpenSMTPD's check/proceed pairs), then the handler.
struct Session::Command {
  std::string_view verb;
  bool before_tls;  // allowed before STARTTLS when TLS is required (RFC 3207 4)
  bool needs_helo;  // RFC 5321 4.1.4: EHLO/HELO opens the session
  bool no_argument; // RFC 5321 4.1.1: these commands take no parameters
  void (Session::*proceed)(std::string_view argument);
};

std::span<const Session::Command> Session::command_table() {
  // clang-format off
  static constexpr Command k_commands[]{
    {"EHLO",     true,  false, false, &Session::on_ehlo},
    {"HELO",     true,  false, false, &Session::on_helo},
    {"MAIL",     false, true,  false, &Session::on_mail},
    {"RCPT",     false, false, false, &Session::on_rcpt},
    {"DATA",     false, false, true,  &Session::on_data},
    {"RSET",     true,  false, true,  &Session::on_rset},
    {"NOOP",     true,  false, false, &Session::on_noop},
    {"QUIT",     true,  false, true,  &Session::on_quit},
    {"HELP",     true,  false, false, &Session::on_help},
    {"VRFY",     false, false, false, &Session::on_vrfy},
    {"EXPN",     false, false, false, &Session::on_expn},
    {"STARTTLS", true,  true,  true,  &Session::on_starttls},
  };
  // clang-format on
  return k_commands;
}

Session::Session(const Limits& limits, SessionOptions options, RecipientCheck& recipients)
    : m_limits(limits), m_options(std::move(options)), m_recipients(recipients) {}

Actions Session::open() {
  reply(Reply::greeting, m_options.hostname);
  return std::exchange(m_out, {});
}

Actions Session::feed(std::string_view bytes) {
  switch (m_phase) {
  case Phase::closed:
    return {};
  case Phase::starting_tls:
    // Plaintext that arrived after our 220 but before the handshake must never
    // reach the TLS session (CVE-2011-0411).
    close_with(Reply::plaintext_after_starttls);
    return std::exchange(m_out, {});
  case Phase::command:
  case Phase::data:
  case Phase::storing:
    break;
  }
  m_in.append(bytes);
  process();
  return std::exchange(m_out, {});
}

Actions Session::stored(const util::Result<std::string>& queue_id) {
  assert(m_phase == Phase::storing);
  m_phase = Phase::command;
  if (queue_id) {
    reply(Reply::queued, *queue_id);
  } else {
    reply(Reply::store_failed);
  }
  process(); // pipelined commands after the final dot
  return std::exchange(m_out, {});
}

Actions Session::tls_started() {
  assert(m_phase == Phase::starting_tls);
  m_phase = Phase::command;
  m_tls = true;
  m_helo.clear();
  m_esmtp = false;
  m_in.clear();
  m_in_pos = 0;
  m_discarding_line = false;
  reset_transaction();
  return std::exchange(m_out, {});
}

Actions Session::abort(Reply reason) {
  assert(closes_connection(reason));
  if (m_phase != Phase::closed) {
    close_with(reason);
  }
  return std::exchange(m_out, {});
}

/// Handles every complete line in the buffer. Only CRLF ends a line: a bare CR
/// or LF stays inside it and gets the line rejected, so no other reading of the
/// bytes (SMTP smuggling, CVE-2023-51764/5/6) can find a boundary we missed.
void Session::process() {
  while (m_phase == Phase::command || m_phase == Phase::data) {
    auto crlf = m_in.find(k_crlf, m_in_pos);
    if (crlf == std::string::npos) {
      auto limit = m_phase == Phase::command ? m_limits.command_line_accept : m_limits.text_line;
      if (m_in.size() - m_in_pos > limit) {
        // Keep memory bounded: drop the overlong line's head, but keep a
        // trailing CR whose LF may come with the next read.
        bool keep_cr = m_in.back() == '\r';
        if (m_phase == Phase::data) {
          // Count what is dropped exactly as a whole line would be counted
          // (a leading dot is unstuffed), so the reply never depends on how
          // the client's bytes were split into reads.
          std::string_view head(m_in.data() + m_in_pos, m_in.size() - m_in_pos - (keep_cr ? 1 : 0));
          bool stuffed = !m_discarding_line && head.front() == '.';
          m_data_line_too_long = true;
          if (has_bare_cr_or_lf(head)) {
            m_data_bare_line_ending = true;
          }
          count_data_bytes(head.size() - (stuffed ? 1 : 0));
        }
        m_in.clear();
        m_in_pos = 0;
        if (keep_cr) {
          m_in.push_back('\r');
        }
        m_discarding_line = true;
      }
      break;
    }
    std::string_view line(m_in.data() + m_in_pos, crlf - m_in_pos);
    m_in_pos = crlf + k_crlf.size();
    bool tail_of_overlong_line = std::exchange(m_discarding_line, false);
    if (m_phase == Phase::command) {
      if (tail_of_overlong_line || line.size() + k_crlf.size() > m_limits.command_line_accept) {
        reply(Reply::command_too_long);
      } else {
        on_command_line(line);
      }
    } else if (tail_of_overlong_line) {
      // Never the end of DATA: this "line" began before the part we dropped.
      if (has_bare_cr_or_lf(line)) {
        m_data_bare_line_ending = true;
      }
      count_data_bytes(line.size() + k_crlf.size());
    } else {
      on_data_line(line);
    }
    if (m_phase == Phase::command && m_errors >= m_limits.max_errors) {
      close_with(Reply::too_many_errors);
    }
  }
  if (m_phase != Phase::closed) {
    m_in.erase(0, m_in_pos);
    m_in_pos = 0;
  }
}

void Session::on_command_line(std::string_view line) {
  if (has_bare_cr_or_lf(line)) {
    reply(Reply::bare_line_ending);
    return;
  }
  auto space = line.find(' ');
  auto verb = line.substr(0, space);
  auto argument = space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
  auto commands = command_table();
  auto command = std::find_if(commands.begin(), commands.end(),
                              [&](const Command& c) { return iequals(c.verb, verb); });
  if (command == commands.end() || line.find('\0') != std::string_view::npos) {
    reply(Reply::unknown_command);
    return;
  }
  if (m_options.tls == TlsPolicy::required && !m_tls && !command->before_tls) {
    reply(Reply::tls_required);
    return;
  }
  if (command->needs_helo && m_helo.empty()) {
    reply(Reply::need_helo);
    return;
  }
  if (command->no_argument && !argument.empty()) {
    reply(Reply::syntax_no_argument, command->verb);
    return;
  }
  (this->*command->proceed)(argument);
}

void Session::on_data_line(std::string_view line) {
  if (line == ".") {
    finish_data();
    return;
  }
  if (has_bare_cr_or_lf(line)) {
    m_data_bare_line_ending = true;
  }
  if (line.size() + k_crlf.size() > m_limits.text_line) {
    m_data_line_too_long = true;
  }
  // RFC 5321 4.5.2: a leading dot was doubled by the client; remove one.
  if (!line.empty() && line.front() == '.') {
    line.remove_prefix(1);
  }
  count_data_bytes(line.size() + k_crlf.size());
  if (m_data_bare_line_ending || m_data_line_too_long || m_data_too_big) {
    // Rejected anyway: keep reading to the dot, but hold nothing.
    std::string().swap(m_data);
    return;
  }
  m_data.append(line).append(k_crlf);
}

void Session::count_data_bytes(std::size_t bytes) {
  m_message_size += bytes;
  if (m_message_size > m_limits.max_message_size) {
    m_data_too_big = true;
  }
}

/// The final dot. Like Postfix, a message refused for its content is read to
/// the end before the reply: the client is in sync and gets a clear 5xx instead
/// of a reset connection that it would retry.
void Session::finish_data() {
  m_phase = Phase::command;
  if (m_data_bare_line_ending) {
    reply(Reply::bare_line_ending);
  } else if (m_data_too_big) {
    reply(Reply::message_too_big);
  } else if (m_data_line_too_long) {
    reply(Reply::text_line_too_long);
  } else {
    m_out.emplace_back(StoreMessage{m_envelope, std::exchange(m_data, {})});
    m_phase = Phase::storing;
  }
  reset_transaction();
}

void Session::on_helo(std::string_view argument) {
  if (argument.empty()) {
    reply(Reply::syntax_helo);
    return;
  }
  reset_transaction(); // RFC 5321 4.1.4: HELO/EHLO implies RSET
  m_helo = argument;
  m_esmtp = false;
  reply(Reply::helo_ok, m_options.hostname);
}

void Session::on_ehlo(std::string_view argument) {
  if (argument.empty()) {
    reply(Reply::syntax_ehlo);
    return;
  }
  reset_transaction();
  m_helo = argument;
  m_esmtp = true;
  std::vector<std::string> extensions{"PIPELINING",
                                      "SIZE " + std::to_string(m_limits.max_message_size),
                                      "8BITMIME", "ENHANCEDSTATUSCODES"};
  if (m_options.tls != TlsPolicy::unavailable && !m_tls) {
    extensions.emplace_back("STARTTLS");
  }
  extensions.emplace_back("SMTPUTF8");
  std::string bytes = render_multiline(Reply::ehlo_ok, m_options.hostname, extensions);
  m_out.emplace_back(SendReply{Reply::ehlo_ok, std::move(bytes)});
}

void Session::on_mail(std::string_view argument) {
  if (m_in_transaction) {
    reply(Reply::nested_mail);
    return;
  }
  auto mail = parse_mail_from(argument);
  if (!mail) {
    reply(path_error_reply(mail.error(), Reply::syntax_mail, Reply::bad_sender));
    return;
  }
  // RFC 1870 6.1: refuse a declared size over the limit before any data moves.
  if (mail->size && *mail->size > m_limits.max_message_size) {
    reply(Reply::message_too_big);
    return;
  }
  m_in_transaction = true;
  m_envelope.mail_from = std::move(mail->address);
  m_envelope.smtputf8 = mail->smtputf8;
  m_envelope.eight_bit = mail->body == Body::eight_bit_mime;
  reply(Reply::mail_ok);
}

void Session::on_rcpt(std::string_view argument) {
  if (!m_in_transaction) {
    reply(Reply::need_mail);
    return;
  }
  m_rcpt_attempted = true;
  auto rcpt = parse_rcpt_to(argument, m_envelope.smtputf8 ? Utf8::allowed : Utf8::forbidden);
  if (!rcpt) {
    reply(path_error_reply(rcpt.error(), Reply::syntax_rcpt, Reply::bad_recipient));
    return;
  }
  auto& accepted = m_envelope.rcpt_to;
  if (std::find(accepted.begin(), accepted.end(), rcpt->address) != accepted.end()) {
    reply(Reply::rcpt_ok); // a repeated recipient is delivered once
    return;
  }
  if (accepted.size() >= m_limits.max_recipients) {
    reply(Reply::too_many_recipients);
    return;
  }
  auto verdict = rcpt->postmaster ? RecipientVerdict::accept : m_recipients.check(rcpt->address);
  switch (verdict) {
  case RecipientVerdict::accept:
    accepted.push_back(std::move(rcpt->address));
    reply(Reply::rcpt_ok);
    return;
  case RecipientVerdict::unknown:
    reply(Reply::unknown_recipient, rcpt->address);
    return;
  case RecipientVerdict::unavailable:
    reply(Reply::recipient_lookup_failed, rcpt->address);
    return;
  }
}

void Session::on_data(std::string_view) {
  if (!m_in_transaction) {
    reply(Reply::need_mail);
    return;
  }
  if (m_envelope.rcpt_to.empty()) {
    // Postfix's distinction: no RCPT at all is a sequence error, only
    // rejected ones mean there is nobody to deliver to.
    reply(m_rcpt_attempted ? Reply::no_valid_recipients : Reply::need_rcpt);
    return;
  }
  m_envelope.helo = m_helo;
  m_envelope.client_address = m_options.client_address;
  m_envelope.tls = m_tls;
  m_data = received_header();
  m_message_size = 0;
  m_data_bare_line_ending = false;
  m_data_line_too_long = false;
  m_data_too_big = false;
  m_phase = Phase::data;
  reply(Reply::start_data);
}

void Session::on_rset(std::string_view) {
  reset_transaction();
  reply(Reply::ok);
}

void Session::on_noop(std::string_view) {
  reply(Reply::ok);
}

void Session::on_quit(std::string_view) {
  m_out.emplace_back(SendReply{Reply::bye, render(Reply::bye)});
  m_out.emplace_back(Close{});
  m_phase = Phase::closed;
  m_in.clear();
  m_in_pos = 0;
}

void Session::on_help(std::string_view) {
  reply(Reply::help);
}

void Session::on_vrfy(std::string_view) {
  reply(Reply::vrfy_cannot);
}

void Session::on_expn(std::string_view) {
  reply(Reply::expn_disabled);
}

void Session::on_starttls(std::string_view) {
  if (m_tls) {
    reply(Reply::tls_already_active);
    return;
  }
  if (m_options.tls == TlsPolicy::unavailable) {
    reply(Reply::not_implemented);
    return;
  }
  if (m_in_transaction) {
    reply(Reply::transaction_in_progress);
    return;
  }
  // RFC 2920 3.1: STARTTLS ends a pipelined group. Anything already sent
  // behind it was written in plaintext and is refused, never replayed inside
  // TLS (the CVE-2011-0411 class).
  if (m_in_pos < m_in.size()) {
    close_with(Reply::plaintext_after_starttls);
    return;
  }
  reply(Reply::starttls_ready);
  m_out.emplace_back(StartTls{});
  m_phase = Phase::starting_tls;
}

void Session::reply(Reply reply, std::string_view argument) {
  if (counts_as_client_error(reply)) {
    ++m_errors;
  }
  m_out.emplace_back(SendReply{reply, render(reply, argument)});
}

void Session::close_with(Reply reason) {
  reply(reason, m_options.hostname);
  m_out.emplace_back(Close{});
  m_phase = Phase::closed;
  m_in.clear();
  m_in_pos = 0;
}

void Session::reset_transaction() {
  m_in_transaction = false;
  m_rcpt_attempted = false;
  m_envelope = Envelope{};
  std::string().swap(m_data);
  m_message_size = 0;
}

/// RFC 5321 4.4 trace line; RFC 3848 / RFC 6531 protocol names.
std::string Session::received_header() const {
  std::string protocol = m_esmtp ? "ESMTP" : "SMTP";
  if (m_esmtp && m_envelope.smtputf8) {
    protocol = "UTF8SMTP";
  }
  if (m_tls) {
    protocol += 'S';
  }
  std::time_t now = m_options.clock ? m_options.clock() : std::time(nullptr);
  std::string header = "Received: from " + header_safe(m_helo) + " (" +
                       header_safe(m_options.client_address) + ")\r\n\tby " +
                       header_safe(m_options.hostname) + " (Lifeline) with " + protocol;
  if (!m_options.session_id.empty()) {
    header += " id " + header_safe(m_options.session_id);
  }
  // Only a single recipient is named: more would disclose the envelope.
  if (m_envelope.rcpt_to.size() == 1) {
    header += "\r\n\tfor <" + m_envelope.rcpt_to.front() + ">";
  }
  header += "; " + rfc5322_date(now) + "\r\n";
  return header;
}

} // namespace smtp
