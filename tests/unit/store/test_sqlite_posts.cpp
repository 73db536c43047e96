// SqliteStore's pipeline calls: claims with leases (a dead worker's post is
// claimed again), copies queued in batches behind the progress marker (a
// stale worker queues nothing), held posts and decisions, VERP tags, list
// secrets, notice rate limits and the migration of a version-2 spool.
#include <boost/test/unit_test.hpp>
#include <list/store/sqlite_store.hpp>
#include <set>
#include <tests/unit/store/raw_sql.hpp>

namespace {

using store_test::RawSql;
using store_test::TempDir;

list::AuditEvent cli(std::string action, std::string target) {
  return list::AuditEvent{"cli:test", std::move(action), std::move(target), ""};
}

struct PostsFixture {
  PostsFixture() : path(dir.file("lifeline.db")) {
    auto opened = list::open_sqlite_store(path);
    BOOST_REQUIRE_MESSAGE(opened, opened.error().message);
    store = std::move(*opened);
    auto created = store->create_list(list::ListRecord{0, "crew@x.org", "Crew", "FPR", ""},
                                      cli("list.create", "crew@x.org"));
    BOOST_REQUIRE(created);
    crew = *created;
  }

  list::MemberRecord member(const std::string& email) {
    list::MemberRecord record;
    record.list_id = crew.id;
    record.email = email;
    record.fingerprint = "FPR-" + email;
    auto added = store->add_member(record, "KEY-" + email, cli("member.add", email));
    BOOST_REQUIRE_MESSAGE(added, added.error().message);
    return *added;
  }

  list::Id spool(const std::string& from = "alice@x.org") {
    std::vector<list::InboundMessage> batch(1);
    batch[0].mail_from = from;
    batch[0].rcpt_to = {"crew@x.org"};
    batch[0].data = "Subject: hi\r\n\r\nbody\r\n";
    BOOST_REQUIRE(store->spool_inbound(batch));
    return batch[0].id;
  }

  list::OutboundMessage copy(list::Id inbound, list::Id member, const std::string& to) {
    return list::OutboundMessage{crew.id, inbound, member, "crew-bounces+t@x.org", to, "DATA"};
  }

  TempDir dir;
  std::string path;
  std::unique_ptr<list::Store> store;
  list::ListRecord crew;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_posts, PostsFixture)

BOOST_AUTO_TEST_CASE(claim_leases_and_a_lapsed_lease_is_claimed_again) {
  const list::Id id = spool();
  auto first = store->claim_inbound(1000, 60, 10);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(first->size() == 1u);
  BOOST_TEST(first->front().message.id == id);
  BOOST_TEST(first->front().message.rcpt_to.front() == "crew@x.org");
  BOOST_TEST(first->front().attempts == 1);
  // Within the lease nobody else gets it; after it, the next claim does.
  BOOST_TEST(store->claim_inbound(1030, 60, 10)->empty());
  auto again = store->claim_inbound(1061, 60, 10);
  BOOST_REQUIRE(again);
  BOOST_REQUIRE(again->size() == 1u);
  BOOST_TEST(again->front().attempts == 2);
  // A restarted node ends the leases of its dead workers at once.
  BOOST_TEST(*store->release_inbound_leases() == 1u);
  BOOST_TEST(store->claim_inbound(1062, 60, 10)->size() == 1u);
  BOOST_REQUIRE(store->finish_inbound(id, list::InboundState::done, "done", {}));
  BOOST_TEST(store->claim_inbound(99999, 60, 10)->empty());
  BOOST_TEST(store->pending_inbound(10)->empty());
}

BOOST_AUTO_TEST_CASE(copies_are_queued_behind_the_marker_exactly_once) {
  const auto a = member("a@x.org");
  const auto b = member("b@x.org");
  const list::Id id = spool();
  BOOST_REQUIRE(store->claim_inbound(1000, 60, 1));
  BOOST_REQUIRE(store->enqueue_copies(id, 0, a.id, {copy(id, a.id, "a@x.org")}));
  // A worker still believing the marker is at 0 queues nothing.
  auto stale = store->enqueue_copies(id, 0, a.id, {copy(id, a.id, "a@x.org")});
  BOOST_TEST(!stale);
  // After a crash the claim says where to resume.
  auto resumed = store->claim_inbound(2000, 60, 1);
  BOOST_REQUIRE(resumed);
  BOOST_REQUIRE(resumed->size() == 1u);
  BOOST_TEST(resumed->front().expanded_through == a.id);
  BOOST_REQUIRE(store->enqueue_copies(id, a.id, b.id, {copy(id, b.id, "b@x.org")}));
  BOOST_REQUIRE(store->finish_inbound(id, list::InboundState::done, "posted", {}));
  RawSql raw(path);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM outbound") == 2);
  BOOST_TEST(raw.count("SELECT COUNT(DISTINCT member_id) FROM outbound") == 2);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM outbound WHERE state = 'queued' AND attempts = 0 "
                       "AND claimed_until = 0 AND envelope_from = 'crew-bounces+t@x.org'") == 2);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM inbound WHERE state = 'done'") == 1);
}

BOOST_AUTO_TEST_CASE(notices_go_with_the_final_state) {
  const list::Id id = spool("eve@y.org");
  BOOST_REQUIRE(store->claim_inbound(1000, 60, 1));
  list::OutboundMessage reply{crew.id, id, std::nullopt, "crew-bounces@x.org", "eve@y.org", "R"};
  BOOST_REQUIRE(store->finish_inbound(id, list::InboundState::rejected, "not a member", {reply}));
  RawSql raw(path);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM outbound WHERE member_id IS NULL AND "
                       "recipient = 'eve@y.org'") == 1);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM inbound WHERE state = 'rejected'") == 1);
}

BOOST_AUTO_TEST_CASE(held_posts_are_listed_decided_once_and_handed_back) {
  const list::Id id = spool();
  BOOST_REQUIRE(store->claim_inbound(1000, 60, 1));
  auto held = store->hold_inbound(id, crew.id, "alice@x.org", "moderated list", {});
  BOOST_REQUIRE(held);
  auto listed = store->held_posts(crew.id);
  BOOST_REQUIRE(listed);
  BOOST_REQUIRE(listed->size() == 1u);
  BOOST_TEST(listed->front().id == *held);
  BOOST_TEST(listed->front().reason == "moderated list");
  BOOST_TEST(listed->front().size > 0);
  BOOST_TEST(store->claim_inbound(5000, 60, 1)->empty()); // held is not work

  BOOST_REQUIRE(store->decide_held(*held, list::HeldDecision::reject, "off topic",
                                   cli("held.reject", "crew@x.org")));
  BOOST_TEST(!store->decide_held(*held, list::HeldDecision::approve, "",
                                 cli("held.approve", "crew@x.org")));
  BOOST_TEST(store->held_posts(crew.id)->empty());
  auto back = store->claim_inbound(6000, 60, 1);
  BOOST_REQUIRE(back);
  BOOST_REQUIRE(back->size() == 1u);
  BOOST_TEST(std::string(list::to_string(back->front().decision)) == "reject");
  BOOST_TEST(back->front().decision_reason == "off topic");
  BOOST_TEST(!store->find_held(9999)->has_value());
}

BOOST_AUTO_TEST_CASE(expansion_batches_give_unique_verp_tags_that_map_back) {
  std::vector<list::MemberRecord> all;
  for (int i = 0; i < 5; ++i) {
    all.push_back(member("m" + std::to_string(i) + "@x.org"));
  }
  auto first = store->expansion_batch(crew.id, 0, 3);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(first->size() == 3u);
  auto rest = store->expansion_batch(crew.id, first->back().member.id, 3);
  BOOST_REQUIRE(rest);
  BOOST_REQUIRE(rest->size() == 2u);
  std::set<std::string> tags;
  for (const auto& batch : {*first, *rest}) {
    for (const auto& one : batch) {
      BOOST_TEST(one.verp_tag.size() >= 16u);
      BOOST_TEST(one.public_key == "KEY-" + one.member.email);
      tags.insert(one.verp_tag);
      auto found = store->find_member_by_verp_tag(crew.id, one.verp_tag);
      BOOST_REQUIRE(found);
      BOOST_REQUIRE(found->has_value());
      BOOST_TEST((*found)->id == one.member.id);
    }
  }
  BOOST_TEST(tags.size() == 5u);
  // Tags are stable: a second expansion sees the same ones.
  auto again = store->expansion_batch(crew.id, 0, 3);
  BOOST_TEST(again->front().verp_tag == first->front().verp_tag);
  BOOST_TEST(!store->find_member_by_verp_tag(crew.id, "nope")->has_value());
}

BOOST_AUTO_TEST_CASE(list_secret_is_made_once_and_notice_slots_rate_limit) {
  auto secret = store->list_secret(crew.id);
  BOOST_REQUIRE(secret);
  BOOST_TEST(secret->size() == 64u);
  BOOST_TEST(*store->list_secret(crew.id) == *secret);

  BOOST_TEST(*store->take_notice_slot("reject:eve@y.org", 1000, 3600));
  BOOST_TEST(!*store->take_notice_slot("reject:eve@y.org", 2000, 3600));
  BOOST_TEST(*store->take_notice_slot("reject:bob@y.org", 2000, 3600));
  BOOST_TEST(*store->take_notice_slot("reject:eve@y.org", 4601, 3600));
}

BOOST_AUTO_TEST_CASE(member_key_update_is_audited) {
  const auto a = member("a@x.org");
  BOOST_REQUIRE(store->update_member_key(a.id, "NEWFPR", std::nullopt, "NEWKEY",
                                         cli("member.key_update", "a@x.org")));
  BOOST_TEST(*store->member_key(a.id) == "NEWKEY");
  BOOST_TEST((*store->find_member(crew.id, "a@x.org"))->fingerprint == "NEWFPR");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(migration_3_keeps_a_version_2_spool_and_its_recipients) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    list::SqliteOptions options;
    options.migrate_up_to = 2;
    auto old = list::open_sqlite_store(path, options);
    BOOST_REQUIRE(old);
    std::vector<list::InboundMessage> batch(1);
    batch[0].mail_from = "a@x.org";
    batch[0].rcpt_to = {"crew@x.org", "crew-owner@x.org"};
    batch[0].data = "x";
    BOOST_REQUIRE((*old)->spool_inbound(batch));
  }
  auto store = list::open_sqlite_store(path);
  BOOST_REQUIRE_MESSAGE(store, store.error().message);
  auto claimed = (*store)->claim_inbound(1, 60, 5);
  BOOST_REQUIRE(claimed);
  BOOST_REQUIRE(claimed->size() == 1u);
  BOOST_TEST(claimed->front().message.rcpt_to.size() == 2u);
  RawSql raw(path);
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
  // The recipients' foreign key names the renamed table.
  BOOST_TEST(raw.count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'inbound_recipients' "
                       "AND sql LIKE '%REFERENCES \"inbound\"%'") == 1);
}
