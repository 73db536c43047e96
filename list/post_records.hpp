// The pipeline's records in the store: a claimed inbound post, a held post,
// one outbound copy, and the member data expansion reads in batches. Plain
// values; the store calls that move them return util::Results.
#pragma once

#include <cstdint>
#include <list/types.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace list {

/// Where an inbound message is. `processing` is a lease: a worker that dies
/// leaves it to be claimed again once claimed_until has passed.
enum class InboundState { fresh, processing, done, held, rejected, bounce };

/// What a moderator decided about a held post; the pipeline carries it out.
enum class HeldDecision { none, approve, reject };

/// An inbound message claimed by a pipeline worker.
struct ClaimedPost {
  InboundMessage message;
  int attempts = 0;        // claims so far, this one included
  Id expanded_through = 0; // member id of the last committed copy batch
  HeldDecision decision = HeldDecision::none;
  std::string decision_reason; // the moderator's --reason for a rejection
  std::optional<Id> held_id;
};

/// A post waiting for a moderator, as `held list` shows it.
struct HeldPost {
  Id id = 0;
  Id list_id = 0;
  Id inbound_id = 0;
  std::string queue_id;
  std::string sender;
  std::string reason; // why it was held: policy text, never the subject
  std::string state;  // held | approved | rejected
  std::string created_at;
  std::int64_t size = 0;
};

/// One message for the outbound queue (see the outbound table).
struct OutboundMessage {
  std::optional<Id> list_id;
  std::optional<Id> inbound_id;
  std::optional<Id> member_id;
  std::string envelope_from;
  std::string recipient;
  std::string data; // whole RFC 5322 message, CRLF, not dot-stuffed
};

/// What expansion needs of one member: the record, its VERP tag and key.
struct ExpansionMember {
  MemberRecord member;
  std::string verp_tag;
  std::string public_key; // as imported; empty: no key bound
};

const char* to_string(InboundState state);
const char* to_string(HeldDecision decision);

} // namespace list
