// The one place that makes GPGME contexts: each is bound to one GnuPG home,
// offline, with loopback pinentry and armored output (gpgme++, or the C API
// where gpgme++ lacks an operation). GPGME failures become util::Errors through
// to_error(), the only mapping of GPG_ERR_* codes. A context is used by one
// thread at a time and never shared between threads.
#pragma once

#include <gpgme++/context.h>
#include <gpgme++/error.h>
#include <gpgme++/key.h>
#include <gpgme.h>
#include <memory>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

/// Initialises GPGME for the process. Call once from main before any thread
/// starts; every other function here assumes it ran.
void initialize_crypto();

/// The factory: a context on `engine_home` (the path prepare_gnupg_home
/// returned), offline, loopback pinentry, armor on. Create one per call or
/// per worker thread (the sealing pool keeps one per worker); never share one.
util::Result<std::unique_ptr<GpgME::Context>> make_context(const std::string& engine_home);

/// A C-API context owned by a unique_ptr (gpgme_release on scope exit).
using RawContext = std::unique_ptr<gpgme_context, void (*)(gpgme_ctx_t)>;

/// The factory for the C API, set up exactly as make_context does. For the
/// operations gpgme++ 1.18 does not wrap (encryption to a recipient key file,
/// key listing from data); everything else uses make_context.
util::Result<RawContext> make_raw_context(const std::string& engine_home);

/// The keys in `key_data`, as GnuPG reads and judges them (expiry,
/// revocation), without storing anything in `engine_home`. Data that holds no
/// key yields an empty vector; only GnuPG's own failures are errors.
util::Result<std::vector<GpgME::Key>> keys_from_data(const std::string& engine_home,
                                                     std::string_view key_data);

/// Maps a GPGME error to a project error: "DOING: GnuPG's text". Busy,
/// resource and agent failures are transient; bad data and bad keys permanent.
util::Error to_error(const GpgME::Error& error, std::string_view doing);
util::Error to_error(gpgme_error_t error, std::string_view doing);

} // namespace list
