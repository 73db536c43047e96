// list/crypto/gpg_home: creation, mode, offline config and the short alias
// for homes whose agent sockets would not fit.
#include "gpg_test_support.hpp"

#include <boost/test/unit_test.hpp>
#include <list/crypto/gpg_home.hpp>
#include <sys/stat.h>
#include <unistd.h>

BOOST_AUTO_TEST_SUITE(gpg_home)

BOOST_AUTO_TEST_CASE(creates_a_private_offline_home) {
  test::TempDir dir;
  const std::string home = dir / "lists/crew/gnupg";
  const auto engine_home = list::prepare_gnupg_home(home);
  BOOST_TEST_REQUIRE(engine_home.has_value(), (engine_home ? "" : engine_home.error().message));
  BOOST_TEST(*engine_home == home); // short enough: no alias
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(home.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
  const std::string conf = test::read_file(home + "/gpg.conf");
  BOOST_TEST(conf.find("trust-model always") != std::string::npos);
  BOOST_TEST(conf.find("no-auto-key-retrieve") != std::string::npos);
  BOOST_TEST(test::read_file(home + "/gpg-agent.conf").find("allow-loopback-pinentry") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(tightens_mode_and_keeps_operator_config) {
  test::TempDir dir;
  const std::string home = dir / "gnupg";
  BOOST_TEST_REQUIRE(::mkdir(home.c_str(), 0755) == 0);
  { std::ofstream(home + "/gpg.conf") << "# mine\n"; }
  BOOST_TEST_REQUIRE(list::prepare_gnupg_home(home).has_value());
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(home.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
  BOOST_TEST(test::read_file(home + "/gpg.conf") == "# mine\n");
}

BOOST_AUTO_TEST_CASE(long_home_gets_a_short_alias) {
  test::TempDir dir;
  const std::string home = dir / std::string(100, 'x') + "/gnupg";
  const auto engine_home = list::prepare_gnupg_home(home);
  BOOST_TEST_REQUIRE(engine_home.has_value(), (engine_home ? "" : engine_home.error().message));
  // With /run/user/UID, GnuPG keeps its sockets there and needs no alias.
  if (!std::filesystem::is_directory(fmt::format("/run/user/{}", ::getuid()))) {
    BOOST_TEST(engine_home->size() + 20 <= 107u);
  }
  BOOST_TEST(std::filesystem::equivalent(*engine_home, home));
  // Stable: the same alias every time, in every process.
  BOOST_TEST(*list::prepare_gnupg_home(home) == *engine_home);
}

BOOST_AUTO_TEST_CASE(refuses_a_file_as_home) {
  test::TempDir dir;
  const std::string home = dir / "file";
  std::ofstream(home) << "x";
  const auto engine_home = list::prepare_gnupg_home(home);
  BOOST_TEST_REQUIRE(!engine_home.has_value());
  BOOST_TEST(engine_home.error().message.find("not a directory") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
