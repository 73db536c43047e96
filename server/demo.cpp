#include <array>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <list/address.hpp>
#include <list/crypto/gpg_home.hpp>
#include <list/crypto/gpg_keyring.hpp>
#include <ostream>
#include <server/cli.hpp>
#include <server/context.hpp>
#include <server/daemon.hpp>
#include <server/demo.hpp>
#include <server/log.hpp>
#include <sstream>
#include <util/fd.hpp>

namespace server {

namespace {

constexpr std::string_view k_list = "demo@lists.lifeline.test";

struct DemoMember {
  std::string_view name;
  std::string_view email;
  std::string_view role;
};
constexpr std::array k_members{
    DemoMember{"Alice", "alice@lifeline.test", "admin" },
    DemoMember{"Bob",   "bob@lifeline.test",   "member"},
    DemoMember{"Carol", "carol@lifeline.test", "member"},
};

std::string make_demo_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-demo-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Fatal(fmt::format("cannot create a demo directory under {}",
                            std::filesystem::temp_directory_path().string()));
  }
  return pattern;
}

/// Runs one CLI command in-process against the demo's config; Fatal if it fails.
void run_step(const std::string& config_path, std::initializer_list<std::string> words) {
  std::vector<std::string> args{"lifeline", "--config", config_path};
  args.insert(args.end(), words);
  std::vector<const char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(arg.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  if (run_cli(static_cast<int>(argv.size()), argv.data(), out, err) != 0) {
    throw Fatal(fmt::format("demo setup failed: {}", err.str()));
  }
}

void set_up(const std::string& dir, const std::string& config_path, const Config& base) {
  Config config = base;
  config.set("server", "data_dir", dir + "/data");
  config.set("server", "hostname", "localhost");
  // Copies land in DIR/outbox/RECIPIENT/new/ instead of going to a relay.
  config.set("relay", "mode", "maildir");
  config.set("relay", "maildir", dir + "/outbox");
  if (auto written = util::write_file_durably(config_path, config.to_ini(), 0600); !written) {
    throw Fatal(written.error().message);
  }
  run_step(config_path, {"list", "create", std::string(k_list), "--name", "Demo"});
  for (const DemoMember& member : k_members) {
    // Each member's secret key stays in its own GnuPG home in the demo dir,
    // so a newcomer can decrypt what the list sends them.
    const std::string member_dir =
        fmt::format("{}/members/{}", dir, list::local_part(member.email));
    const std::string home = member_dir + "/gnupg";
    auto keyring = list::open_gpg_keyring(home);
    auto fingerprint =
        list::create_personal_key(home, std::string(member.name), std::string(member.email));
    if (!fingerprint) {
      throw Fatal(fmt::format("demo key for {}: {}", member.email, fingerprint.error().message));
    }
    auto armored = keyring->export_public_key(*fingerprint);
    if (!armored) {
      throw Fatal(armored.error().message);
    }
    const std::string key_file = member_dir + "/public.asc";
    if (auto written = util::write_file_durably(key_file, *armored, 0644); !written) {
      throw Fatal(written.error().message);
    }
    // The member's agent served only the key generation: none outlives setup.
    list::stop_gpg_agent(home);
    run_step(config_path, {"member", "add", std::string(k_list), std::string(member.email), "--key",
                           key_file, "--role", std::string(member.role)});
  }
}

} // namespace

void run_demo(Context& context, const std::optional<std::string>& dir_option,
              const std::optional<std::string>& ready_file, const sigset_t& stop_signals) {
  const std::string dir = dir_option ? *dir_option : make_demo_dir();
  if (auto made = util::make_directories(dir, 0700); !made) {
    throw Fatal(made.error().message);
  }
  const std::string config_path = dir + "/lifeline.conf";
  const bool fresh = !std::filesystem::exists(config_path);
  if (fresh) {
    set_up(dir, config_path, context.config());
  }
  std::ostringstream ignored;
  Context demo_context(config_path, ignored, context.err());
  Daemon daemon(demo_context.config(), demo_context.store());
  const ListeningPorts ports = daemon.start();
  if (ready_file) {
    write_ready_file(*ready_file, ports);
  }
  // The hints name this very binary: a newcomer has no `lifeline` on PATH.
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const std::string bin = fmt::format("{} --config {}", ec ? "lifeline" : self, config_path);
  std::ostream& out = context.out();
  out << fmt::format(
      "Lifeline demo {} in {}\n"
      "  list:    {} (members alice, bob, carol @lifeline.test; their keys in {}/members)\n"
      "  SMTP:    127.0.0.1:{}    web: http://127.0.0.1:{}/\n"
      "Try:\n"
      "  {} list show {}\n"
      "  {} member list {}\n"
      "  swaks -4 --server 127.0.0.1:{} --to {} --from alice@lifeline.test\n"
      "then each member's encrypted copy is in {}/outbox/MEMBER/new/; read bob's with\n"
      "  gpg --homedir {}/members/bob/gnupg --decrypt FILE\n"
      "Stop with Ctrl-C.\n",
      fresh ? "created" : "resumed", dir, k_list, dir, ports.smtp, ports.web, bin, k_list, bin,
      k_list, ports.smtp, k_list, dir, dir);
  out.flush();
  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
  }
  log(LogLevel::info, "lifeline stopping signal={}", signal);
  daemon.stop();
}

} // namespace server
