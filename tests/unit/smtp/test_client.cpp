// smtp::Client as a table of conversations: the relay's lines in, the
// client's bytes and outcomes out, as a readable transcript.
#include <boost/test/unit_test.hpp>
#include <deque>
#include <smtp/client.hpp>
#include <string>
#include <vector>

using namespace smtp;

BOOST_TEST_DONT_PRINT_LOG_VALUE(smtp::ClientPhase)

namespace {

const char* outcome_name(Outcome outcome) {
  switch (outcome) {
  case Outcome::delivered:
    return "delivered";
  case Outcome::transient:
    return "transient";
  case Outcome::permanent:
    return "permanent";
  }
  return "?";
}

const char* stage_name(Stage stage) {
  switch (stage) {
  case Stage::connect:
    return "connect";
  case Stage::setup:
    return "setup";
  case Stage::mail:
    return "mail";
  case Stage::rcpt:
    return "rcpt";
  case Stage::data:
    return "data";
  }
  return "?";
}

/// Drives a Client like the adapter: completes BeginTls at once, sends the
/// queued messages whenever the client is ready, and writes a transcript:
/// "> " client bytes (one line each), "[tls]", "[done rcpt:outcome:stage:code ...]",
/// "[close outcome code]".
struct Driver {
  explicit Driver(ClientOptions options, std::deque<Outgoing> messages = {})
      : client(std::move(options)), queue(std::move(messages)) {
    run(client.connected());
  }

  void run(ClientActions actions) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      ClientAction action = std::move(actions[i]);
      if (auto* bytes = std::get_if<SendBytes>(&action)) {
        std::string_view rest = bytes->bytes;
        while (!rest.empty()) {
          auto end = rest.find("\r\n");
          auto line = rest.substr(0, end);
          transcript += "> " + std::string(line) + "\n";
          rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 2);
        }
      } else if (std::holds_alternative<BeginTls>(action)) {
        transcript += "[tls]\n";
        if (client.phase() == ClientPhase::tls_handshake) {
          auto more = client.tls_started();
          actions.insert(actions.end(), more.begin(), more.end());
        }
      } else if (auto* done = std::get_if<TransactionDone>(&action)) {
        transcript += "[done";
        for (const auto& r : done->recipients) {
          transcript += " " + r.recipient + ":" + outcome_name(r.outcome) + ":" +
                        stage_name(r.stage) + ":" + std::to_string(r.reply.code);
        }
        transcript += "]\n";
        results.push_back(done->recipients);
      } else if (auto* close = std::get_if<CloseConnection>(&action)) {
        transcript += std::string("[close ") + outcome_name(close->outcome) + " " +
                      std::to_string(close->reply.code) + "]\n";
        close_reply = close->reply;
      }
    }
    if (client.phase() == ClientPhase::ready && !queue.empty()) {
      Outgoing next = std::move(queue.front());
      queue.pop_front();
      run(client.send(std::move(next)));
    }
  }

  void relay(std::string_view bytes) { run(client.feed(bytes)); }

  Client client;
  std::deque<Outgoing> queue;
  std::string transcript;
  std::vector<std::vector<RecipientOutcome>> results;
  ServerReply close_reply;
};

Outgoing message(std::vector<std::string> recipients,
                 std::string data = "Subject: x\r\n\r\nhi\r\n") {
  return Outgoing{"crew-bounces+t1@lists.test", std::move(recipients), std::move(data)};
}

const std::string k_ehlo_plain = "250-relay.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
const std::string k_ehlo_lockstep = "250-relay.test\r\n250 8BITMIME\r\n";

ClientOptions options(StartTls starttls = StartTls::when_offered) {
  ClientOptions o;
  o.helo_name = "lists.test";
  o.starttls = starttls;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(pipelined_transaction_in_one_write) {
  Driver d(options(), {message({"a@x.test", "b@x.test"})});
  d.relay("220 relay.test ESMTP\r\n");
  d.relay(k_ehlo_plain);
  d.relay("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <b@x.test>: no such user\r\n354 go\r\n");
  d.relay("250 2.0.0 Ok: queued as ABC\r\n");
  BOOST_TEST(d.transcript == "> EHLO lists.test\n"
                             "> MAIL FROM:<crew-bounces+t1@lists.test>\n"
                             "> RCPT TO:<a@x.test>\n"
                             "> RCPT TO:<b@x.test>\n"
                             "> DATA\n"
                             "> Subject: x\n"
                             "> \n"
                             "> hi\n"
                             "> .\n"
                             "[done a@x.test:delivered:data:250 b@x.test:permanent:rcpt:550]\n");
  BOOST_TEST(d.results.at(0).at(1).reply.enhanced == "5.1.1");
  BOOST_TEST(d.results.at(0).at(1).reply.text == "<b@x.test>: no such user");
}

BOOST_AUTO_TEST_CASE(lockstep_without_pipelining_and_rset_after_refusal) {
  Driver d(options(), {message({"a@x.test"}), message({"b@x.test"})});
  d.relay("220 relay.test\r\n");
  d.relay(k_ehlo_lockstep);
  BOOST_TEST(d.transcript == "> EHLO lists.test\n> MAIL FROM:<crew-bounces+t1@lists.test>\n");
  d.relay("250 ok\r\n");
  d.relay("452 4.5.3 too many recipients\r\n");
  // The only recipient was refused: no DATA; the next transaction starts with RSET.
  d.relay("250 ok\r\n");
  d.relay("250 ok\r\n");
  d.relay("250 ok\r\n");
  d.relay("354 go\r\n");
  d.relay("250 2.0.0 queued\r\n");
  BOOST_TEST(d.transcript == "> EHLO lists.test\n"
                             "> MAIL FROM:<crew-bounces+t1@lists.test>\n"
                             "> RCPT TO:<a@x.test>\n"
                             "[done a@x.test:transient:rcpt:452]\n"
                             "> RSET\n"
                             "> MAIL FROM:<crew-bounces+t1@lists.test>\n"
                             "> RCPT TO:<b@x.test>\n"
                             "> DATA\n"
                             "> Subject: x\n> \n> hi\n> .\n"
                             "[done b@x.test:delivered:data:250]\n");
  BOOST_TEST(d.client.transactions() == 2U);
}

BOOST_AUTO_TEST_CASE(outcome_table) {
  struct Case {
    const char* name;
    std::string replies; // after greeting and EHLO (pipelining), one write
    std::string done;    // the [done ...] line
  };
  // clang-format off
  const Case cases[] = {
    {"delivered",          "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n",           "[done a@x.test:delivered:data:250]"},
    {"5xx at mail",        "553 5.7.1 no\r\n503 5.5.1 no\r\n503 5.5.1 no\r\n",   "[done a@x.test:permanent:mail:553]"},
    {"4xx at mail",        "451 4.3.0 later\r\n503 no\r\n503 no\r\n",            "[done a@x.test:transient:mail:451]"},
    {"5xx at rcpt",        "250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no rcpt\r\n", "[done a@x.test:permanent:rcpt:550]"},
    {"452 at rcpt",        "250 ok\r\n452 4.5.3 full\r\n554 no\r\n",             "[done a@x.test:transient:rcpt:452]"},
    {"5xx at data",        "250 ok\r\n250 ok\r\n554 5.3.0 no data\r\n",          "[done a@x.test:permanent:data:554]"},
    {"503 out of step",    "250 ok\r\n250 ok\r\n503 5.5.1 need RCPT\r\n",       "[done a@x.test:transient:data:503]"},
    {"5xx after dot",      "250 ok\r\n250 ok\r\n354 go\r\n552 5.3.4 too big\r\n", "[done a@x.test:permanent:data:552]"},
    {"4xx after dot",      "250 ok\r\n250 ok\r\n354 go\r\n451 4.3.0 try later\r\n", "[done a@x.test:transient:data:451]"},
    {"421 mid-session",    "250 ok\r\n421 4.3.2 shutting down\r\n",              "[done a@x.test:transient:connect:421]"},
    {"421 after dot",      "250 ok\r\n250 ok\r\n354 go\r\n421 4.4.2 timeout\r\n", "[done a@x.test:transient:data:421]"},
  };
  // clang-format on
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Driver d(options(), {message({"a@x.test"})});
      d.relay("220 relay.test\r\n" + k_ehlo_plain);
      d.relay(c.replies);
      BOOST_TEST(d.client.transactions() == 1U);
      BOOST_TEST(d.transcript.find(c.done) != std::string::npos, d.transcript);
    }
  }
}

BOOST_AUTO_TEST_CASE(all_rcpts_refused_but_data_accepted_sends_empty_message) {
  Driver d(options(), {message({"a@x.test"})});
  d.relay("220 relay.test\r\n" + k_ehlo_plain);
  d.relay("250 ok\r\n550 5.1.1 no\r\n354 go\r\n");
  d.relay("554 5.5.1 no valid recipients\r\n");
  BOOST_TEST(d.transcript.find("> DATA\n> .\n[done a@x.test:permanent:rcpt:550]") !=
                 std::string::npos,
             d.transcript);
}

BOOST_AUTO_TEST_CASE(multiline_replies_and_enhanced_codes) {
  auto reply = parse_reply({"550-5.1.1 The email account that you tried to reach does not exist.",
                            "550-5.1.1 Please try double-checking.", "550 5.1.1 https://support"});
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->code == 550);
  BOOST_TEST(reply->enhanced == "5.1.1");
  BOOST_TEST(reply->text == "The email account that you tried to reach does not exist.; Please "
                            "try double-checking.; https://support");
  BOOST_TEST(!parse_reply({"250-a", "251 b"})); // codes differ
  BOOST_TEST(!parse_reply({"25x ok"}));         // not a code
  BOOST_TEST(!parse_reply({"250-a", "250-b"})); // last line marked as continuing
  BOOST_TEST(parse_reply({"250"})->text.empty());
  BOOST_TEST(parse_reply({"250 4.1.1 x"})->enhanced.empty()); // class must match
  BOOST_TEST(parse_reply({"451 4.3.0"})->enhanced == "4.3.0");
  BOOST_TEST(parse_reply({"250 2.0.0\x01ok"})->enhanced.empty());
}

BOOST_AUTO_TEST_CASE(replies_split_anywhere) {
  // The relay answers only what was asked, so the setup and the transaction
  // are fed separately, each cut at every position.
  const std::string setup = "220 relay.test\r\n" + k_ehlo_plain;
  const std::string transaction = "250 ok\r\n250 ok\r\n354 go\r\n250-2.0.0 queued\r\n250 as X\r\n";
  std::string whole;
  {
    Driver d(options(), {message({"a@x.test"})});
    d.relay(setup);
    d.relay(transaction);
    whole = d.transcript;
  }
  BOOST_TEST(whole.find("[done a@x.test:delivered:data:250]") != std::string::npos, whole);
  for (const std::string* part : {&setup, &transaction}) {
    for (std::size_t cut = 1; cut < part->size(); ++cut) {
      Driver d(options(), {message({"a@x.test"})});
      if (part == &transaction) {
        d.relay(setup);
      }
      d.relay(part->substr(0, cut));
      d.relay(part->substr(cut));
      if (part == &setup) {
        d.relay(transaction);
      }
      BOOST_TEST(d.transcript == whole, "cut at " << cut);
    }
  }
}

BOOST_AUTO_TEST_CASE(dot_stuffing_and_line_ends) {
  BOOST_TEST(dot_stuff("a\r\n.b\r\n..\r\n") == "a\r\n..b\r\n...\r\n.\r\n");
  BOOST_TEST(dot_stuff(".") == "..\r\n.\r\n");
  BOOST_TEST(dot_stuff("a\nb") == "a\r\nb\r\n.\r\n");
  BOOST_TEST(dot_stuff("a\rb\r\n") == "a\r\nb\r\n.\r\n");
  BOOST_TEST(dot_stuff("") == ".\r\n");
  BOOST_TEST(dot_stuff("x\r\n.\r\n") == "x\r\n..\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(base64_vectors) {
  // RFC 4648 10.
  BOOST_TEST(base64("") == "");
  BOOST_TEST(base64("f") == "Zg==");
  BOOST_TEST(base64("fo") == "Zm8=");
  BOOST_TEST(base64("foo") == "Zm9v");
  BOOST_TEST(base64("foobar") == "Zm9vYmFy");
  BOOST_TEST(base64(std::string("\0u\0p", 4)) == "AHUAcA==");
}

BOOST_AUTO_TEST_CASE(starttls_table) {
  struct Case {
    const char* name;
    StartTls policy;
    std::string ehlo;
    std::string expected;
  };
  const std::string offered = "250-relay.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n";
  // clang-format off
  const Case cases[] = {
    {"auto, offered",      StartTls::when_offered, offered,       "> EHLO lists.test\n> STARTTLS\n[tls]\n> EHLO lists.test\n"},
    {"auto, not offered",  StartTls::when_offered, k_ehlo_plain,  "> EHLO lists.test\n"},
    {"required, offered",  StartTls::required,     offered,       "> EHLO lists.test\n> STARTTLS\n[tls]\n> EHLO lists.test\n"},
    {"required, missing",  StartTls::required,     k_ehlo_plain,  "> EHLO lists.test\n[close transient 0]\n"},
    {"off, offered",       StartTls::off,          offered,       "> EHLO lists.test\n"},
  };
  // clang-format on
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Driver d(options(c.policy));
      d.relay("220 relay.test\r\n");
      d.relay(c.ehlo);
      if (d.transcript.find("STARTTLS") != std::string::npos) {
        d.relay("220 2.0.0 go ahead\r\n");
      }
      BOOST_TEST(d.transcript == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(starttls_refused_falls_back_only_when_auto) {
  const std::string offered = "250-relay.test\r\n250 STARTTLS\r\n";
  Driver auto_mode(options(StartTls::when_offered));
  auto_mode.relay("220 r\r\n" + offered + "454 4.7.0 TLS not available\r\n");
  BOOST_TEST(auto_mode.client.phase() == ClientPhase::ready);
  Driver required(options(StartTls::required));
  required.relay("220 r\r\n" + offered + "454 4.7.0 TLS not available\r\n");
  BOOST_TEST(required.client.phase() == ClientPhase::closed);
}

BOOST_AUTO_TEST_CASE(plaintext_injected_after_starttls_reply_is_refused) {
  Driver d(options());
  d.relay("220 r\r\n250-r\r\n250 STARTTLS\r\n");
  d.relay("220 go ahead\r\n250 injected\r\n");
  BOOST_TEST(d.client.phase() == ClientPhase::closed);
  BOOST_TEST(d.close_reply.text.find("plaintext after") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(auth_only_over_tls) {
  ClientOptions o = options(StartTls::off);
  o.username = "lists";
  o.password = "secret";
  Driver d(o);
  d.relay("220 r\r\n250-r\r\n250 AUTH PLAIN LOGIN\r\n");
  BOOST_TEST(d.client.phase() == ClientPhase::closed);
  BOOST_TEST(d.transcript.find("AUTH") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(auth_plain_and_login) {
  ClientOptions o = options();
  o.username = "lists";
  o.password = "secret";
  {
    Driver d(o);
    d.relay("220 r\r\n250-r\r\n250 STARTTLS\r\n220 go\r\n");
    d.relay("250-r\r\n250 AUTH LOGIN PLAIN\r\n");
    BOOST_TEST(d.transcript.find("> AUTH PLAIN " + base64(std::string("\0lists\0secret", 13))) !=
               std::string::npos);
    d.relay("235 2.7.0 ok\r\n");
    BOOST_TEST(d.client.phase() == ClientPhase::ready);
  }
  {
    Driver d(o);
    d.relay("220 r\r\n250-r\r\n250 STARTTLS\r\n220 go\r\n");
    d.relay("250-r\r\n250 AUTH=LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n");
    BOOST_TEST(d.transcript.find("> AUTH LOGIN\n> " + base64("lists") + "\n> " +
                                 base64("secret")) != std::string::npos);
    BOOST_TEST(d.client.phase() == ClientPhase::ready);
  }
  {
    Driver d(o, {message({"a@x.test"})});
    d.relay("220 r\r\n250-r\r\n250 STARTTLS\r\n220 go\r\n");
    d.relay("250-r\r\n250 AUTH PLAIN\r\n");
    d.relay("535 5.7.8 bad credentials\r\n");
    BOOST_TEST(d.client.phase() == ClientPhase::closed);
    BOOST_TEST(d.close_reply.code == 535);
    BOOST_TEST(d.results.empty()); // no transaction began: nothing counts as a bounce
  }
}

BOOST_AUTO_TEST_CASE(ehlo_refused_falls_back_to_helo) {
  Driver d(options(), {message({"a@x.test"})});
  d.relay("220 old\r\n500 what\r\n250 old\r\n");
  BOOST_TEST(d.transcript.find("> EHLO lists.test\n> HELO lists.test\n> MAIL FROM") !=
                 std::string::npos,
             d.transcript);
  BOOST_TEST(!d.client.pipelining());
}

BOOST_AUTO_TEST_CASE(greeting_refusal_and_connection_loss) {
  Driver refused(options());
  refused.relay("554 5.7.1 go away\r\n");
  BOOST_TEST(refused.transcript == "> QUIT\n[close transient 554]\n");

  Driver lost(options(), {message({"a@x.test"})});
  lost.relay("220 r\r\n" + k_ehlo_plain);
  lost.relay("250 ok\r\n250 ok\r\n354 go\r\n");
  lost.run(lost.client.connection_lost("connection reset"));
  BOOST_TEST(lost.transcript.find("[done a@x.test:transient:data:0]\n[close transient 0]") !=
                 std::string::npos,
             lost.transcript);
}

BOOST_AUTO_TEST_CASE(garbage_from_relay_closes) {
  Driver d(options());
  d.relay("HTTP/1.1 400 Bad Request\r\n");
  BOOST_TEST(d.client.phase() == ClientPhase::closed);
  Driver flood(options());
  flood.relay(std::string(10000, 'x'));
  BOOST_TEST(flood.client.phase() == ClientPhase::closed);
}

BOOST_AUTO_TEST_CASE(implicit_tls_does_not_starttls) {
  ClientOptions o = options(StartTls::required);
  o.tls_mode = TlsMode::implicit;
  Driver d(o);
  d.relay("220 r\r\n250-r\r\n250 STARTTLS\r\n");
  BOOST_TEST(d.client.phase() == ClientPhase::ready);
  BOOST_TEST(d.client.tls_active());
}

BOOST_AUTO_TEST_CASE(quit) {
  Driver d(options());
  d.relay("220 r\r\n" + k_ehlo_plain);
  d.run(d.client.quit());
  d.relay("221 2.0.0 bye\r\n");
  BOOST_TEST(d.client.phase() == ClientPhase::closed);
}

BOOST_AUTO_TEST_SUITE_END()
