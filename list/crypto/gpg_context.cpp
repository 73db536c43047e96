#include <filesystem>
#include <fmt/format.h>
#include <gpgme++/global.h>
#include <gpgme.h>
#include <list/crypto/gpg_context.hpp>

namespace list {

namespace {

// GPG_ERR_* codes after which the same request may succeed later: the agent
// or engine was busy, missing for a moment, or short of a resource. Anything
// else (bad data, unusable key, bad arguments) fails the same way again.
constexpr gpg_err_code_t k_transient_codes[] = {
    GPG_ERR_EAGAIN,
    GPG_ERR_EBUSY,
    GPG_ERR_EINTR,
    GPG_ERR_ENOMEM,
    GPG_ERR_ENOSPC,
    GPG_ERR_EIO,
    GPG_ERR_TIMEOUT,
    GPG_ERR_LOCKED,
    GPG_ERR_NO_AGENT,
    GPG_ERR_AGENT,
    GPG_ERR_ASS_CONNECT_FAILED,
    GPG_ERR_EPIPE,
    GPG_ERR_ECONNREFUSED,
    GPG_ERR_ENFILE,
    GPG_ERR_EMFILE,
};

util::Severity severity_of(gpg_err_code_t code) {
  for (gpg_err_code_t transient : k_transient_codes) {
    if (code == transient) {
      return util::Severity::transient;
    }
  }
  return util::Severity::permanent;
}

} // namespace

void initialize_crypto() {
  GpgME::initializeLibrary();
}

util::Result<std::unique_ptr<GpgME::Context>> make_context(const std::string& engine_home) {
  std::unique_ptr<GpgME::Context> context = GpgME::Context::create(GpgME::OpenPGP);
  if (!context) {
    return util::transient("cannot create a GnuPG context (is gpg installed?)");
  }
  if (auto err = context->setEngineHomeDirectory(engine_home.c_str()); err) {
    return tl::unexpected(to_error(err, fmt::format("using GnuPG home {}", engine_home)));
  }
  // Offline: no CRL/OCSP or keyserver look-ups behind our back.
  context->setOffline(true);
  // Loopback: gpg-agent never pops up a pinentry on a server; the list key
  // has no passphrase, so nothing is ever asked.
  if (auto err = context->setPinentryMode(GpgME::Context::PinentryLoopback); err) {
    return tl::unexpected(to_error(err, "setting loopback pinentry"));
  }
  context->setArmor(true);
  return context;
}

util::Result<RawContext> make_raw_context(const std::string& engine_home) {
  gpgme_ctx_t raw = nullptr;
  if (gpgme_error_t err = gpgme_new(&raw); err != 0) {
    return tl::unexpected(to_error(err, "creating a GnuPG context"));
  }
  RawContext ctx(raw, gpgme_release);
  if (gpgme_error_t err =
          gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, engine_home.c_str());
      err != 0) {
    return tl::unexpected(to_error(err, fmt::format("using GnuPG home {}", engine_home)));
  }
  // The same settings as make_context, for the same reasons.
  gpgme_set_offline(raw, 1);
  if (gpgme_error_t err = gpgme_set_pinentry_mode(raw, GPGME_PINENTRY_MODE_LOOPBACK); err != 0) {
    return tl::unexpected(to_error(err, "setting loopback pinentry"));
  }
  gpgme_set_armor(raw, 1);
  return ctx;
}

util::Result<std::vector<GpgME::Key>> keys_from_data(const std::string& engine_home,
                                                     std::string_view key_data) {
  // gpgme++ 1.18 wraps keylist-from-data only as Data::toKeys, on a context
  // with the process's default home and no error reporting; so this one
  // operation uses the C API.
  auto ctx = make_raw_context(engine_home);
  if (!ctx) {
    return tl::unexpected(ctx.error());
  }
  gpgme_ctx_t raw = ctx->get();
  // gpg 2.2 with trust-model always (gpg.conf) never creates the trustdb, yet
  // its dry-run import of an expired or revoked key dies without one. Until
  // the home has a trustdb (the list key's creation makes one), let this
  // listing use the pgp model, which creates it; the model plays no part in
  // the expiry and revocation flags read here.
  if (!std::filesystem::exists(std::filesystem::path(engine_home) / "trustdb.gpg")) {
    if (gpgme_error_t err = gpgme_set_ctx_flag(raw, "trust-model", "pgp"); err != 0) {
      return tl::unexpected(to_error(err, "setting the trust model"));
    }
  }
  gpgme_data_t data_raw = nullptr;
  if (gpgme_error_t err =
          gpgme_data_new_from_mem(&data_raw, key_data.data(), key_data.size(), /*copy=*/0);
      err != 0) {
    return tl::unexpected(to_error(err, "reading the key"));
  }
  std::unique_ptr<gpgme_data, void (*)(gpgme_data_t)> data(data_raw, gpgme_data_release);

  // gpg runs an import in show-only, dry-run mode: it parses and judges the
  // keys without storing anything.
  std::vector<GpgME::Key> keys;
  gpgme_error_t err = gpgme_op_keylist_from_data_start(raw, data.get(), 0);
  while (err == 0) {
    gpgme_key_t key = nullptr;
    err = gpgme_op_keylist_next(raw, &key);
    if (err == 0) {
      keys.emplace_back(key, false); // takes over the reference
    }
  }
  gpgme_op_keylist_end(raw);
  // Data that is no key makes gpg's import fail: that is the caller's "not a
  // key". A missing engine or a resource shortage is ours, and may pass.
  if (gpgme_err_code(err) != GPG_ERR_EOF &&
      to_error(err, "").severity == util::Severity::transient) {
    return tl::unexpected(to_error(err, "reading the key"));
  }
  return keys;
}

util::Error to_error(gpgme_error_t error, std::string_view doing) {
  const gpg_err_code_t code = gpgme_err_code(error);
  return util::Error{severity_of(code), fmt::format("{}: {}", doing, gpgme_strerror(error))};
}

util::Error to_error(const GpgME::Error& error, std::string_view doing) {
  return to_error(error.encodedError(), doing);
}

} // namespace list
