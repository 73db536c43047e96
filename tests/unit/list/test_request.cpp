// list/request: command lines read from bodies (quotes, signatures, armor,
// blanks, case), who may run a key update, and the answers' texts.
#include <boost/test/unit_test.hpp>
#include <list/request.hpp>
#include <string>
#include <vector>

namespace {

using list::Command;

struct CommandCase {
  std::string body;
  std::string expected; // one letter per command: h help, k key update, u unknown
};

const CommandCase k_commands[] = {
    {"",                                                               ""  },
    {"\r\n\r\n",                                                       ""  },
    {"help\r\n",                                                       "h" },
    {"  HELP  \r\n",                                                   "h" },
    {"key update\r\n",                                                 "k" },
    {"Key   Update\t\r\n",                                             "k" },
    {"\r\n\r\nkey update\r\nhelp\r\n",                                 "kh"},
    {"key update\r\n\r\nhelp\r\n",                                     "k" },
    {"> help\r\nkey update\r\n",                                       "k" },
    {"key update\r\n-- \r\nhelp\r\n",                                  "k" },
    {"-- \r\nhelp\r\n",                                                ""  },
    {"key update\r\n-----BEGIN PGP PUBLIC KEY BLOCK-----\r\nhelp\r\n", "k" },
    {"-----BEGIN PGP SIGNED MESSAGE-----\r\nhelp\r\n",                 ""  },
    {"key updates\r\n",                                                "u" },
    {"please update my key\r\nkey update\r\n",                         "uk"},
    {"keyupdate\n",                                                    "u" },
    {"help",                                                           "h" },
    {"xxxxxxxxxxxxxxxxxxxx\nhelp\n",                                   "uh"},
};

char letter(Command command) {
  switch (command) {
  case Command::help:
    return 'h';
  case Command::key_update:
    return 'k';
  case Command::unknown:
    return 'u';
  }
  return '?';
}

std::string many_lines() {
  std::string out;
  for (int i = 0; i < 50; ++i) {
    out += "help\n";
  }
  return out;
}

list::MemberRecord bob(const std::string& fingerprint) {
  list::MemberRecord member;
  member.id = 2;
  member.email = "bob@example.org";
  member.fingerprint = fingerprint;
  return member;
}

} // namespace

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(commands_are_the_first_block_of_lines) {
  for (const CommandCase& row : k_commands) {
    BOOST_TEST_CONTEXT("body '" << row.body << "'") {
      std::string letters;
      for (const Command command : list::read_commands(row.body)) {
        letters += letter(command);
      }
      BOOST_TEST(letters == row.expected);
    }
  }
  BOOST_TEST(list::read_commands(many_lines()).size() == list::k_max_commands);
}

BOOST_AUTO_TEST_CASE(only_the_members_current_key_on_encrypted_mail_may_change_it) {
  using Status = list::SignatureCheck::Status;
  using list::RequestAuth;
  struct Row {
    bool encrypted;
    list::SignatureCheck signature;
    std::optional<list::MemberRecord> member;
    RequestAuth expected;
  };
  const Row rows[] = {
      {true,  {Status::good, "AAAA"},        bob("AAAA"),  RequestAuth::ok           },
      {true,  {Status::good, "aaaa"},        bob("AAAA"),  RequestAuth::ok           },
      {false, {Status::good, "AAAA"},        bob("AAAA"),  RequestAuth::not_encrypted},
      {true,  {Status::none, ""},            bob("AAAA"),  RequestAuth::not_signed   },
      {true,  {Status::bad, ""},             bob("AAAA"),  RequestAuth::bad_signature},
      {true,  {Status::unknown_key, "CCCC"}, bob("AAAA"),  RequestAuth::other_key    },
      {true,  {Status::good, "BBBB"},        bob("AAAA"),  RequestAuth::other_key    },
      {true,  {Status::good, "AAAA"},        std::nullopt, RequestAuth::not_member   },
      {true,  {Status::good, "AAAA"},        bob(""),      RequestAuth::not_member   },
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(list::to_string(row.expected)) {
      BOOST_TEST(
          (list::authenticate_request(row.encrypted, row.signature, row.member) == row.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(refusals_say_why_and_that_nothing_changed) {
  using list::RequestAuth;
  const std::pair<RequestAuth, std::string> rows[] = {
      {RequestAuth::not_member,    "not a member"                    },
      {RequestAuth::not_encrypted, "crew-sendkey@x.org"              },
      {RequestAuth::not_signed,    "not signed"                      },
      {RequestAuth::bad_signature, "does not verify"                 },
      {RequestAuth::other_key,     "not signed with your current key"},
  };
  for (const auto& [auth, phrase] : rows) {
    const std::string text = list::refusal_text("crew@x.org", auth);
    BOOST_TEST_CONTEXT(list::to_string(auth)) {
      BOOST_TEST(text.find(phrase) != std::string::npos, text);
      BOOST_TEST(text.find("Nothing was changed") != std::string::npos);
      BOOST_TEST(text.find("key update") != std::string::npos); // help follows
    }
  }
  BOOST_TEST(list::refusal_text("crew@x.org", RequestAuth::ok).empty());
}

BOOST_AUTO_TEST_CASE(the_confirmation_says_what_changed) {
  list::KeyInfo next;
  next.fingerprint = "BBBB";
  next.expires = 86400 * 365;
  const std::string replaced = list::key_updated_text("crew@x.org", "AAAA", next);
  BOOST_TEST(replaced.find("BBBB (expires: 1971-01-01)") != std::string::npos, replaced);
  BOOST_TEST(replaced.find("replaces\n  AAAA") != std::string::npos, replaced);
  next.expires.reset();
  const std::string refreshed = list::key_updated_text("crew@x.org", "bbbb", next);
  BOOST_TEST(refreshed.find("refreshed") != std::string::npos, refreshed);
  BOOST_TEST(refreshed.find("expires: never") != std::string::npos, refreshed);
  BOOST_TEST(
      list::key_refused_text("crew@x.org", "the key is expired").find("the key is expired") !=
      std::string::npos);
  BOOST_TEST(list::expiry_date(0) == "1970-01-01");
  BOOST_TEST(list::expiry_date(1735689600) == "2025-01-01");
}

BOOST_AUTO_TEST_SUITE_END()
