// list/audit: the hash chain. A chain built entry by entry verifies; editing
// any field of one entry is found at that entry; deleting an entry is found
// at the one after it.
#include <boost/test/unit_test.hpp>
#include <list/audit.hpp>
#include <set>
#include <string>
#include <vector>

namespace {

std::vector<list::AuditEntry> build_chain(int length) {
  std::vector<list::AuditEntry> chain;
  std::string prev(list::audit_genesis_hash());
  for (int i = 0; i < length; ++i) {
    list::AuditEntry entry;
    entry.id = 100 + i;
    entry.time = "2024-05-01T09:30:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z";
    entry.event = list::AuditEvent{"cli:root", "member.add", "crew@lists.example.org",
                                   "alice" + std::to_string(i) + "@example.org"};
    entry.prev_hash = prev;
    entry.hash = list::audit_hash(prev, entry.time, entry.event);
    prev = entry.hash;
    chain.push_back(entry);
  }
  return chain;
}

enum class Field { time, actor, action, target, detail, prev_hash, hash };

const Field k_fields[] = {Field::time,   Field::actor,     Field::action, Field::target,
                          Field::detail, Field::prev_hash, Field::hash};

char flipped(char c) {
  return c == 'a' ? 'b' : 'a';
}

/// What an attacker with write access to the database might edit.
void tamper(list::AuditEntry& entry, Field field) {
  switch (field) {
  case Field::time:
    entry.time = "2020-01-01T00:00:00Z";
    break;
  case Field::actor:
    entry.event.actor = "cli:mallory";
    break;
  case Field::action:
    entry.event.action = "member.remove";
    break;
  case Field::target:
    entry.event.target = "other@lists.example.org";
    break;
  case Field::detail:
    entry.event.detail += " ";
    break;
  case Field::prev_hash:
    entry.prev_hash[0] = flipped(entry.prev_hash[0]);
    break;
  case Field::hash:
    entry.hash[63] = flipped(entry.hash[63]);
    break;
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(audit)

BOOST_AUTO_TEST_CASE(genesis_is_64_zeros) {
  BOOST_TEST(list::audit_genesis_hash() == std::string(64, '0'));
}

BOOST_AUTO_TEST_CASE(a_built_chain_verifies) {
  BOOST_TEST(!list::first_broken_entry(build_chain(20)).has_value());
  BOOST_TEST(!list::first_broken_entry(std::vector<list::AuditEntry>{}).has_value());
}

BOOST_AUTO_TEST_CASE(hashes_are_sha256_hex_and_distinct) {
  const auto chain = build_chain(20);
  std::set<std::string> seen;
  for (const auto& entry : chain) {
    BOOST_TEST(entry.hash.size() == 64u);
    BOOST_TEST(entry.hash.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(entry.hash);
  }
  BOOST_TEST(seen.size() == chain.size());
}

BOOST_AUTO_TEST_CASE(field_boundaries_are_framed) {
  // The same characters split differently between fields must not collide.
  const std::string prev(list::audit_genesis_hash());
  const auto a = list::audit_hash(prev, "t", list::AuditEvent{"ab", "c", "d", "e"});
  const auto b = list::audit_hash(prev, "t", list::AuditEvent{"a", "bc", "d", "e"});
  const auto c = list::audit_hash(prev, "t", list::AuditEvent{"a", "b", "cd", "e"});
  const auto d = list::audit_hash(prev, "t", list::AuditEvent{"1:a", "", "d", "e"});
  const auto e = list::audit_hash(prev, "t", list::AuditEvent{"", "1:a", "d", "e"});
  BOOST_TEST(a != b);
  BOOST_TEST(b != c);
  BOOST_TEST(d != e);
}

BOOST_AUTO_TEST_CASE(tampering_with_any_field_of_one_row_names_that_row) {
  for (Field field : k_fields) {
    for (std::size_t victim : {std::size_t{0}, std::size_t{7}, std::size_t{19}}) {
      auto chain = build_chain(20);
      tamper(chain[victim], field);
      const auto broken = list::first_broken_entry(chain);
      BOOST_TEST_CONTEXT("field " << static_cast<int>(field) << ", row " << victim) {
        BOOST_REQUIRE(broken.has_value());
        BOOST_TEST(*broken == chain[victim].id);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rehashing_a_tampered_row_breaks_the_next) {
  // An attacker who also recomputes the edited row's hash is caught one later.
  auto chain = build_chain(10);
  chain[4].event.detail = "forged";
  chain[4].hash = list::audit_hash(chain[4].prev_hash, chain[4].time, chain[4].event);
  const auto broken = list::first_broken_entry(chain);
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == chain[5].id);
}

BOOST_AUTO_TEST_CASE(deleting_a_middle_row_names_the_next) {
  auto chain = build_chain(10);
  const list::Id next = chain[6].id;
  chain.erase(chain.begin() + 5);
  const auto broken = list::first_broken_entry(chain);
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == next);
}

BOOST_AUTO_TEST_CASE(deleting_the_first_row_names_the_new_first) {
  auto chain = build_chain(10);
  chain.erase(chain.begin());
  const auto broken = list::first_broken_entry(chain);
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == chain.front().id);
}

BOOST_AUTO_TEST_CASE(swapping_two_rows_is_detected) {
  auto chain = build_chain(10);
  std::swap(chain[3], chain[4]);
  const auto broken = list::first_broken_entry(chain);
  BOOST_REQUIRE(broken.has_value());
  BOOST_TEST(*broken == chain[3].id);
}

BOOST_AUTO_TEST_SUITE_END()
