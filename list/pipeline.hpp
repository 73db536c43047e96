// One inbound message through the list pipeline: route by recipient, open
// (decrypt, verify), loop and policy checks, hold or reject, expand to one
// sealed copy per member, enqueue in batches behind a progress marker;
// postmaster@ mail goes to the admins of the lists at its domain.
// Returns what happened as values for server/ to log; never logs itself.
// A transient error leaves the message leased, to be claimed again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list/bounce.hpp>
#include <list/expand.hpp>
#include <list/keyring.hpp>
#include <list/message_codec.hpp>
#include <list/openpgp.hpp>
#include <list/post_records.hpp>
#include <list/seal_pool.hpp>
#include <list/store.hpp>
#include <memory>
#include <string>
#include <vector>

namespace list {

/// What the pipeline needs per list that only the caller can make: this
/// worker's PostCrypto for a list (one GPGME context per worker and list),
/// and the list's armored public key.
class ListCryptoSource {
public:
  virtual ~ListCryptoSource() = default;
  virtual util::Result<PostCrypto*> post_crypto(const ListRecord& list) = 0;
  virtual util::Result<std::string> public_key(const ListRecord& list) = 0;
};

struct PipelineOptions {
  std::uint64_t server_max_size = 0; // [smtp] max_message_size
  std::string base_url;              // [web] base_url
  std::size_t batch_size = 100;      // copies per transaction
  std::int64_t lease_seconds = 300;
  std::int64_t reply_interval = 3600; // one reply per sender and list per interval
  /// Test hook: pause after each committed batch (crash tests).
  std::chrono::milliseconds batch_pause{0};
  /// A list's keyring (key update by mail); unset: a key update is an error.
  std::function<std::unique_ptr<Keyring>(const ListRecord&)> open_keyring;
};

/// One thing that happened, for one log line: "pipeline EVENT id=... list=... DETAIL".
struct PipelineEvent {
  std::string event;  // post, held, rejected, loop, sendkey, owner, request, bounce,
                      // postmaster, error
  std::string list;   // list address; may be empty
  std::string detail; // key=value pairs, values safe to log (no subjects, bodies, tokens)
  bool warning = false;
  std::string error; // an error's message, for the caller to quote; empty: none
};

struct PipelineResult {
  std::vector<PipelineEvent> events;
  bool retry = false; // a transient error: the message stays leased and comes back
};

class Pipeline {
public:
  /// `bounces`: where mail to -bounces@ goes (then done); null leaves it in
  /// state 'bounce'.
  Pipeline(Store& store, MessageCodec& codec, ListCryptoSource& crypto, SealPool& seal_pool,
           PipelineOptions options, BounceProcessor* bounces = nullptr);

  PipelineResult process(const ClaimedPost& post);

private:
  struct Work;
  void handle_post(Work& work);
  void handle_sendkey(Work& work);
  void handle_owner(Work& work);
  void handle_request(Work& work);
  void handle_bounce(Work& work);
  void handle_postmaster(Work& work, const std::string& domain);
  util::Result<PostCrypto*> open_list(const ListRecord& record, ListFacts& facts);
  void expand(Work& work, struct OpenedPost& opened);

  Store& m_store;
  MessageCodec& m_codec;
  ListCryptoSource& m_crypto;
  SealPool& m_seal_pool;
  PipelineOptions m_options;
  BounceProcessor* m_bounces;
};

} // namespace list
