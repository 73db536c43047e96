#include <array>
#include <fmt/format.h>
#include <server/config_table.hpp>

namespace server {

namespace {

constexpr std::int64_t k_kib = 1024;
constexpr std::int64_t k_mib = 1024 * k_kib;
constexpr std::int64_t k_gib = 1024 * k_mib;

using K = ConfigKind;

// clang-format off
constexpr std::array k_specs{
  ConfigSpec{"server", "data_dir",  K::path,   "/var/lib/lifeline", 0, 0, "", "database, list keyrings and spool live here"},
  ConfigSpec{"server", "hostname",  K::text,   "",                  0, 0, "", "EHLO name and Message-ID domain; empty: the machine's host name"},
  ConfigSpec{"server", "pipeline_workers", K::number, "0",          0, 256, "", "pipeline threads, and sealing threads; 0: one per core"},
  ConfigSpec{"server", "pipeline_batch", K::number, "100",          1, 10000, "", "member copies queued per transaction (the resume point after a crash)"},
  ConfigSpec{"server", "pipeline_lease", K::seconds, "300",         5, 86400, "", "how long a worker holds a message before another may take it over"},
  ConfigSpec{"server", "sealer",    K::choice, "rnp",               0, 0, "rnp|gpg", "how each member's copy is encrypted: rnp: in process (librnp); gpg: one gpg process per copy"},
  ConfigSpec{"smtp", "listen",      K::endpoint, "127.0.0.1:2525",  0, 0, "", "where SMTP intake listens; port 0 picks a free port"},
  ConfigSpec{"smtp", "max_message_size", K::size, "25M", 1 * k_kib, 1 * k_gib, "", "largest message accepted (SIZE, checked again during DATA)"},
  ConfigSpec{"smtp", "tls_cert",    K::path,   "",                  0, 0, "", "PEM certificate chain for STARTTLS; empty: no STARTTLS"},
  ConfigSpec{"smtp", "tls_key",     K::path,   "",                  0, 0, "", "PEM private key for tls_cert"},
  ConfigSpec{"smtp", "require_tls", K::choice, "no",                0, 0, "yes|no", "refuse mail until the client has done STARTTLS"},
  ConfigSpec{"smtp", "max_recipients", K::number, "100",            1, 10000, "", "recipients per transaction (RFC 5321 4.5.3.1.8: at least 100)"},
  ConfigSpec{"smtp", "command_timeout", K::seconds, "300",          10, 3600, "", "idle time allowed between commands"},
  ConfigSpec{"smtp", "data_timeout", K::seconds, "600",             10, 7200, "", "time allowed for the whole DATA phase"},
  ConfigSpec{"smtp", "max_sessions", K::number, "100",              1, 10000, "", "concurrent SMTP sessions"},
  ConfigSpec{"smtp", "max_sessions_per_ip", K::number, "10",        1, 10000, "", "concurrent SMTP sessions from one client address"},
  ConfigSpec{"smtp", "shutdown_grace", K::seconds, "10",           0, 600, "", "on SIGTERM, how long transactions inside DATA may take to finish"},
  ConfigSpec{"smtp", "max_errors",  K::number, "10",                1, 1000, "", "errors in one session before 421 and close"},
  ConfigSpec{"relay", "host",       K::text,   "127.0.0.1",         0, 0, "", "the relay that delivers outgoing mail"},
  ConfigSpec{"relay", "port",       K::number, "25",                1, 65535, "", "the relay's port"},
  ConfigSpec{"relay", "starttls",   K::choice, "auto",              0, 0, "auto|required|off", "STARTTLS to the relay: when offered; always, verified; never"},
  ConfigSpec{"relay", "username",   K::text,   "",                  0, 0, "", "AUTH user name; empty: no AUTH"},
  ConfigSpec{"relay", "password_file", K::path, "",                 0, 0, "", "file holding the AUTH password (not the password itself)"},
  ConfigSpec{"relay", "tls",        K::choice, "starttls",          0, 0, "starttls|implicit", "starttls: as `starttls` says; implicit: TLS from the first byte (port 465), certificate verified"},
  ConfigSpec{"relay", "ca_file",    K::path,   "",                  0, 0, "", "PEM CAs to verify the relay's certificate with; empty: the system's CAs"},
  ConfigSpec{"relay", "mode",       K::choice, "smtp",              0, 0, "smtp|maildir", "smtp: deliver through the relay; maildir: write each copy into `maildir` (development, demo)"},
  ConfigSpec{"relay", "maildir",    K::path,   "",                  0, 0, "", "with mode = maildir: copies go to PATH/RECIPIENT/new/"},
  ConfigSpec{"relay", "connections", K::number, "4",                1, 64, "", "delivery workers, each with its own connection to the relay"},
  ConfigSpec{"relay", "messages_per_connection", K::number, "100",  1, 100000, "", "transactions on one connection before it is renewed"},
  ConfigSpec{"relay", "connect_timeout", K::seconds, "30",          1, 600, "", "time to connect to the relay"},
  ConfigSpec{"relay", "command_timeout", K::seconds, "300",         1, 3600, "", "time to wait for the greeting, EHLO and each command's reply"},
  ConfigSpec{"relay", "data_timeout", K::seconds, "600",            1, 7200, "", "time to wait for the reply after the message's final dot"},
  ConfigSpec{"relay", "retry_initial", K::seconds, "300",           1, 86400, "", "wait after a copy's first temporary failure; doubles each time"},
  ConfigSpec{"relay", "retry_max",  K::seconds, "3600",             1, 604800, "", "longest wait between attempts"},
  ConfigSpec{"relay", "queue_lifetime", K::seconds, "432000",       60, 8640000, "", "a copy still not delivered after this fails"},
  ConfigSpec{"relay", "shutdown_grace", K::seconds, "30",           0, 600, "", "on SIGTERM, how long transactions in flight may take to finish"},
  ConfigSpec{"bounce", "score_threshold", K::number, "5",           1, 1000, "", "bounce score (at most +1 a day) at which a member's delivery is disabled"},
  ConfigSpec{"bounce", "stale_after", K::seconds, "604800",         86400, 31536000, "", "a score resets when the last bounce is older than this"},
  ConfigSpec{"bounce", "warnings",  K::number, "3",                 0, 100, "", "warnings to a disabled member before removal"},
  ConfigSpec{"bounce", "warning_interval", K::seconds, "604800",    3600, 31536000, "", "time between warnings, and from the last warning to removal"},
  ConfigSpec{"bounce", "tick_interval", K::seconds, "3600",         1, 86400, "", "how often warnings, removals and the daily failed-delivery summary are looked at"},
  ConfigSpec{"web", "listen",       K::endpoint, "127.0.0.1:8080",  0, 0, "", "where the web panel listens; port 0 picks a free port"},
  ConfigSpec{"web", "base_url",     K::text,   "http://127.0.0.1:8080", 0, 0, "", "public URL of the web panel, used in links in mail"},
  ConfigSpec{"log", "level",        K::choice, "info",              0, 0, "error|warning|info|debug", "least severe events logged"},
};
// clang-format on

const char* kind_name(ConfigKind kind) {
  switch (kind) {
  case K::text:
    return "text";
  case K::path:
    return "path";
  case K::endpoint:
    return "host:port";
  case K::number:
    return "number";
  case K::size:
    return "size";
  case K::seconds:
    return "seconds";
  case K::choice:
    return "choice";
  }
  return "text";
}

std::string bounds(const ConfigSpec& spec) {
  switch (spec.kind) {
  case K::number:
  case K::seconds:
    return fmt::format("{} to {}", spec.min, spec.max);
  case K::size:
    return fmt::format("{} to {} bytes", spec.min, spec.max);
  case K::choice:
    return std::string(spec.choices);
  default:
    return "";
  }
}

} // namespace

std::span<const ConfigSpec> config_specs() {
  return k_specs;
}

const ConfigSpec* find_config_spec(std::string_view section, std::string_view name) {
  for (const ConfigSpec& spec : k_specs) {
    if (spec.section == section && spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::string config_reference_markdown() {
  std::string out = "| section | key | kind | default | allowed | meaning |\n"
                    "|---|---|---|---|---|---|\n";
  for (const ConfigSpec& spec : k_specs) {
    out += fmt::format("| [{}] | `{}` | {} | `{}` | {} | {} |\n", spec.section, spec.name,
                       kind_name(spec.kind), spec.default_value, bounds(spec), spec.description);
  }
  return out;
}

} // namespace server
