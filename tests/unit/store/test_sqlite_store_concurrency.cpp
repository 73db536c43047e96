// SqliteStore shared between threads and between processes (a second store
// on the same file, as the CLI opens it beside the daemon): the audit chain
// never forks, and each store sees the other's changes. Also prints what
// group commit buys: spool_inbound of 1 vs 50 messages of 10 KB.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fmt/format.h>
#include <iostream>
#include <list/audit.hpp>
#include <list/store/sqlite_store.hpp>
#include <tests/unit/store/raw_sql.hpp>
#include <thread>

namespace {

using store_test::TempDir;

std::unique_ptr<list::Store> open_store(const std::string& path) {
  auto opened = list::open_sqlite_store(path);
  BOOST_REQUIRE_MESSAGE(opened, opened.error().message);
  return std::move(*opened);
}

/// Runs `threads` threads of `per_thread` audit appends, thread t on
/// stores[t % stores.size()]; returns the number of failed appends.
int hammer(const std::vector<list::Store*>& stores, int threads, int per_thread) {
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      list::Store& store = *stores[static_cast<std::size_t>(t) % stores.size()];
      for (int i = 0; i < per_thread; ++i) {
        auto appended = store.append_audit(list::AuditEvent{
            fmt::format("test:thread{}", t), "test.event", fmt::format("n{}", i), ""});
        if (!appended) {
          ++failures;
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  return failures.load();
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_store_concurrency)

BOOST_AUTO_TEST_CASE(four_threads_appending_keep_one_valid_chain) {
  TempDir dir;
  auto store = open_store(dir.file("lifeline.db"));
  BOOST_TEST(hammer({store.get()}, 4, 50) == 0);
  auto log = store->audit_log();
  BOOST_REQUIRE(log);
  BOOST_TEST(log->size() == 200u);
  BOOST_TEST(!list::first_broken_entry(*log).has_value());
}

BOOST_AUTO_TEST_CASE(two_stores_on_one_file_keep_one_valid_chain) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  auto daemon = open_store(path);
  auto cli = open_store(path);
  BOOST_TEST(hammer({daemon.get(), cli.get()}, 4, 25) == 0);
  auto log = cli->audit_log();
  BOOST_REQUIRE(log);
  BOOST_TEST(log->size() == 100u);
  BOOST_TEST(!list::first_broken_entry(*log).has_value());
}

BOOST_AUTO_TEST_CASE(a_second_store_sees_the_changes_of_the_first) {
  TempDir dir;
  const std::string path = dir.file("lifeline.db");
  auto daemon = open_store(path);
  auto cli = open_store(path);

  auto created = cli->create_list(list::ListRecord{0, "crew@x.org", "Crew", "F", ""},
                                  list::AuditEvent{"cli:root", "list.create", "crew@x.org", ""});
  BOOST_REQUIRE(created);
  auto seen = daemon->find_list("crew@x.org");
  BOOST_REQUIRE(seen && seen->has_value());
  BOOST_TEST((*seen)->id == created->id);

  list::MemberRecord alice;
  alice.list_id = created->id;
  alice.email = "alice@example.org";
  BOOST_REQUIRE(daemon->add_member(alice, "K", {"web:admin", "member.add", alice.email, ""}));
  BOOST_TEST(cli->members(created->id)->size() == 1u);

  std::vector<list::InboundMessage> batch(1);
  batch[0].rcpt_to = {"crew@x.org"};
  BOOST_REQUIRE(daemon->spool_inbound(batch));
  auto pending = cli->pending_inbound(10);
  BOOST_REQUIRE(pending);
  BOOST_REQUIRE(pending->size() == 1u);
  BOOST_TEST(pending->front().queue_id == batch[0].queue_id);
  BOOST_TEST(!list::first_broken_entry(*cli->audit_log()).has_value());
}

BOOST_AUTO_TEST_CASE(readers_and_writers_together) {
  TempDir dir;
  auto store = open_store(dir.file("lifeline.db"));
  std::atomic<bool> stop{false};
  std::atomic<int> read_failures{0};
  std::thread reader([&] {
    while (!stop) {
      if (!store->audit_log() || !store->pending_inbound(5)) {
        ++read_failures;
      }
    }
  });
  int spool_failures = 0;
  for (int i = 0; i < 20; ++i) {
    std::vector<list::InboundMessage> batch(5);
    for (auto& message : batch) {
      message.rcpt_to = {"crew@x.org"};
      message.data = std::string(1000, 'x');
    }
    spool_failures += store->spool_inbound(batch) ? 0 : 1;
  }
  const int audit_failures = hammer({store.get()}, 2, 20);
  stop = true;
  reader.join();
  BOOST_TEST(spool_failures == 0);
  BOOST_TEST(audit_failures == 0);
  BOOST_TEST(read_failures == 0);
  BOOST_TEST(store->pending_inbound(1000)->size() == 100u);
}

BOOST_AUTO_TEST_CASE(group_commit_timing) {
  TempDir dir;
  auto store = open_store(dir.file("lifeline.db"));
  const std::string body(10 * 1024, 'm');
  auto batch_of = [&](std::size_t count) {
    std::vector<list::InboundMessage> batch(count);
    for (auto& message : batch) {
      message.mail_from = "alice@example.org";
      message.rcpt_to = {"crew@x.org"};
      message.data = body;
    }
    return batch;
  };
  auto time_batches = [&](std::size_t size, int rounds) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      auto batch = batch_of(size);
      BOOST_REQUIRE(store->spool_inbound(batch));
    }
    const std::chrono::duration<double, std::milli> spent =
        std::chrono::steady_clock::now() - start;
    return spent.count() / rounds;
  };
  time_batches(1, 3); // warm up: connection, page cache
  const double one = time_batches(1, 20);
  const double fifty = time_batches(50, 5);
  std::cout << fmt::format("spool_inbound, 10 KB messages, synchronous=FULL: batch of 1: {:.2f} ms "
                           "({:.0f} msg/s); batch of 50: {:.2f} ms ({:.2f} ms/msg, {:.0f} msg/s)\n",
                           one, 1000.0 / one, fifty, fifty / 50, 50 * 1000.0 / fifty);
  // Group commit must pay off: 50 messages in one call cost far less than 50 calls.
  BOOST_TEST(fifty < one * 50);
}

BOOST_AUTO_TEST_SUITE_END()
