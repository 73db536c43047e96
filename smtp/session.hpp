// smtp::Session: the inbound SMTP protocol as a pure state machine. It is fed
// raw bytes and answers with actions (send, start TLS, store, close) for an
// adapter to carry out; it never touches a socket or a clock it was not given.
// Protocol errors are replies; a broken caller contract (e.g. stored() when
// nothing was stored) is an assertion.
#pragma once

#include <cstddef>
#include <ctime>
#include <functional>
#include <smtp/address.hpp>
#include <smtp/limits.hpp>
#include <smtp/reply.hpp>
#include <smtp/sink.hpp>
#include <span>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <variant>
#include <vector>

namespace smtp {

/// Whether STARTTLS is offered, and whether mail commands wait for it.
enum class TlsPolicy { unavailable, offered, required };

struct SessionOptions {
  std::string hostname;       // our name: greeting, EHLO, Received "by"
  std::string client_address; // peer IP: Received "from (...)"
  std::string session_id;     // Received "id", so a log line can find the header
  TlsPolicy tls = TlsPolicy::unavailable;
  std::function<std::time_t()> clock; // for the Received date; std::time when empty
};

/// Write `bytes` (one rendered reply) to the client, in order.
struct SendReply {
  Reply reply;
  std::string bytes;
};
/// Run the TLS handshake now, then call Session::tls_started().
struct StartTls {};
/// Hand the message to the MessageSink, then call Session::stored().
struct StoreMessage {
  Envelope envelope;
  std::string data; // Received header + message, CRLF lines, dot-stuffing removed
};
/// Close the connection after the preceding replies are written.
struct Close {};

using Action = std::variant<SendReply, StartTls, StoreMessage, Close>;
using Actions = std::vector<Action>;

enum class Phase { command, data, storing, starting_tls, closed };

class Session {
public:
  Session(const Limits& limits, SessionOptions options, RecipientCheck& recipients);

  /// The 220 greeting; the first thing to send on a new connection.
  Actions open();

  /// Consumes bytes exactly as read from the client, split anywhere. Lines end
  /// only at CRLF and are handled in order (RFC 2920 pipelining). Processing
  /// pauses at a StoreMessage or StartTls action until the adapter reports back.
  Actions feed(std::string_view bytes);

  /// The sink's answer to the last StoreMessage: a queue ID gives 250, an error
  /// 451 4.3.0. Then continues with input pipelined after the final dot.
  Actions stored(const util::Result<std::string>& queue_id);

  /// The handshake after StartTls succeeded: RFC 3207 4.2, forget everything
  /// learnt in plaintext, the client must EHLO again.
  Actions tls_started();

  /// Ends the session with a closing reply (timeout, shutdown, internal error).
  Actions abort(Reply reason);

  Phase phase() const { return m_phase; }
  bool tls_active() const { return m_tls; }

private:
  struct Command;
  static std::span<const Command> command_table();

  void process();
  bool take_line(std::string_view& line);
  void on_command_line(std::string_view line);
  void on_data_line(std::string_view line);
  void finish_data();
  void count_data_bytes(std::size_t bytes);

  void on_helo(std::string_view argument);
  void on_ehlo(std::string_view argument);
  void on_mail(std::string_view argument);
  void on_rcpt(std::string_view argument);
  void on_data(std::string_view argument);
  void on_rset(std::string_view argument);
  void on_noop(std::string_view argument);
  void on_quit(std::string_view argument);
  void on_help(std::string_view argument);
  void on_vrfy(std::string_view argument);
  void on_expn(std::string_view argument);
  void on_starttls(std::string_view argument);

  void reply(Reply reply, std::string_view argument = {});
  void close_with(Reply reason);
  void reset_transaction();
  std::string received_header() const;

  Limits m_limits;
  SessionOptions m_options;
  RecipientCheck& m_recipients;

  Actions m_out; // built by the handlers, handed out by feed() and friends
  Phase m_phase = Phase::command;
  std::string m_in; // bytes not yet handled; m_in_pos marks the consumed prefix
  std::size_t m_in_pos = 0;
  bool m_discarding_line = false; // the current line overflowed; skipping to its CRLF
  std::size_t m_errors = 0;

  bool m_tls = false;
  std::string m_helo; // empty until HELO/EHLO
  bool m_esmtp = false;

  bool m_in_transaction = false;
  bool m_rcpt_attempted = false;
  Envelope m_envelope;

  std::string m_data;
  std::size_t m_message_size = 0;
  bool m_data_bare_line_ending = false;
  bool m_data_line_too_long = false;
  bool m_data_too_big = false;
};

} // namespace smtp
