#include <boost/test/unit_test.hpp>
#include <optional>
#include <smtp/address.hpp>
#include <string>
#include <string_view>

using namespace smtp;

namespace {

struct MailCase {
  std::string_view argument;
  std::optional<PathError> error; // nullopt: parses
  std::string_view address;
  std::optional<std::uint64_t> size;
  Body body;
  bool smtputf8;
};

const std::string k_long_local(65, 'a');
const std::string k_long_path = "FROM:<" + std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
                                std::string(63, 'c') + "." + std::string(63, 'd') + ".org>";

} // namespace

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(mail_from_table) {
  using E = PathError;
  // clang-format off
  const MailCase cases[] = {
    {"FROM:<a@example.org>",                      {}, "a@example.org", {}, Body::seven_bit, false},
    {"from:<a@example.org>",                      {}, "a@example.org", {}, Body::seven_bit, false},
    {"FROM: <a@example.org>",                     {}, "a@example.org", {}, Body::seven_bit, false},
    {"FROM:<>",                                   {}, "",              {}, Body::seven_bit, false},
    {"FROM:<a@b> SIZE=123 BODY=8BITMIME SMTPUTF8",{}, "a@b",           123, Body::eight_bit_mime, true},
    {"FROM:<a@b> body=7bit size=0",               {}, "a@b",           0, Body::seven_bit, false},
    {"FROM:<a@b> SIZE=99999999999999999999",      {}, "a@b",           UINT64_MAX, Body::seven_bit, false},
    {"FROM:<@relay.example,@r2.example:a@b>",     {}, "a@b",           {}, Body::seven_bit, false},
    {"FROM:<\"john doe\"@example.org>",           {}, "\"john doe\"@example.org", {}, Body::seven_bit, false},
    {"FROM:<\"a>b\"@example.org>",                {}, "\"a>b\"@example.org", {}, Body::seven_bit, false},
    {"FROM:<a@[192.0.2.1]>",                      {}, "a@[192.0.2.1]", {}, Body::seven_bit, false},
    {"FROM:<j\xc3\xb6rg@example.org> SMTPUTF8",   {}, "j\xc3\xb6rg@example.org", {}, Body::seven_bit, true},
    {"FROM:<j\xc3\xb6rg@example.org>",            E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:a@example.org",                        E::command_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@example.org",                       E::command_syntax, "", {}, Body::seven_bit, false},
    {"TO:<a@example.org>",                        E::command_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@example.org>SIZE=1",                E::command_syntax, "", {}, Body::seven_bit, false},
    {"",                                          E::command_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a>",                                  E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@>",                                 E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<@example.org>",                       E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a..b@example.org>",                   E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<.a@example.org>",                     E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a b@example.org>",                    E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@-example.org>",                     E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@example..org>",                     E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@ex_ample.org>",                     E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<postmaster>",                         E::address_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> SIZE=",                          E::parameter_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> SIZE=12x",                       E::parameter_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> SIZE=1 SIZE=2",                  E::parameter_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> SMTPUTF8=yes",                   E::parameter_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> =x",                             E::parameter_syntax, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> BODY=BINARYMIME",                E::unsupported_parameter, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> AUTH=<>",                        E::unsupported_parameter, "", {}, Body::seven_bit, false},
    {"FROM:<a@b> RET=HDRS",                       E::unsupported_parameter, "", {}, Body::seven_bit, false},
  };
  // clang-format on
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.argument) {
      auto parsed = parse_mail_from(c.argument);
      BOOST_TEST(parsed.has_value() == !c.error.has_value());
      if (!parsed) {
        if (c.error) {
          BOOST_TEST(static_cast<int>(parsed.error()) == static_cast<int>(*c.error));
        }
        continue;
      }
      BOOST_TEST(parsed->address == c.address);
      BOOST_TEST((parsed->size == c.size));
      BOOST_TEST(static_cast<int>(parsed->body) == static_cast<int>(c.body));
      BOOST_TEST(parsed->smtputf8 == c.smtputf8);
    }
  }
}

BOOST_AUTO_TEST_CASE(rfc5321_length_limits) {
  auto local64 = std::string(64, 'a') + "@example.org";
  BOOST_TEST(parse_mail_from("FROM:<" + local64 + ">").has_value());
  auto local65 = parse_mail_from("FROM:<" + k_long_local + "@example.org>");
  BOOST_REQUIRE(!local65);
  BOOST_TEST(static_cast<int>(local65.error()) == static_cast<int>(PathError::too_long));
  auto path = parse_mail_from(k_long_path);
  BOOST_REQUIRE(!path);
  BOOST_TEST(static_cast<int>(path.error()) == static_cast<int>(PathError::too_long));
}

BOOST_AUTO_TEST_CASE(rcpt_to_table) {
  struct RcptCase {
    std::string_view argument;
    Utf8 utf8;
    std::optional<PathError> error;
    std::string_view address;
    bool postmaster;
  };
  using E = PathError;
  // clang-format off
  const RcptCase cases[] = {
    {"TO:<list@example.org>",           Utf8::forbidden, {}, "list@example.org", false},
    {"to: <list@example.org>",          Utf8::forbidden, {}, "list@example.org", false},
    {"TO:<Postmaster>",                 Utf8::forbidden, {}, "postmaster", true},
    {"TO:<postmaster>",                 Utf8::forbidden, {}, "postmaster", true},
    {"TO:<postmaster@example.org>",     Utf8::forbidden, {}, "postmaster@example.org", false},
    {"TO:<@hop.example:list@example.org>", Utf8::forbidden, {}, "list@example.org", false},
    {"TO:<gruppe-\xc3\xbc@example.org>", Utf8::allowed,  {}, "gruppe-\xc3\xbc@example.org", false},
    {"TO:<gruppe-\xc3\xbc@example.org>", Utf8::forbidden, E::address_syntax, "", false},
    {"TO:<>",                           Utf8::forbidden, E::address_syntax, "", false},
    {"TO:<list>",                       Utf8::forbidden, E::address_syntax, "", false},
    {"TO:list@example.org",             Utf8::forbidden, E::command_syntax, "", false},
    {"FROM:<list@example.org>",         Utf8::forbidden, E::command_syntax, "", false},
    {"TO:<list@example.org> NOTIFY=NEVER", Utf8::forbidden, E::unsupported_parameter, "", false},
    {"TO:<list@example.org> =",         Utf8::forbidden, E::parameter_syntax, "", false},
  };
  // clang-format on
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.argument) {
      auto parsed = parse_rcpt_to(c.argument, c.utf8);
      BOOST_TEST(parsed.has_value() == !c.error.has_value());
      if (!parsed) {
        if (c.error) {
          BOOST_TEST(static_cast<int>(parsed.error()) == static_cast<int>(*c.error));
        }
        continue;
      }
      BOOST_TEST(parsed->address == c.address);
      BOOST_TEST(parsed->postmaster == c.postmaster);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
