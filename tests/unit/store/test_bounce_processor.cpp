// list::BounceProcessor on a real SqliteStore with a recording notifier and
// a simulated clock: DSNs to VERP addresses, synchronous 5xx, scoring to
// disable, three warnings and removal, each step in the audit log; plus the
// delivery queue calls (claim, lease, record, summary, retry, purge).
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <list/audit.hpp>
#include <list/bounce.hpp>
#include <list/store/sqlite_store.hpp>
#include <sstream>
#include <tests/unit/store/raw_sql.hpp>

namespace {

using store_test::TempDir;

list::AuditEvent cli(std::string action, std::string target) {
  return list::AuditEvent{"cli:test", std::move(action), std::move(target), ""};
}

struct RecordingNotifier : list::BounceNotifier {
  std::vector<std::string> sent;
  util::Result<void> warn_member(const list::MemberRecord& member, int number, int total) override {
    sent.push_back("warn " + member.email + " " + std::to_string(number) + "/" +
                   std::to_string(total));
    return {};
  }
  util::Result<void> tell_admins(list::Id, const list::MemberRecord& member,
                                 std::string_view event) override {
    sent.push_back("admins " + member.email + " " + std::string(event));
    return {};
  }
  util::Result<void> forward_to_owners(list::Id, std::string_view) override {
    sent.push_back("owners");
    return {};
  }
};

std::string dsn_fixture(const std::string& name) {
  std::ifstream in(std::string(LIFELINE_FIXTURES_DIR) + "/dsn/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Fixture {
  Fixture() {
    auto opened = list::open_sqlite_store(dir.file("lifeline.db"));
    BOOST_REQUIRE_MESSAGE(opened, opened.error().message);
    store = std::move(*opened);
    crew = *store->create_list(list::ListRecord{0, "crew@x.org", "Crew", "FPR", ""},
                               cli("list.create", "crew@x.org"));
    list::MemberRecord record;
    record.list_id = crew.id;
    record.email = "dave@example.net";
    record.fingerprint = "FPR-dave";
    dave = *store->add_member(record, "KEY", cli("member.add", record.email));
    auto batch = store->expansion_batch(crew.id, 0, 10); // gives dave a VERP tag
    BOOST_REQUIRE(batch && batch->size() == 1);
    tag = batch->front().verp_tag;
  }

  std::vector<std::string> audit_actions() {
    std::vector<std::string> out;
    // Hold the Result: a range-for over *temporary would dangle.
    const auto entries = store->audit_log();
    for (const auto& entry : *entries) {
      if (entry.event.action.starts_with("bounce.")) {
        out.push_back(entry.event.action);
      }
    }
    return out;
  }

  TempDir dir;
  std::unique_ptr<list::Store> store;
  list::ListRecord crew;
  list::MemberRecord dave;
  std::string tag;
  RecordingNotifier notifier;
  std::int64_t now = 1700000000 / 86400 * 86400 + 12 * 3600;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(bounce_processor, Fixture)

BOOST_AUTO_TEST_CASE(dsns_to_verp_addresses_over_weeks) {
  list::BounceProcessor processor(*store, notifier, {}, [&] { return now; });
  // A delayed DSN does not count; an unreadable one and one without a tag go to the owners.
  BOOST_TEST((*processor.handle_bounce_mail(crew.id, tag, dsn_fixture("delayed.eml")) ==
              list::BounceVerdict::not_counted));
  BOOST_TEST((*processor.handle_bounce_mail(crew.id, tag, dsn_fixture("unparseable.eml")) ==
              list::BounceVerdict::forwarded));
  BOOST_TEST((*processor.handle_bounce_mail(crew.id, "", dsn_fixture("postfix.eml")) ==
              list::BounceVerdict::forwarded));
  BOOST_TEST((*processor.handle_bounce_mail(crew.id, "no-such-tag", dsn_fixture("postfix.eml")) ==
              list::BounceVerdict::forwarded));
  // Five days of hard bounces (one DSN, then relay 5xx twice a day): disabled.
  for (int day = 0; day < 5; ++day) {
    if (day == 0) {
      BOOST_TEST((*processor.handle_bounce_mail(crew.id, tag, dsn_fixture("gmail.eml")) ==
                  list::BounceVerdict::counted));
    } else {
      BOOST_TEST(processor.record_bounce(crew.id, dave.id, "relay 550 5.1.1").has_value());
      BOOST_TEST(processor.record_bounce(crew.id, dave.id, "relay 550 5.1.1").has_value());
    }
    BOOST_TEST(processor.tick().has_value());
    now += 86400;
  }
  auto state = *store->bouncing_member(dave.id);
  BOOST_REQUIRE(state);
  BOOST_TEST(state->bounce.score == 5);
  BOOST_TEST((state->member.state == list::MemberState::disabled));
  // Four more weeks of daily ticks: two more warnings, then removal.
  for (int day = 0; day < 28; ++day) {
    BOOST_TEST(processor.tick().has_value());
    now += 86400;
  }
  BOOST_TEST(!*store->bouncing_member(dave.id));
  const std::vector<std::string> expected{"owners",
                                          "owners",
                                          "owners",
                                          "admins dave@example.net disabled",
                                          "warn dave@example.net 1/3",
                                          "warn dave@example.net 2/3",
                                          "warn dave@example.net 3/3",
                                          "admins dave@example.net removed"};
  BOOST_TEST(notifier.sent == expected, boost::test_tools::per_element());
  const std::vector<std::string> actions{"bounce.count", "bounce.count",   "bounce.count",
                                         "bounce.count", "bounce.disable", "bounce.warn",
                                         "bounce.warn",  "bounce.remove"};
  BOOST_TEST(audit_actions() == actions, boost::test_tools::per_element());
  BOOST_TEST(!list::first_broken_entry(*store->audit_log()));
}

BOOST_AUTO_TEST_CASE(queue_claim_lease_record_and_summary) {
  std::vector<list::OutboundMessage> copies;
  for (int i = 0; i < 3; ++i) {
    copies.push_back(list::OutboundMessage{crew.id, std::nullopt, dave.id, "crew-bounces+t@x.org",
                                           "r" + std::to_string(i) + "@y.org", "DATA"});
  }
  BOOST_REQUIRE(store->enqueue_outbound(copies).has_value());
  const std::int64_t t = 4000000000; // far in the future: everything is due
  auto first = store->claim_outbound(t, 60, 2);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->size() == 2U);
  BOOST_TEST(first->front().data == "DATA");
  auto second = store->claim_outbound(t, 60, 10); // the leased two are not claimed again
  BOOST_TEST(second->size() == 1U);
  BOOST_TEST(store->claim_outbound(t, 60, 10)->empty());
  BOOST_TEST(store->claim_outbound(t + 61, 60, 10)->size() == 3U); // leases ran out
  BOOST_REQUIRE(store->record_deliveries({
      list::DeliveryRecord{(*first)[0].id,  list::DeliveryState::delivered, 0,       250, "2.0.0", "ok"},
      list::DeliveryRecord{(*first)[1].id,  list::DeliveryState::failed,    0,       550, "5.1.1", "no"},
      list::DeliveryRecord{(*second)[0].id, list::DeliveryState::queued,    t + 300, 451, "4.3.0",
                           "later"                                                                     }
  }));
  auto summary = *store->queue_summary(5);
  BOOST_TEST(summary.queued == 1);
  BOOST_TEST(summary.delivered == 1);
  BOOST_TEST(summary.failed == 1);
  BOOST_TEST(summary.next_attempts.at(0).attempts == 1);
  BOOST_TEST(summary.errors.size() == 2U);
  BOOST_TEST(store->claim_outbound(t + 100, 60, 10)->empty()); // not due before t + 300
  BOOST_TEST(*store->retry_outbound(std::nullopt, t + 100, cli("queue.retry", "all")) == 1);
  BOOST_TEST(store->claim_outbound(t + 100, 60, 10)->size() == 1U);
  BOOST_TEST(store->release_outbound_claims().has_value());
  BOOST_TEST(*store->retry_outbound((*first)[1].id, t, cli("queue.retry", "x")) == 1);
  BOOST_TEST(
      !store->retry_outbound((*first)[0].id, t, cli("queue.retry", "x")).has_value()); // delivered
  BOOST_TEST(store->purge_outbound((*first)[1].id, cli("queue.purge", "x")).has_value());
  BOOST_TEST(!store->purge_outbound((*first)[1].id, cli("queue.purge", "x")).has_value());
  BOOST_TEST(store->failed_since("2000-01-01T00:00:00Z")->empty());
}

BOOST_AUTO_TEST_SUITE_END()
