// smtp::Client: the outbound SMTP protocol as a pure state machine, the twin
// of smtp::Session. It is fed the relay's bytes and answers with actions
// (send bytes, start TLS, transaction done, close) for an adapter to carry
// out; it never touches a socket or a clock. Every outcome, the relay's
// refusals included, is data: a ServerReply and an Outcome per recipient.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smtp {

/// `[relay] starttls`: use it when offered, insist on it, or never.
enum class StartTls { when_offered, required, off };

/// `[relay] tls`: STARTTLS after a plaintext greeting, or TLS from the first byte (port 465).
enum class TlsMode { starttls, implicit };

struct ClientOptions {
  std::string helo_name = "localhost";
  StartTls starttls = StartTls::when_offered;
  TlsMode tls_mode = TlsMode::starttls;
  std::string username; // empty: no AUTH
  std::string password; // only ever sent inside TLS
};

/// One reply of the relay: the code, its RFC 3463 enhanced code if any, and
/// the text of all lines joined with "; " (enhanced codes removed).
struct ServerReply {
  int code = 0; // 0: no reply at all (connection lost, timeout, local error)
  std::string enhanced;
  std::string text;

  bool positive() const { return code >= 200 && code < 400; }
  bool permanent() const { return code >= 500; }
  /// "550 5.1.1 text" as a log or queue line.
  std::string summary() const;
};

/// Parses "CODE[-| ]TEXT" lines of one reply; nullopt if `lines` are not one.
std::optional<ServerReply> parse_reply(const std::vector<std::string>& lines);

enum class Outcome { delivered, transient, permanent };

/// Where in the conversation a recipient's fate was decided: a permanent
/// refusal at rcpt or data is about the recipient (a bounce); at connect,
/// mail or setup it is about us or the relay.
enum class Stage { connect, setup, mail, rcpt, data };

struct RecipientOutcome {
  std::string recipient;
  Outcome outcome = Outcome::transient;
  Stage stage = Stage::connect;
  ServerReply reply;
};

/// One message transaction: envelope and the whole message (CRLF lines, not
/// dot-stuffed; the client stuffs it and adds the final dot).
struct Outgoing {
  std::string mail_from; // "" for the null sender
  std::vector<std::string> recipients;
  std::string data;
};

/// Write these bytes to the relay, in order.
struct SendBytes {
  std::string bytes;
};
/// Run the TLS handshake (checking the relay's certificate), then call tls_started().
struct BeginTls {};
/// The transaction given to send() has an outcome for each recipient.
struct TransactionDone {
  std::vector<RecipientOutcome> recipients;
};
/// The connection cannot be used (any more): close it. `reply` says why
/// (code 0: a local reason in text); `outcome` is how a message waiting for
/// this connection should be treated.
struct CloseConnection {
  Outcome outcome = Outcome::transient;
  ServerReply reply;
};

using ClientAction = std::variant<SendBytes, BeginTls, TransactionDone, CloseConnection>;
using ClientActions = std::vector<ClientAction>;

enum class ClientPhase {
  greeting,      // waiting for 220
  ehlo,          // EHLO (or HELO) sent
  starttls,      // STARTTLS sent
  tls_handshake, // BeginTls handed out, waiting for tls_started()
  auth,          // AUTH in progress
  ready,         // idle: send() a message or quit()
  transaction,   // MAIL..DATA replies outstanding
  data,          // message sent, waiting for the final reply
  quitting,      // QUIT sent
  closed,
};

class Client {
public:
  explicit Client(ClientOptions options);

  /// Call when the TCP connection (and, with TlsMode::implicit, its TLS
  /// handshake) is up; the relay speaks first.
  ClientActions connected();

  /// Consumes the relay's bytes, split anywhere.
  ClientActions feed(std::string_view bytes);

  /// The handshake after BeginTls succeeded: RFC 3207 4.2, forget what the
  /// relay said in plaintext and EHLO again.
  ClientActions tls_started();

  /// Starts a transaction; only in ClientPhase::ready. Pipelined (RFC 2920)
  /// when the relay offers PIPELINING; preceded by RSET when an earlier
  /// transaction on this connection did not end cleanly.
  ClientActions send(Outgoing message);

  /// Ends the session politely (only in ClientPhase::ready).
  ClientActions quit();

  /// The connection broke or timed out (`why`): whatever is in flight ends
  /// transiently.
  ClientActions connection_lost(std::string_view why);

  ClientPhase phase() const { return m_phase; }
  bool tls_active() const { return m_tls; }
  bool pipelining() const { return m_pipelining; }
  /// Transactions completed on this connection.
  std::size_t transactions() const { return m_transactions; }

private:
  enum class Expect { rset, mail, rcpt, data, dot };
  struct Step {
    Expect expect;
    std::string command; // bytes to send; empty once sent
    std::size_t rcpt = 0;
  };

  void on_reply(const ServerReply& reply);
  void on_greeting(const ServerReply& reply);
  void on_ehlo(const ServerReply& reply, const std::vector<std::string>& lines);
  void after_ehlo();
  void on_starttls(const ServerReply& reply);
  void on_auth(const ServerReply& reply);
  void on_transaction_reply(const ServerReply& reply);
  void send_next_steps();
  void finish_transaction();
  void fail(Outcome outcome, ServerReply reply);
  void fail_local(Outcome outcome, std::string text);
  void send_bytes(std::string bytes);

  ClientOptions m_options;
  ClientActions m_out;
  ClientPhase m_phase = ClientPhase::greeting;
  std::string m_in;
  std::vector<std::string> m_lines; // lines of the reply being read

  bool m_tls = false;
  bool m_helo_fallback = false;
  bool m_pipelining = false;
  bool m_starttls_offered = false;
  bool m_starttls_refused = false; // "auto" and the relay said no: plaintext
  bool m_auth_plain = false;
  bool m_auth_login = false;
  int m_auth_step = 0;
  bool m_needs_rset = false;
  std::size_t m_transactions = 0;

  Outgoing m_message;
  std::vector<RecipientOutcome> m_results;
  std::vector<bool> m_rcpt_ok; // RCPT accepted, waiting for the final reply
  std::vector<bool> m_decided; // outcome known
  std::size_t m_accepted = 0;
  std::deque<Step> m_steps; // commands of this transaction, sent or not, awaiting replies
  std::optional<ServerReply> m_mail_refusal;
};

/// The message as it goes on the wire after DATA: CRLF line ends (a bare LF
/// becomes CRLF), leading dots doubled (RFC 5321 4.5.2), then ".\r\n".
std::string dot_stuff(std::string_view data);

/// RFC 4648 base64, for AUTH.
std::string base64(std::string_view bytes);

} // namespace smtp
