// Migrations: an empty database gets every one; an older database is
// upgraded keeping its rows; a newer one is refused with both versions named.
#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <list/store/sqlite_store.hpp>
#include <tests/unit/store/raw_sql.hpp>

namespace {

using store_test::RawSql;
using store_test::TempDir;

list::AuditEvent cli(std::string action, std::string target) {
  return list::AuditEvent{"cli:test", std::move(action), std::move(target), ""};
}

std::int64_t table_count(RawSql& raw, const std::string& table) {
  return raw.count(fmt::format(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{}'", table));
}

} // namespace

BOOST_AUTO_TEST_SUITE(migrations)

BOOST_AUTO_TEST_CASE(empty_database_gets_every_migration) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  auto store = list::open_sqlite_store(path);
  BOOST_REQUIRE_MESSAGE(store, store.error().message);
  auto version = (*store)->schema_version();
  BOOST_REQUIRE(version);
  BOOST_TEST(*version == list::known_schema_version());
  BOOST_TEST(list::known_schema_version() >= 2);

  RawSql raw(path);
  for (const char* table : {"schema_version", "lists", "list_settings", "members", "users",
                            "audit_log", "inbound", "inbound_recipients"}) {
    BOOST_TEST(table_count(raw, table) == 1, table);
  }
  // One history row per migration.
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM schema_version") == list::known_schema_version());
}

BOOST_AUTO_TEST_CASE(the_database_is_in_wal_mode) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  BOOST_REQUIRE(list::open_sqlite_store(path));
  RawSql raw(path);
  // journal_mode is recorded in the file; a WAL database reports "wal".
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
}

BOOST_AUTO_TEST_CASE(opening_twice_changes_nothing) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  BOOST_REQUIRE(list::open_sqlite_store(path));
  auto again = list::open_sqlite_store(path);
  BOOST_REQUIRE_MESSAGE(again, again.error().message);
  BOOST_TEST(*(*again)->schema_version() == list::known_schema_version());
  RawSql raw(path);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM schema_version") == list::known_schema_version());
}

BOOST_AUTO_TEST_CASE(older_database_is_upgraded_and_keeps_its_rows) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  {
    list::SqliteOptions only_first;
    only_first.migrate_up_to = 1;
    auto old = list::open_sqlite_store(path, only_first);
    BOOST_REQUIRE_MESSAGE(old, old.error().message);
    BOOST_TEST(*(*old)->schema_version() == 1);
    list::ListRecord crew{0, "crew@lists.example.org", "Crew", "ABCD", ""};
    BOOST_REQUIRE((*old)->create_list(crew, cli("list.create", crew.address)));
    RawSql raw(path);
    BOOST_TEST(table_count(raw, "inbound") == 0);
  }
  auto store = list::open_sqlite_store(path);
  BOOST_REQUIRE_MESSAGE(store, store.error().message);
  BOOST_TEST(*(*store)->schema_version() == list::known_schema_version());
  auto found = (*store)->find_list("crew@lists.example.org");
  BOOST_REQUIRE(found);
  BOOST_REQUIRE(found->has_value());
  BOOST_TEST((*found)->name == "Crew");
  // The upgrade brought the spool.
  std::vector<list::InboundMessage> batch(1);
  batch[0].mail_from = "alice@example.org";
  batch[0].rcpt_to = {"crew@lists.example.org"};
  batch[0].data = "Subject: hi\r\n\r\nhello\r\n";
  auto spooled = (*store)->spool_inbound(batch);
  BOOST_TEST(spooled.has_value());
}

BOOST_AUTO_TEST_CASE(newer_database_is_refused_naming_both_versions) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  BOOST_REQUIRE(list::open_sqlite_store(path));
  {
    RawSql raw(path);
    raw.execute("INSERT INTO schema_version (version, description, applied_at) "
                "VALUES (7, 'from the future', '2030-01-01T00:00:00Z')");
  }
  auto store = list::open_sqlite_store(path);
  BOOST_REQUIRE(!store);
  BOOST_TEST((store.error().severity == util::Severity::permanent));
  const std::string expected =
      fmt::format("database schema is version 7 but this lifeline knows up to {}: upgrade lifeline",
                  list::known_schema_version());
  BOOST_TEST(store.error().message.find(expected) != std::string::npos, store.error().message);
  BOOST_TEST(store.error().message.find(path) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_directory_that_does_not_exist_is_an_error_not_a_throw) {
  TempDir dir;
  auto store = list::open_sqlite_store(dir.file("missing/lifeline.db"));
  BOOST_REQUIRE(!store);
  BOOST_TEST(store.error().message.find("missing/lifeline.db") != std::string::npos,
             store.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
