// Expansion headers, routes and tokens: From "Alice via Crew", the subject
// prefix once, List-* headers with the member's own one-click URL, List-Post
// NO on announce lists, stable mapped Message-IDs, VERP addresses, the
// special-address routes, and 128-bit derived unsubscribe tokens.
#include <boost/test/unit_test.hpp>
#include <list/expand.hpp>
#include <list/member_token.hpp>
#include <list/route.hpp>

namespace {

list::ListFacts crew() {
  list::ListFacts facts;
  facts.record = list::ListRecord{7, "crew@lists.example.org", "Crew", "ABCDEF", ""};
  facts.settings.subject_prefix = "[Crew]";
  facts.secret = "s3cret";
  facts.base_url = "https://lists.example.org/";
  facts.public_key = "KEY";
  return facts;
}

list::MemberRecord member(list::Id id, const char* email) {
  list::MemberRecord record;
  record.id = id;
  record.email = email;
  return record;
}

} // namespace

BOOST_AUTO_TEST_CASE(names_and_subjects) {
  BOOST_TEST(list::via_name({"alice@x.org", "Alice"}, "Crew") == "Alice via Crew");
  BOOST_TEST(list::via_name({"alice@x.org", ""}, "Crew") == "alice via Crew");
  BOOST_TEST(list::prefixed_subject("[Crew]", "Hi") == "[Crew] Hi");
  BOOST_TEST(list::prefixed_subject("[Crew]", "Re: [Crew] Hi") == "Re: [Crew] Hi");
  BOOST_TEST(list::prefixed_subject("", "Hi") == "Hi");
}

BOOST_AUTO_TEST_CASE(member_headers_carry_the_list_and_the_members_own_url) {
  const list::ListFacts facts = crew();
  list::OpenedPost post;
  post.from = {"alice@x.org", "Alice"};
  post.subject = "Secret plans";
  post.in_reply_to = "parent@client";
  const auto inner = list::protected_headers(facts, post, "ll.1@lists.example.org", "");
  BOOST_TEST(inner.subject == "[Crew] Secret plans");
  BOOST_TEST(inner.from.display_name == "Alice via Crew");
  BOOST_TEST(inner.from.address == "crew@lists.example.org");
  BOOST_TEST(inner.in_reply_to == list::map_message_id(facts, "parent@client"));

  const auto a =
      list::member_headers(facts, inner, member(1, "a@x.org"), list::OuterSubject::placeholder);
  const auto b =
      list::member_headers(facts, inner, member(2, "b@x.org"), list::OuterSubject::placeholder);
  BOOST_TEST(a.message.subject == "[Crew] ...");
  BOOST_TEST(a.message.to.front().address == "a@x.org");
  BOOST_TEST(a.list.id == "crew.lists.example.org");
  BOOST_TEST(a.list.post == "mailto:crew@lists.example.org");
  BOOST_TEST(a.list.owner == "mailto:crew-owner@lists.example.org");
  BOOST_TEST(a.list.one_click_unsubscribe);
  BOOST_REQUIRE(a.list.unsubscribe.size() == 2u);
  BOOST_TEST(a.list.unsubscribe[0].starts_with(
      "https://lists.example.org/unsubscribe/crew.lists.example.org/"));
  BOOST_TEST(a.list.unsubscribe[1] == "mailto:crew-leave@lists.example.org");
  BOOST_TEST(a.list.unsubscribe[0] != b.list.unsubscribe[0]);
  BOOST_TEST(a.precedence == "list");
  BOOST_TEST(a.keys.fingerprint == "ABCDEF");
  BOOST_TEST(a.keys.autocrypt_address == "crew@lists.example.org");
  const auto real =
      list::member_headers(facts, inner, member(1, "a@x.org"), list::OuterSubject::real);
  BOOST_TEST(real.message.subject == "[Crew] Secret plans");

  list::ListFacts announce = facts;
  announce.settings.posting = list::Posting::announce;
  BOOST_TEST(list::member_headers(announce, inner, member(1, "a@x.org"),
                                  list::OuterSubject::placeholder)
                 .list.post.empty()); // List-Post: NO
}

BOOST_AUTO_TEST_CASE(reply_to_follows_the_setting_inside_and_outside) {
  struct Row {
    list::ReplyTo setting;
    list::Mailbox from;
    std::optional<std::string> address; // nullopt: no Reply-To
    std::string name;
  };
  const Row rows[] = {
      {list::ReplyTo::list,   {"alice@x.org", "Alice"},           "crew@lists.example.org", "Crew" },
      {list::ReplyTo::sender, {"alice@X.ORG", "Alice"},           "alice@x.org",            "Alice"},
      {list::ReplyTo::sender, {"alice@x.org", ""},                "alice@x.org",            ""     },
 // Unusable From addresses fall back to the list, never fail the post.
      {list::ReplyTo::sender, {"", "Nobody"},                     "crew@lists.example.org", "Crew" },
      {list::ReplyTo::sender, {"a@b.org\r\nBcc: x@evil.org", ""}, "crew@lists.example.org", "Crew" },
      {list::ReplyTo::sender, {"no-at-sign", "X"},                "crew@lists.example.org", "Crew" },
      {list::ReplyTo::none,   {"alice@x.org", "Alice"},           std::nullopt,             ""     },
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT(row.from.address << " setting " << static_cast<int>(row.setting)) {
      list::ListFacts facts = crew();
      facts.settings.reply_to = row.setting;
      list::OpenedPost post;
      post.from = row.from;
      const auto inner = list::protected_headers(facts, post, "ll.1@lists.example.org", "");
      const auto outer =
          list::member_headers(facts, inner, member(1, "b@x.org"), list::OuterSubject::placeholder);
      BOOST_TEST(inner.reply_to.has_value() == row.address.has_value());
      BOOST_TEST(outer.message.reply_to.has_value() == row.address.has_value());
      if (row.address && inner.reply_to && outer.message.reply_to) {
        BOOST_TEST(inner.reply_to->address == *row.address);
        BOOST_TEST(inner.reply_to->display_name == row.name);
        BOOST_TEST(outer.message.reply_to->address == *row.address);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(message_ids_map_stably_and_ours_stay) {
  const list::ListFacts facts = crew();
  const std::string mapped = list::map_message_id(facts, "abc@client");
  BOOST_TEST(mapped == list::map_message_id(facts, "abc@client"));
  BOOST_TEST(mapped != list::map_message_id(facts, "abd@client"));
  BOOST_TEST(mapped.ends_with("@lists.example.org"));
  BOOST_TEST(mapped.find("abc") == std::string::npos);
  BOOST_TEST(list::map_message_id(facts, mapped) == mapped);
  BOOST_TEST(list::verp_address("crew@lists.example.org", "t0k") ==
             "crew-bounces+t0k@lists.example.org");
}

BOOST_AUTO_TEST_CASE(unsubscribe_tokens_are_128_bits_and_match_their_member) {
  const std::string token = list::unsubscribe_token("secret", 42);
  BOOST_TEST(token.size() == 32u);
  BOOST_TEST(token != list::unsubscribe_token("secret", 43));
  BOOST_TEST(token != list::unsubscribe_token("other", 42));
  const list::Id members[] = {41, 42, 43};
  BOOST_TEST(list::match_unsubscribe_token("secret", members, token).value_or(0) == 42);
  BOOST_TEST(!list::match_unsubscribe_token("secret", members, "0000").has_value());
  BOOST_TEST(!list::match_unsubscribe_token("other", members, token).has_value());
}

BOOST_AUTO_TEST_CASE(routes_of_special_addresses) {
  struct Case {
    const char* address;
    list::RouteKind kind;
    const char* list;
    const char* tag;
  };
  // clang-format off
  const Case cases[] = {
    {"crew@x.org",              list::RouteKind::post,    "crew@x.org", ""},
    {"crew-request@x.org",      list::RouteKind::request, "crew@x.org", ""},
    {"crew-owner@x.org",        list::RouteKind::owner,   "crew@x.org", ""},
    {"crew-sendkey@x.org",      list::RouteKind::sendkey, "crew@x.org", ""},
    {"crew-bounces@x.org",      list::RouteKind::bounces, "crew@x.org", ""},
    {"crew-bounces+abc@x.org",  list::RouteKind::bounces, "crew@x.org", "abc"},
  };
  // clang-format on
  for (const Case& c : cases) {
    const auto routes = list::candidate_routes(c.address);
    BOOST_TEST_CONTEXT(c.address) {
      BOOST_REQUIRE(!routes.empty());
      BOOST_TEST(std::string(list::to_string(routes.front().kind)) == list::to_string(c.kind));
      BOOST_TEST(routes.front().list_address == c.list);
      BOOST_TEST(routes.front().tag == c.tag);
    }
  }
}
