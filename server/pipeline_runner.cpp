#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <list/crypto/gpg_keyring.hpp>
#include <list/crypto/gpg_sealer.hpp>
#include <list/crypto/rnp_sealer.hpp>
#include <list/mime/gmime_codec.hpp>
#include <list/mime/init.hpp>
#include <list/pipeline.hpp>
#include <server/fatal.hpp>
#include <server/list_crypto.hpp>
#include <server/log.hpp>
#include <server/pipeline_runner.hpp>

namespace server {

namespace {

constexpr auto k_idle_poll = std::chrono::milliseconds(250);

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

list::PipelineOptions pipeline_options(const Config& config) {
  list::PipelineOptions options;
  options.server_max_size = static_cast<std::uint64_t>(config.number("smtp", "max_message_size"));
  options.base_url = config.text("web", "base_url");
  options.batch_size = static_cast<std::size_t>(config.number("server", "pipeline_batch"));
  options.lease_seconds = config.number("server", "pipeline_lease");
  // Test hook for crash tests: a pause after each committed batch of copies.
  if (const char* pause = std::getenv("LIFELINE_TEST_BATCH_PAUSE_MS"); pause != nullptr) {
    options.batch_pause = std::chrono::milliseconds(std::atoll(pause));
  }
  // Key update by mail imports into the list's own GnuPG home.
  options.open_keyring = [&config](const list::ListRecord& list) {
    return list::open_gpg_keyring(list_gnupg_home(config, list.address));
  };
  return options;
}

void log_event(const std::string& queue_id, const list::PipelineEvent& event) {
  std::string line = fmt::format("pipeline {} id={} list={}", event.event, queue_id,
                                 event.list.empty() ? "-" : event.list);
  if (!event.detail.empty()) {
    line += " " + event.detail;
  }
  if (!event.error.empty()) {
    line += " error=" + log_value(event.error);
  }
  write_log_line(event.warning ? LogLevel::warning : LogLevel::info, line);
}

} // namespace

std::size_t pipeline_worker_count(const Config& config) {
  const auto configured = config.number("server", "pipeline_workers");
  if (configured > 0) {
    return static_cast<std::size_t>(configured);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

PipelineRunner::PipelineRunner(const Config& config, list::Store& store,
                               list::BounceProcessor* bounces, YieldToIntake yield_to_intake)
    : m_config(config), m_store(store), m_bounces(bounces),
      m_yield_to_intake(std::move(yield_to_intake)) {}

PipelineRunner::~PipelineRunner() {
  stop();
}

void PipelineRunner::start() {
  list::initialize_mime();
  m_codec = list::make_gmime_codec();
  const std::size_t workers = pipeline_worker_count(m_config);
  const std::string sealer_dir = fmt::format("{}/sealer", m_config.text("server", "data_dir"));
  const bool use_gpg = m_config.text("server", "sealer") == "gpg";
  auto make_sealer = [use_gpg, sealer_dir] {
    return use_gpg ? list::make_gpg_sealer(sealer_dir) : list::make_rnp_sealer();
  };
  if (auto probe = make_sealer(); !probe) {
    throw Fatal(fmt::format("cannot set up sealing in {}: {}", sealer_dir, probe.error().message));
  }
  m_seal_pool = std::make_unique<list::SealPool>(workers, [make_sealer] {
    auto sealer = make_sealer();
    return sealer ? std::move(*sealer) : nullptr; // probed above
  });
  // This node alone uses the database: a lease still held is a dead worker's.
  if (auto released = m_store.release_inbound_leases(); released && *released > 0) {
    log(LogLevel::info, "pipeline resume leased={}", *released);
  }
  m_stopping = false;
  for (std::size_t i = 0; i < workers; ++i) {
    m_workers.emplace_back([this, i] { work(i); });
  }
  log(LogLevel::info, "pipeline started workers={}", workers);
}

void PipelineRunner::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  for (std::thread& worker : m_workers) {
    worker.join();
  }
  m_workers.clear();
  m_seal_pool.reset();
}

void PipelineRunner::notify() {
  m_wake.notify_all();
}

void PipelineRunner::work(std::size_t) {
  ListCrypto crypto(m_config);
  const list::PipelineOptions options = pipeline_options(m_config);
  list::Pipeline pipeline(m_store, *m_codec, crypto, *m_seal_pool, options, m_bounces);
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) {
        return;
      }
    }
    if (m_yield_to_intake) {
      m_yield_to_intake();
    }
    auto claimed = m_store.claim_inbound(unix_now(), options.lease_seconds, 1);
    if (!claimed) {
      log(LogLevel::warning, "pipeline claim-failed error={}", log_value(claimed.error().message));
    }
    if (!claimed || claimed->empty()) {
      std::unique_lock lock(m_mutex);
      m_wake.wait_for(lock, k_idle_poll, [&] { return m_stopping; });
      continue;
    }
    for (const list::ClaimedPost& post : *claimed) {
      const list::PipelineResult result = pipeline.process(post);
      for (const list::PipelineEvent& event : result.events) {
        log_event(post.message.queue_id, event);
      }
    }
  }
}

} // namespace server
