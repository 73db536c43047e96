// Every list::Store call of SqliteStore, round-tripped: lists, settings,
// members (keys as raw bytes), users, cascades, duplicates, the audit chain
// and its tamper detection, and the inbound spool.
#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <list/audit.hpp>
#include <list/store/sqlite_store.hpp>
#include <set>
#include <tests/unit/store/raw_sql.hpp>

namespace {

using store_test::RawSql;
using store_test::TempDir;

list::AuditEvent cli(std::string action, std::string target, std::string detail = {}) {
  return list::AuditEvent{"cli:test", std::move(action), std::move(target), std::move(detail)};
}

struct Fixture {
  Fixture() : path(dir.file("lifeline.db")) {
    auto opened = list::open_sqlite_store(path);
    BOOST_REQUIRE_MESSAGE(opened, opened.error().message);
    store = std::move(*opened);
  }

  list::ListRecord make_list(const std::string& address, const std::string& name = "Crew") {
    auto created = store->create_list(list::ListRecord{0, address, name, "FPR-" + name, ""},
                                      cli("list.create", address));
    BOOST_REQUIRE_MESSAGE(created, created.error().message);
    return *created;
  }

  list::MemberRecord make_member(list::Id list_id, const std::string& email,
                                 const std::string& key = "KEY") {
    list::MemberRecord member;
    member.list_id = list_id;
    member.email = email;
    member.fingerprint = "FPR-" + email;
    auto added = store->add_member(member, key, cli("member.add", email));
    BOOST_REQUIRE_MESSAGE(added, added.error().message);
    return *added;
  }

  std::vector<list::AuditEntry> audit() {
    auto log = store->audit_log();
    BOOST_REQUIRE_MESSAGE(log, log.error().message);
    return *log;
  }

  TempDir dir;
  std::string path;
  std::unique_ptr<list::Store> store;
};

bool is_permanent(const util::Error& error) {
  return error.severity == util::Severity::permanent;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_store, Fixture)

// ---- lists ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(create_list_fills_id_and_time_and_finds_it_back) {
  const list::ListRecord crew = make_list("crew@lists.example.org");
  BOOST_TEST(crew.id > 0);
  BOOST_TEST(crew.created_at.size() == 20u); // 2024-05-01T09:30:00Z
  BOOST_TEST(crew.created_at.back() == 'Z');

  auto found = store->find_list("crew@lists.example.org");
  BOOST_REQUIRE(found);
  BOOST_REQUIRE(found->has_value());
  BOOST_TEST((*found)->id == crew.id);
  BOOST_TEST((*found)->name == "Crew");
  BOOST_TEST((*found)->fingerprint == "FPR-Crew");
  BOOST_TEST((*found)->created_at == crew.created_at);
}

BOOST_AUTO_TEST_CASE(find_list_ignores_case_and_misses_cleanly) {
  make_list("crew@lists.example.org");
  auto upper = store->find_list("CREW@Lists.Example.org");
  BOOST_REQUIRE(upper);
  BOOST_TEST(upper->has_value());
  auto missing = store->find_list("nobody@lists.example.org");
  BOOST_REQUIRE(missing);
  BOOST_TEST(!missing->has_value());
}

BOOST_AUTO_TEST_CASE(all_lists_in_address_order) {
  make_list("zulu@lists.example.org", "Zulu");
  make_list("alpha@lists.example.org", "Alpha");
  auto lists = store->all_lists();
  BOOST_REQUIRE(lists);
  BOOST_REQUIRE(lists->size() == 2u);
  BOOST_TEST((*lists)[0].name == "Alpha");
  BOOST_TEST((*lists)[1].name == "Zulu");
}

BOOST_AUTO_TEST_CASE(duplicate_list_is_refused_permanently) {
  make_list("crew@x.org");
  const std::size_t entries = audit().size();
  auto again = store->create_list(list::ListRecord{0, "Crew@x.org", "Again", "F", ""},
                                  cli("list.create", "Crew@x.org"));
  BOOST_REQUIRE(!again);
  BOOST_TEST(is_permanent(again.error()));
  BOOST_TEST(again.error().message == "list Crew@x.org is already there");
  BOOST_TEST(audit().size() == entries); // the refused change left no entry
}

BOOST_AUTO_TEST_CASE(settings_round_trip_and_overwrite) {
  const auto crew = make_list("crew@x.org");
  BOOST_REQUIRE(
      store->set_list_setting(crew.id, "posting", "moderated", cli("list.set", "crew@x.org")));
  BOOST_REQUIRE(
      store->set_list_setting(crew.id, "subject_prefix", "[Crew]", cli("list.set", "crew@x.org")));
  BOOST_REQUIRE(
      store->set_list_setting(crew.id, "posting", "announce", cli("list.set", "crew@x.org")));
  auto settings = store->list_settings(crew.id);
  BOOST_REQUIRE(settings);
  BOOST_TEST(settings->size() == 2u);
  BOOST_TEST(settings->at("posting") == "announce");
  BOOST_TEST(settings->at("subject_prefix") == "[Crew]");

  auto other = make_list("other@x.org", "Other");
  auto none = store->list_settings(other.id);
  BOOST_REQUIRE(none);
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(setting_on_a_missing_list_is_refused) {
  auto set = store->set_list_setting(4242, "posting", "open", cli("list.set", "?"));
  BOOST_REQUIRE(!set);
  BOOST_TEST(is_permanent(set.error()));
  BOOST_TEST(set.error().message.find("no list with id 4242") != std::string::npos,
             set.error().message);
}

BOOST_AUTO_TEST_CASE(deleting_a_list_cascades_to_settings_members_and_its_moderators) {
  const auto crew = make_list("crew@x.org");
  const auto keep = make_list("keep@x.org", "Keep");
  make_member(crew.id, "alice@example.org");
  make_member(crew.id, "bob@example.org");
  make_member(keep.id, "alice@example.org");
  BOOST_REQUIRE(store->set_list_setting(crew.id, "posting", "open", cli("list.set", "crew@x.org")));
  list::UserRecord moderator{0,       "mod@example.org", list::Role::moderator,
                             crew.id, "$argon2id$x",     ""};
  BOOST_REQUIRE(store->add_user(moderator, cli("user.add", moderator.email)));

  BOOST_REQUIRE(store->delete_list(crew.id, cli("list.delete", "crew@x.org")));

  auto gone = store->find_list("crew@x.org");
  BOOST_REQUIRE(gone);
  BOOST_TEST(!gone->has_value());
  BOOST_TEST(store->members(crew.id)->empty());
  BOOST_TEST(store->list_settings(crew.id)->empty());
  BOOST_TEST(!store->find_user("mod@example.org")->has_value());
  RawSql raw(path);
  BOOST_TEST(raw.count(fmt::format("SELECT COUNT(*) FROM members WHERE list_id = {}", crew.id)) ==
             0);
  // The other list is untouched.
  BOOST_TEST(store->members(keep.id)->size() == 1u);

  auto twice = store->delete_list(crew.id, cli("list.delete", "crew@x.org"));
  BOOST_REQUIRE(!twice);
  BOOST_TEST(is_permanent(twice.error()));
}

// ---- members -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(member_round_trip_with_binary_key_and_expiry) {
  const auto crew = make_list("crew@x.org");
  const std::string key("\x99\x01\x0d\x00binary\xff\x00key", 16);
  list::MemberRecord member;
  member.list_id = crew.id;
  member.email = "Alice@Example.org";
  member.role = list::Role::moderator;
  member.fingerprint = "0123456789ABCDEF0123456789ABCDEF01234567";
  member.key_expires = 1893456000;
  member.state = list::MemberState::disabled;
  auto added = store->add_member(member, key, cli("member.add", member.email));
  BOOST_REQUIRE_MESSAGE(added, added.error().message);
  BOOST_TEST(added->id > 0);
  BOOST_TEST(!added->created_at.empty());

  auto found = store->find_member(crew.id, "alice@example.ORG");
  BOOST_REQUIRE(found);
  BOOST_REQUIRE(found->has_value());
  const list::MemberRecord& got = **found;
  BOOST_TEST(got.id == added->id);
  BOOST_TEST(got.list_id == crew.id);
  BOOST_TEST(got.email == "Alice@Example.org"); // stored as given, matched ignoring case
  BOOST_TEST((got.role == list::Role::moderator));
  BOOST_TEST(got.fingerprint == member.fingerprint);
  BOOST_REQUIRE(got.key_expires.has_value());
  BOOST_TEST(*got.key_expires == 1893456000);
  BOOST_TEST((got.state == list::MemberState::disabled));
  BOOST_TEST(got.created_at == added->created_at);

  auto stored_key = store->member_key(got.id);
  BOOST_REQUIRE(stored_key);
  BOOST_TEST(*stored_key == key);
}

BOOST_AUTO_TEST_CASE(member_without_expiry_reads_back_as_never) {
  const auto crew = make_list("crew@x.org");
  const auto bob = make_member(crew.id, "bob@example.org");
  auto found = store->find_member(crew.id, "bob@example.org");
  BOOST_REQUIRE(found && found->has_value());
  BOOST_TEST(!(*found)->key_expires.has_value());
  BOOST_TEST(((*found)->role == list::Role::member));
  BOOST_TEST(((*found)->state == list::MemberState::active));
  BOOST_TEST(*store->member_key(bob.id) == "KEY");
}

BOOST_AUTO_TEST_CASE(members_listed_by_address) {
  const auto crew = make_list("crew@x.org");
  make_member(crew.id, "carol@example.org");
  make_member(crew.id, "Alice@example.org");
  make_member(crew.id, "bob@example.org");
  auto all = store->members(crew.id);
  BOOST_REQUIRE(all);
  BOOST_REQUIRE(all->size() == 3u);
  BOOST_TEST((*all)[0].email == "Alice@example.org");
  BOOST_TEST((*all)[1].email == "bob@example.org");
  BOOST_TEST((*all)[2].email == "carol@example.org");
}

BOOST_AUTO_TEST_CASE(duplicate_member_is_refused_whatever_the_case) {
  const auto crew = make_list("crew@x.org");
  make_member(crew.id, "alice@example.org");
  list::MemberRecord again;
  again.list_id = crew.id;
  again.email = "ALICE@example.org";
  auto added = store->add_member(again, "K", cli("member.add", again.email));
  BOOST_REQUIRE(!added);
  BOOST_TEST(is_permanent(added.error()));
  BOOST_TEST(added.error().message == "ALICE@example.org is already a member of crew@x.org");
  // The same person on another list is fine.
  const auto other = make_list("other@x.org", "Other");
  make_member(other.id, "alice@example.org");
}

BOOST_AUTO_TEST_CASE(member_of_a_missing_list_is_refused) {
  list::MemberRecord member;
  member.list_id = 77;
  member.email = "alice@example.org";
  auto added = store->add_member(member, "K", cli("member.add", member.email));
  BOOST_REQUIRE(!added);
  BOOST_TEST(is_permanent(added.error()));
  BOOST_TEST(added.error().message.find("no list with id 77") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(remove_member_and_missing_member) {
  const auto crew = make_list("crew@x.org");
  const auto alice = make_member(crew.id, "alice@example.org");
  BOOST_REQUIRE(store->remove_member(alice.id, cli("member.remove", alice.email)));
  BOOST_TEST(!store->find_member(crew.id, "alice@example.org")->has_value());
  auto again = store->remove_member(alice.id, cli("member.remove", alice.email));
  BOOST_REQUIRE(!again);
  BOOST_TEST(is_permanent(again.error()));
  auto key = store->member_key(alice.id);
  BOOST_REQUIRE(!key);
  BOOST_TEST(is_permanent(key.error()));
}

// ---- users ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(users_round_trip) {
  const auto crew = make_list("crew@x.org");
  list::UserRecord admin{0, "root@example.org", list::Role::admin, std::nullopt, "$argon2id$a", ""};
  list::UserRecord mod{0, "mod@example.org", list::Role::moderator, crew.id, "$argon2id$m", ""};
  auto added_admin = store->add_user(admin, cli("user.add", admin.email));
  auto added_mod = store->add_user(mod, cli("user.add", mod.email));
  BOOST_REQUIRE_MESSAGE(added_admin, added_admin.error().message);
  BOOST_REQUIRE_MESSAGE(added_mod, added_mod.error().message);
  BOOST_TEST(added_admin->id != added_mod->id);

  auto found_admin = store->find_user("ROOT@example.org");
  BOOST_REQUIRE(found_admin && found_admin->has_value());
  BOOST_TEST(((*found_admin)->role == list::Role::admin));
  BOOST_TEST(!(*found_admin)->list_id.has_value());
  BOOST_TEST((*found_admin)->password_hash == "$argon2id$a");
  BOOST_TEST(!(*found_admin)->created_at.empty());

  auto found_mod = store->find_user("mod@example.org");
  BOOST_REQUIRE(found_mod && found_mod->has_value());
  BOOST_TEST(((*found_mod)->role == list::Role::moderator));
  BOOST_REQUIRE((*found_mod)->list_id.has_value());
  BOOST_TEST(*(*found_mod)->list_id == crew.id);

  BOOST_TEST(!store->find_user("nobody@example.org")->has_value());
}

BOOST_AUTO_TEST_CASE(bad_users_are_refused) {
  list::UserRecord admin{0, "root@example.org", list::Role::admin, std::nullopt, "h", ""};
  BOOST_REQUIRE(store->add_user(admin, cli("user.add", admin.email)));

  list::UserRecord dup{0, "Root@Example.org", list::Role::moderator, std::nullopt, "h", ""};
  auto again = store->add_user(dup, cli("user.add", dup.email));
  BOOST_REQUIRE(!again);
  BOOST_TEST(is_permanent(again.error()));
  BOOST_TEST(again.error().message == "user Root@Example.org is already there");

  list::UserRecord member{0, "m@example.org", list::Role::member, std::nullopt, "h", ""};
  auto as_member = store->add_user(member, cli("user.add", member.email));
  BOOST_REQUIRE(!as_member);
  BOOST_TEST(is_permanent(as_member.error()));

  list::UserRecord lost{0, "l@example.org", list::Role::moderator, list::Id{999}, "h", ""};
  auto no_list = store->add_user(lost, cli("user.add", lost.email));
  BOOST_REQUIRE(!no_list);
  BOOST_TEST(no_list.error().message.find("no list with id 999") != std::string::npos);
}

// ---- audit log -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_change_writes_one_entry_in_order) {
  const auto crew = make_list("crew@x.org");
  BOOST_REQUIRE(store->set_list_setting(crew.id, "posting", "open",
                                        cli("list.set", "crew@x.org", "posting=open")));
  const auto alice = make_member(crew.id, "alice@example.org");
  BOOST_REQUIRE(store->remove_member(alice.id, cli("member.remove", "alice@example.org")));
  BOOST_REQUIRE(
      store->add_user(list::UserRecord{0, "a@x.org", list::Role::admin, std::nullopt, "h", ""},
                      cli("user.add", "a@x.org")));
  BOOST_REQUIRE(store->append_audit(cli("list.key", "crew@x.org")));
  BOOST_REQUIRE(store->delete_list(crew.id, cli("list.delete", "crew@x.org")));

  const auto entries = audit();
  std::vector<std::string> actions;
  for (const auto& entry : entries) {
    actions.push_back(entry.event.action);
  }
  const std::vector<std::string> expected{"list.create", "list.set", "member.add", "member.remove",
                                          "user.add",    "list.key", "list.delete"};
  BOOST_TEST(actions == expected, boost::test_tools::per_element());
  BOOST_TEST(entries[1].event.detail == "posting=open");
  BOOST_TEST(entries[1].event.actor == "cli:test");
  BOOST_TEST(entries.front().prev_hash == std::string(list::audit_genesis_hash()));
  BOOST_TEST(!list::first_broken_entry(entries).has_value());
}

BOOST_AUTO_TEST_CASE(chain_stays_valid_across_many_changes) {
  for (int i = 0; i < 30; ++i) {
    const auto made = make_list(fmt::format("l{}@x.org", i), fmt::format("L{}", i));
    make_member(made.id, "a@example.org");
    if (i % 3 == 0) {
      BOOST_REQUIRE(store->delete_list(made.id, cli("list.delete", made.address)));
    }
  }
  const auto entries = audit();
  BOOST_TEST(entries.size() == 70u);
  BOOST_TEST(!list::first_broken_entry(entries).has_value());
}

BOOST_AUTO_TEST_CASE(tampering_with_a_row_is_detected_at_that_row) {
  for (int i = 0; i < 10; ++i) {
    BOOST_REQUIRE(store->append_audit(cli("test.event", fmt::format("t{}", i))));
  }
  const auto entries = audit();
  const list::Id victim = entries[4].id;
  // An attacker with the database file rewrites one field of one row.
  RawSql(path).execute(
      fmt::format("UPDATE audit_log SET actor = 'cli:someone-else' WHERE id = {}", victim));
  const auto broken = list::first_broken_entry(audit());
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == victim);
}

BOOST_AUTO_TEST_CASE(deleting_a_row_is_detected_at_the_next) {
  for (int i = 0; i < 10; ++i) {
    BOOST_REQUIRE(store->append_audit(cli("test.event", fmt::format("t{}", i))));
  }
  const auto entries = audit();
  RawSql(path).execute(fmt::format("DELETE FROM audit_log WHERE id = {}", entries[5].id));
  const auto broken = list::first_broken_entry(audit());
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == entries[6].id);
}

// ---- inbound spool ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_batch_of_fifty_is_spooled_in_one_call) {
  std::vector<list::InboundMessage> batch(50);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].mail_from = fmt::format("sender{}@example.org", i);
    batch[i].rcpt_to = {"crew@x.org", fmt::format("r{}@x.org", i)};
    batch[i].data = fmt::format("Subject: {}\r\n\r\nbody", i) + std::string(1, '\0') + "\xff\r\n";
  }
  batch[7].queue_id = "CALLERCHOSEN0007";
  batch[9].mail_from = ""; // null reverse-path (a bounce)
  BOOST_REQUIRE(store->spool_inbound(batch));

  std::set<std::string> queue_ids;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    BOOST_TEST(batch[i].id > 0);
    if (i > 0) {
      BOOST_TEST(batch[i].id > batch[i - 1].id);
    }
    BOOST_TEST(batch[i].received_at.size() == 20u);
    queue_ids.insert(batch[i].queue_id);
  }
  BOOST_TEST(queue_ids.size() == 50u);
  BOOST_TEST(batch[7].queue_id == "CALLERCHOSEN0007");
  BOOST_TEST(batch[0].queue_id.size() == 16u);
  // The spool does not audit: mail is not a change made by a person.
  BOOST_TEST(audit().empty());

  auto pending = store->pending_inbound(100);
  BOOST_REQUIRE(pending);
  BOOST_REQUIRE(pending->size() == 50u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& got = (*pending)[i];
    BOOST_TEST(got.id == batch[i].id);
    BOOST_TEST(got.queue_id == batch[i].queue_id);
    BOOST_TEST(got.mail_from == batch[i].mail_from);
    BOOST_TEST(got.rcpt_to == batch[i].rcpt_to, boost::test_tools::per_element());
    BOOST_TEST(got.data == batch[i].data);
    BOOST_TEST(got.received_at == batch[i].received_at);
  }

  auto first_ten = store->pending_inbound(10);
  BOOST_REQUIRE(first_ten);
  BOOST_REQUIRE(first_ten->size() == 10u);
  BOOST_TEST(first_ten->back().id == batch[9].id);
  BOOST_TEST(first_ten->back().rcpt_to.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_batch_stores_nothing_and_leaves_the_messages_as_they_were) {
  std::vector<list::InboundMessage> first(1);
  first[0].queue_id = "SAMEIDSAMEIDSAME";
  first[0].rcpt_to = {"crew@x.org"};
  BOOST_REQUIRE(store->spool_inbound(first));

  std::vector<list::InboundMessage> batch(3);
  for (auto& message : batch) {
    message.rcpt_to = {"crew@x.org"};
  }
  batch[2].queue_id = "SAMEIDSAMEIDSAME";
  auto spooled = store->spool_inbound(batch);
  BOOST_REQUIRE(!spooled);
  BOOST_TEST(batch[0].id == 0);
  BOOST_TEST(batch[0].queue_id.empty());
  BOOST_TEST(store->pending_inbound(10)->size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_empty_spool_and_an_empty_batch) {
  std::vector<list::InboundMessage> none;
  BOOST_TEST(store->spool_inbound(none).has_value());
  auto pending = store->pending_inbound(10);
  BOOST_REQUIRE(pending);
  BOOST_TEST(pending->empty());
}

// ---- errors ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_locked_database_is_a_transient_error) {
  TempDir dir2;
  const std::string path2 = dir2.file("busy.db");
  list::SqliteOptions impatient;
  impatient.busy_timeout = std::chrono::milliseconds(100);
  auto opened = list::open_sqlite_store(path2, impatient);
  BOOST_REQUIRE(opened);
  RawSql holder(path2);
  holder.execute("BEGIN IMMEDIATE"); // another process holds the write lock
  auto appended = (*opened)->append_audit(cli("test.event", "x"));
  BOOST_REQUIRE(!appended);
  BOOST_TEST((appended.error().severity == util::Severity::transient), appended.error().message);
  // Readers are not blocked by a writer in WAL mode.
  BOOST_TEST((*opened)->audit_log().has_value());
  holder.execute("ROLLBACK");
  BOOST_TEST((*opened)->append_audit(cli("test.event", "x")).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
