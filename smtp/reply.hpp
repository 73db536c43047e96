// Every SMTP reply Lifeline sends, as one constexpr table: outcome -> {code,
// enhanced status code, text}. Handlers name an outcome, never a literal;
// render() is the one function that turns an outcome into wire bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace smtp {

enum class Reply : std::uint8_t {
  greeting,
  helo_ok,
  ehlo_ok,
  ok,
  mail_ok,
  rcpt_ok,
  queued,
  bye,
  help,
  vrfy_cannot,
  start_data,
  starttls_ready,
  unknown_command,
  command_too_long,
  text_line_too_long,
  bare_line_ending,
  need_helo,
  need_mail,
  nested_mail,
  need_rcpt,
  transaction_in_progress,
  syntax_helo,
  syntax_ehlo,
  syntax_mail,
  syntax_rcpt,
  syntax_no_argument,
  bad_sender,
  bad_recipient,
  bad_parameter,
  unsupported_parameter,
  expn_disabled,
  not_implemented,
  tls_already_active,
  tls_required,
  unknown_recipient,
  recipient_lookup_failed,
  too_many_recipients,
  no_valid_recipients,
  message_too_big,
  store_failed,
  too_many_connections,
  too_many_connections_from_ip,
  too_many_errors,
  plaintext_after_starttls,
  timeout,
  shutting_down,
  internal_error,
};

struct ReplySpec {
  Reply reply;
  std::string_view name; // stable identifier for log lines: reason=NAME
  std::uint16_t code;
  std::string_view enhanced; // RFC 3463; empty only where RFC 2034 forbids it
  std::string_view text;     // "{}" is replaced by render()'s argument
};

// clang-format off
inline constexpr std::array k_replies{
  // RFC 5321 4.2, RFC 2034 3: no enhanced code in the greeting and HELO/EHLO replies.
  ReplySpec{Reply::greeting,                  "greeting",                  220, "",      "{} ESMTP Lifeline"},
  ReplySpec{Reply::helo_ok,                   "helo_ok",                   250, "",      "{}"},
  ReplySpec{Reply::ehlo_ok,                   "ehlo_ok",                   250, "",      "{}"},
  ReplySpec{Reply::ok,                        "ok",                        250, "2.0.0", "Ok"},
  ReplySpec{Reply::mail_ok,                   "mail_ok",                   250, "2.1.0", "Ok"},
  ReplySpec{Reply::rcpt_ok,                   "rcpt_ok",                   250, "2.1.5", "Ok"},
  // Sent only after the sink has the message on disk (DESIGN principle 1).
  ReplySpec{Reply::queued,                    "queued",                    250, "2.0.0", "Ok: queued as {}"},
  ReplySpec{Reply::bye,                       "bye",                       221, "2.0.0", "Bye"},
  ReplySpec{Reply::help,                      "help",                      214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT HELP VRFY STARTTLS"},
  // RFC 5321 3.5.3: 252 when we will not verify; member lists are secret.
  ReplySpec{Reply::vrfy_cannot,               "vrfy_cannot",               252, "2.5.2", "Cannot VRFY user; try RCPT to attempt delivery"},
  // RFC 3463 has no class 3: the intermediate DATA reply carries no enhanced code.
  ReplySpec{Reply::start_data,                "start_data",                354, "",      "End data with <CR><LF>.<CR><LF>"},
  // RFC 3207 4.
  ReplySpec{Reply::starttls_ready,            "starttls_ready",            220, "2.0.0", "Ready to start TLS"},
  // RFC 5321 4.2.4: unrecognized command.
  ReplySpec{Reply::unknown_command,           "unknown_command",           500, "5.5.2", "Error: command not recognized"},
  // RFC 5321 4.5.3.1.10: "500 Line too long".
  ReplySpec{Reply::command_too_long,          "command_too_long",          500, "5.5.2", "Error: line too long"},
  ReplySpec{Reply::text_line_too_long,        "text_line_too_long",        500, "5.5.2", "Error: message line too long"},
  // RFC 5321 2.3.8: only CRLF ends a line; bare CR/LF is refused (SMTP smuggling).
  ReplySpec{Reply::bare_line_ending,          "bare_line_ending",          550, "5.5.2", "Error: bare <CR> or <LF> received"},
  // RFC 5321 4.1.4: bad sequence of commands.
  ReplySpec{Reply::need_helo,                 "need_helo",                 503, "5.5.1", "Error: send HELO/EHLO first"},
  ReplySpec{Reply::need_mail,                 "need_mail",                 503, "5.5.1", "Error: need MAIL command"},
  ReplySpec{Reply::nested_mail,               "nested_mail",               503, "5.5.1", "Error: nested MAIL command"},
  ReplySpec{Reply::need_rcpt,                 "need_rcpt",                 503, "5.5.1", "Error: need RCPT command"},
  ReplySpec{Reply::transaction_in_progress,   "transaction_in_progress",   503, "5.5.1", "Error: MAIL transaction in progress"},
  // RFC 5321 4.2.2: 501 syntax error in parameters or arguments.
  ReplySpec{Reply::syntax_helo,               "syntax_helo",               501, "5.5.4", "Syntax: HELO hostname"},
  ReplySpec{Reply::syntax_ehlo,               "syntax_ehlo",               501, "5.5.4", "Syntax: EHLO hostname"},
  ReplySpec{Reply::syntax_mail,               "syntax_mail",               501, "5.5.4", "Syntax: MAIL FROM:<address>"},
  ReplySpec{Reply::syntax_rcpt,               "syntax_rcpt",               501, "5.5.4", "Syntax: RCPT TO:<address>"},
  ReplySpec{Reply::syntax_no_argument,        "syntax_no_argument",        501, "5.5.4", "Syntax: {} takes no argument"},
  // RFC 3463 3.2: X.1.7 bad sender mailbox syntax, X.1.3 bad destination syntax.
  ReplySpec{Reply::bad_sender,                "bad_sender",                501, "5.1.7", "Bad sender address syntax"},
  ReplySpec{Reply::bad_recipient,             "bad_recipient",             501, "5.1.3", "Bad recipient address syntax"},
  ReplySpec{Reply::bad_parameter,             "bad_parameter",             501, "5.5.4", "Bad parameter syntax"},
  // RFC 5321 4.2.2/3.3: 555 MAIL/RCPT parameters not recognized or not implemented.
  ReplySpec{Reply::unsupported_parameter,     "unsupported_parameter",     555, "5.5.4", "Unsupported option"},
  // RFC 5321 3.5.2: EXPN may be disabled; member lists are secret.
  ReplySpec{Reply::expn_disabled,             "expn_disabled",             502, "5.5.1", "Error: EXPN not available"},
  ReplySpec{Reply::not_implemented,           "not_implemented",           502, "5.5.1", "Error: command not implemented"},
  ReplySpec{Reply::tls_already_active,        "tls_already_active",        554, "5.5.1", "Error: TLS already active"},
  // RFC 3207 4: 530 Must issue a STARTTLS command first.
  ReplySpec{Reply::tls_required,              "tls_required",              530, "5.7.0", "Must issue a STARTTLS command first"},
  // RFC 3463 3.2: X.1.1 bad destination mailbox. Rejected at RCPT: no backscatter.
  ReplySpec{Reply::unknown_recipient,         "unknown_recipient",         550, "5.1.1", "<{}>: Recipient address rejected: User unknown"},
  ReplySpec{Reply::recipient_lookup_failed,   "recipient_lookup_failed",   451, "4.3.0", "<{}>: Temporary lookup failure"},
  // RFC 5321 4.5.3.1.10: 452 too many recipients; RFC 3463 X.5.3.
  ReplySpec{Reply::too_many_recipients,       "too_many_recipients",       452, "4.5.3", "Error: too many recipients"},
  // RFC 5321 3.3: DATA without a valid recipient gets 554 (or 503).
  ReplySpec{Reply::no_valid_recipients,       "no_valid_recipients",       554, "5.5.1", "Error: no valid recipients"},
  // RFC 1870 6: 552 at MAIL (declared SIZE) and at the end of DATA; RFC 3463 X.3.4.
  ReplySpec{Reply::message_too_big,           "message_too_big",           552, "5.3.4", "Message size exceeds fixed limit"},
  // RFC 5321 4.2.3: 451 local error in processing; nothing was acknowledged.
  ReplySpec{Reply::store_failed,              "store_failed",              451, "4.3.0", "Error: queue file write error"},
  // RFC 5321 3.8: a server closing the connection replies 421 first.
  ReplySpec{Reply::too_many_connections,      "too_many_connections",      421, "4.7.0", "{} Error: too many connections"},
  ReplySpec{Reply::too_many_connections_from_ip, "too_many_connections_from_ip", 421, "4.7.0", "{} Error: too many connections from your address"},
  ReplySpec{Reply::too_many_errors,           "too_many_errors",           421, "4.7.0", "{} Error: too many errors"},
  // RFC 3207 + RFC 2920 3.1: STARTTLS ends a pipelined group (CVE-2011-0411).
  ReplySpec{Reply::plaintext_after_starttls,  "plaintext_after_starttls",  421, "4.7.0", "{} Error: pipelined input after STARTTLS"},
  // RFC 5321 4.5.3.2; RFC 3463 X.4.2 bad connection.
  ReplySpec{Reply::timeout,                   "timeout",                   421, "4.4.2", "{} Error: timeout exceeded"},
  // RFC 3463 X.3.2 system not accepting network messages.
  ReplySpec{Reply::shutting_down,             "shutting_down",             421, "4.3.2", "{} Service shutting down, try again later"},
  ReplySpec{Reply::internal_error,            "internal_error",            421, "4.3.0", "{} Error: internal error"},
};
// clang-format on

/// The row for `reply`; the table is indexed by the enum (checked at compile time).
constexpr const ReplySpec& spec(Reply reply) {
  return k_replies[static_cast<std::size_t>(reply)];
}

/// "CODE ENHANCED TEXT\r\n" with "{}" replaced by `argument` (control bytes removed).
std::string render(Reply reply, std::string_view argument = {});

/// A multiline reply (RFC 5321 4.2.1): `lines` are the text of each line, the
/// first line is the table text with `argument`; "CODE-" on all but the last.
std::string render_multiline(Reply reply, std::string_view argument,
                             std::span<const std::string> more_lines);

/// Whether this reply ends the connection (every 421).
constexpr bool closes_connection(Reply reply) {
  return spec(reply).code == 421;
}

} // namespace smtp
