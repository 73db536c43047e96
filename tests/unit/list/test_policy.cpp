// list::decide: each posting mode, required signature and encryption, size,
// approval, as a table of cases with the exact reason the sender reads.
#include <boost/test/unit_test.hpp>
#include <list/policy.hpp>

namespace {

struct Case {
  const char* name;
  list::Posting posting;
  bool require_signature;
  bool require_encryption;
  std::uint64_t size;
  bool encrypted;
  list::Signer signer;
  std::optional<list::Role> role;
  bool approved;
  list::Verdict verdict;
  const char* code;
};

using list::Posting;
using list::Role;
using list::Signer;
using list::Verdict;

// clang-format off
const Case k_cases[] = {
  {"member posts",              Posting::members,   false, false, 100, false, Signer::none,       Role::member,    false, Verdict::distribute, "ok"},
  {"non-member refused",        Posting::members,   false, false, 100, false, Signer::none,       std::nullopt,    false, Verdict::reject,     "not-member"},
  {"open takes anyone",         Posting::open,      false, false, 100, false, Signer::none,       std::nullopt,    false, Verdict::distribute, "ok"},
  {"moderated holds members",   Posting::moderated, false, false, 100, false, Signer::none,       Role::member,    false, Verdict::hold,       "moderated"},
  {"moderated, approved",       Posting::moderated, false, false, 100, false, Signer::none,       Role::member,    true,  Verdict::distribute, "ok"},
  {"moderated, moderator",      Posting::moderated, false, false, 100, false, Signer::none,       Role::moderator, false, Verdict::distribute, "ok"},
  {"announce, member refused",  Posting::announce,  false, false, 100, false, Signer::none,       Role::member,    false, Verdict::reject,     "announce-only"},
  {"announce, admin",           Posting::announce,  false, false, 100, false, Signer::member,     Role::admin,     false, Verdict::distribute, "ok"},
  {"signature required",        Posting::members,   true,  false, 100, false, Signer::none,       Role::member,    false, Verdict::reject,     "not-signed"},
  {"signed by other key",       Posting::members,   true,  false, 100, false, Signer::non_member, Role::member,    false, Verdict::reject,     "not-signed"},
  {"signed by member",          Posting::members,   true,  false, 100, false, Signer::member,     Role::member,    false, Verdict::distribute, "ok"},
  {"bad signature",             Posting::open,      false, false, 100, false, Signer::bad,        Role::member,    false, Verdict::reject,     "bad-signature"},
  {"encryption required",       Posting::members,   false, true,  100, false, Signer::member,     Role::member,    false, Verdict::reject,     "not-encrypted"},
  {"encrypted",                 Posting::members,   false, true,  100, true,  Signer::member,     Role::member,    false, Verdict::distribute, "ok"},
  {"too big",                   Posting::open,      false, false, 2000, true, Signer::member,     Role::admin,     false, Verdict::reject,     "too-big"},
};
// clang-format on

} // namespace

BOOST_AUTO_TEST_CASE(policy_table) {
  for (const Case& c : k_cases) {
    list::PolicyInput input;
    input.settings.posting = c.posting;
    input.settings.require_signature = c.require_signature;
    input.settings.require_encryption = c.require_encryption;
    input.settings.max_message_size = 1000;
    input.server_max_size = 5000;
    input.size = c.size;
    input.encrypted = c.encrypted;
    input.signer = c.signer;
    input.sender_role = c.role;
    input.approved = c.approved;
    input.list_address = "crew@lists.example.org";
    const list::Decision decision = list::decide(input);
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(std::string(list::to_string(decision.verdict)) == list::to_string(c.verdict));
      BOOST_TEST(decision.code == c.code);
    }
  }
}

BOOST_AUTO_TEST_CASE(encryption_reason_names_the_sendkey_address) {
  list::PolicyInput input;
  input.settings.require_encryption = true;
  input.sender_role = Role::member;
  input.list_address = "crew@lists.example.org";
  BOOST_TEST(list::decide(input).reason ==
             "posts to this list must be encrypted to its key: send mail to "
             "crew-sendkey@lists.example.org to get it");
}

BOOST_AUTO_TEST_CASE(server_limit_applies_when_the_list_sets_none) {
  list::PolicyInput input;
  input.settings.posting = Posting::open;
  input.server_max_size = 10;
  input.size = 11;
  BOOST_TEST(list::decide(input).code == "too-big");
}
