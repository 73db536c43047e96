// Micro-benchmark of list::Sealer, in process on librnp (list/crypto/
// rnp_sealer) and on gpg (list/crypto/gpg_sealer): a 10 KB signed body
// sealed for N members with 1 and 2 threads, against the naive baseline
// (one `gpg --encrypt --sign -r FPR` process per member on a keyring of N
// keys) and encrypting by fingerprint in that keyring. Prints members/s and
// ratios. Failures print one line and exit 1. Not a ctest test.
//
//   seal_bench [--keys DIR] [--sample N] [SIZE...]     default sizes: 100 1000
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gpgme.h>
#include <list/crypto/gpg_context.hpp>
#include <list/crypto/gpg_sealer.hpp>
#include <list/crypto/rnp_sealer.hpp>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Key generation runs in this many gpg processes, each in its own home, so
// they do not serialise on one keybox lock.
constexpr int k_generators = 2;
constexpr size_t k_body_size = 10 * 1024;

struct Options {
  std::string keys_dir = "/tmp/lifeline-bench-keys";
  size_t sample = 200; // members timed for the process-per-member variants
  std::vector<size_t> sizes;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "seal_bench: %s\n", what.c_str());
  std::exit(1);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    fail("cannot write " + path);
  }
}

// Runs a program (no shell) with stdin from `in` and stdout to `out`
// ("/dev/null" for none); returns its exit status.
int spawn(const std::vector<std::string>& args, const std::string& in = "/dev/null",
          const std::string& out = "/dev/null") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  int status = -1;
  if (::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> gpg_args(const std::string& home, std::vector<std::string> rest) {
  std::vector<std::string> args{"gpg", "--homedir", home, "--batch", "--no-tty", "--yes"};
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

void private_dir(const std::string& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

// Splits binary OpenPGP key material into one blob per key (each starting at
// a public-key packet, tag 6).
std::vector<std::string> split_keys(const std::string& bytes) {
  std::vector<std::string> keys;
  size_t pos = 0;
  size_t key_start = 0;
  while (pos < bytes.size()) {
    const size_t packet_start = pos;
    const auto ctb = static_cast<unsigned char>(bytes[pos++]);
    if ((ctb & 0x80) == 0) {
      fail("export is not binary OpenPGP");
    }
    unsigned tag = 0;
    size_t length = 0;
    auto byte = [&]() -> size_t { return static_cast<unsigned char>(bytes.at(pos++)); };
    if ((ctb & 0x40) != 0) {
      tag = ctb & 0x3f;
      const size_t first = byte();
      if (first < 192) {
        length = first;
      } else if (first < 224) {
        length = ((first - 192) << 8) + byte() + 192;
      } else if (first == 255) {
        length = (byte() << 24) | (byte() << 16) | (byte() << 8) | byte();
      } else {
        fail("partial length in a key export");
      }
    } else {
      tag = (ctb >> 2) & 0x0f;
      const unsigned type = ctb & 3;
      const int n = type == 0 ? 1 : type == 1 ? 2 : type == 2 ? 4 : 0;
      if (n == 0) {
        fail("indeterminate length in a key export");
      }
      for (int i = 0; i < n; ++i) {
        length = (length << 8) | byte();
      }
    }
    if (tag == 6 && packet_start != 0) {
      keys.push_back(bytes.substr(key_start, packet_start - key_start));
      key_start = packet_start;
    }
    pos += length;
  }
  if (!bytes.empty()) {
    keys.push_back(bytes.substr(key_start));
  }
  return keys;
}

std::vector<std::string> fingerprints(const std::string& home) {
  const std::string listing_path = home + "/../listing.txt";
  spawn(gpg_args(home, {"--with-colons", "--list-keys"}), "/dev/null", listing_path);
  std::vector<std::string> fprs;
  std::istringstream lines(read_file(listing_path));
  bool want = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("pub:", 0) == 0) {
      want = true;
    } else if (want && line.rfind("fpr:", 0) == 0) {
      fprs.push_back(line.substr(12, 40));
      want = false;
    }
  }
  return fprs;
}

struct Member {
  std::string fingerprint;
  std::string key_data; // binary public key
};

// The generator homes under keys_dir, topped up to `count` keys in all.
std::vector<Member> member_keys(const Options& options, size_t count) {
  std::vector<std::thread> generators;
  std::vector<std::string> homes;
  const auto start = Clock::now();
  size_t generated = 0;
  for (int g = 0; g < k_generators; ++g) {
    const std::string home = fmt::format("{}/gen{}/gnupg", options.keys_dir, g);
    private_dir(home);
    homes.push_back(home);
    const size_t want = (count + k_generators - 1 - static_cast<size_t>(g)) / k_generators;
    const size_t have = fingerprints(home).size();
    if (have >= want) {
      continue;
    }
    std::string params = "%no-protection\n";
    for (size_t i = have; i < want; ++i) {
      params += fmt::format("Key-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\n"
                            "Subkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
                            "Name-Real: Member {0}-{1}\nName-Email: m{0}-{1}@bench.example\n"
                            "Expire-Date: 0\n%commit\n",
                            g, i);
    }
    const std::string params_path = home + "/../params";
    write_file(params_path, params);
    generated += want - have;
    generators.emplace_back([home, params_path] {
      if (spawn(gpg_args(home, {"--gen-key", params_path})) != 0) {
        fail("key generation failed in " + home);
      }
    });
  }
  for (std::thread& thread : generators) {
    thread.join();
  }
  if (generated > 0) {
    const double took = seconds_since(start);
    std::printf("generated %zu cv25519 keys in %.1f s (%.1f ms/key, %d gpg processes)\n", generated,
                took, 1000 * took / static_cast<double>(generated), k_generators);
  }
  std::vector<std::vector<Member>> per_home;
  for (const std::string& home : homes) {
    const std::string export_path = home + "/../export.pgp";
    spawn(gpg_args(home, {"--export"}), "/dev/null", export_path);
    const auto keys = split_keys(read_file(export_path));
    const auto fprs = fingerprints(home);
    if (keys.size() != fprs.size()) {
      fail(fmt::format("{}: {} keys exported, {} listed", home, keys.size(), fprs.size()));
    }
    per_home.emplace_back();
    for (size_t i = 0; i < keys.size(); ++i) {
      per_home.back().push_back({fprs[i], keys[i]});
    }
  }
  // Interleaved, so that the first N members are the same whatever the
  // largest size of a run (the cached keyrings hold the first N).
  std::vector<Member> members;
  for (size_t i = 0;; ++i) {
    auto& from = per_home[i % per_home.size()];
    const size_t at = i / per_home.size();
    if (at >= from.size()) {
      break;
    }
    members.push_back(std::move(from[at]));
  }
  if (members.size() < count) {
    fail("not enough keys generated");
  }
  return members;
}

// A list home of `count` member keys plus the list key (member 0's secret
// stands in for it), as the baseline's gpg sees one: cached per size.
std::string keyring_home(const Options& options, const std::vector<Member>& members, size_t count) {
  const std::string home = fmt::format("{}/ring{}/gnupg", options.keys_dir, count);
  std::string wanted;
  for (size_t i = 0; i < count; ++i) {
    wanted += members[i].fingerprint + "\n";
  }
  const std::string members_path = home + "/../members.txt";
  if (fs::exists(home + "/pubring.kbx") && read_file(members_path) == wanted) {
    return home;
  }
  fs::remove_all(fs::path(home).parent_path());
  private_dir(home);
  write_file(home + "/gpg.conf", "trust-model always\nno-auto-key-retrieve\n");
  const auto start = Clock::now();
  std::string bundle;
  for (size_t i = 0; i < count; ++i) {
    bundle += members[i].key_data;
  }
  write_file(home + "/../pub.pgp", bundle);
  const std::string secret = home + "/../list-secret.pgp";
  const std::string gen0 = fmt::format("{}/gen0/gnupg", options.keys_dir);
  spawn(gpg_args(gen0, {"--export-secret-keys", members[0].fingerprint}), "/dev/null", secret);
  if (spawn(gpg_args(home, {"--import", home + "/../pub.pgp"})) != 0 ||
      spawn(gpg_args(home, {"--import", secret})) != 0) {
    fail("cannot import keys into " + home);
  }
  write_file(members_path, wanted);
  std::printf("keyring of %zu keys imported in %.1f s\n", count, seconds_since(start));
  return home;
}

std::string signed_body() {
  std::string body = "Content-Type: multipart/signed; micalg=pgp-sha512;\r\n"
                     " protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n\r\n"
                     "--sig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  while (body.size() < k_body_size - 400) {
    body += "The meeting moves to Thursday, same place, 19:00. Bring the flyers.\r\n";
  }
  body += "\r\n--sig\r\nContent-Type: application/pgp-signature\r\n\r\n"
          "-----BEGIN PGP SIGNATURE-----\r\n\r\n";
  while (body.size() < k_body_size - 40) {
    body += "iHUEARYKAB0WIQTd61oA2GKRI5GWSv3RFW1bGCpkmwUCZkMJsQAKCRDRFW1bGCpk\r\n";
  }
  body += "-----END PGP SIGNATURE-----\r\n--sig--\r\n";
  return body;
}

using Sealers = std::vector<std::unique_ptr<list::Sealer>>;

// Resident memory now (not the peak), in MB.
double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1048576.0;
}

// `threads` gpg sealers sharing `work_dir`.
Sealers gpg_sealers(const std::string& work_dir, int threads) {
  Sealers sealers;
  for (int t = 0; t < threads; ++t) {
    auto sealer = list::make_gpg_sealer(work_dir);
    if (!sealer) {
      fail(sealer.error().message);
    }
    sealers.push_back(std::move(*sealer));
  }
  return sealers;
}

// `threads` rnp sealers, each with its own key cache.
Sealers rnp_sealers(int threads) {
  Sealers sealers;
  for (int t = 0; t < threads; ++t) {
    auto sealer = list::make_rnp_sealer();
    if (!sealer) {
      fail(sealer.error().message);
    }
    sealers.push_back(std::move(*sealer));
  }
  return sealers;
}

// Seals for members [0, count), one thread per sealer; returns members/s.
double run_sealers(Sealers& sealers, const std::vector<Member>& members, size_t count,
                   const std::string& body) {
  const int threads = static_cast<int>(sealers.size());
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < count; i += static_cast<size_t>(threads)) {
        auto sealed = sealers[static_cast<size_t>(t)]->seal(
            body, {members[i].fingerprint, members[i].key_data});
        if (!sealed || sealed->size() < body.size()) {
          fail("seal: " + (sealed ? std::string("short output") : sealed.error().message));
        }
      }
    });
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  return static_cast<double>(count) / seconds_since(start);
}

// The naive baseline: one gpg process per member, signing and encrypting.
double run_baseline(const std::string& home, const std::vector<Member>& members, size_t sample,
                    const std::string& body_path) {
  const auto start = Clock::now();
  for (size_t i = 0; i < sample; ++i) {
    const int rc = spawn(gpg_args(home, {"--armor", "--encrypt", "--sign", "-u",
                                         members[0].fingerprint, "-r", members[i].fingerprint}),
                         body_path);
    if (rc != 0) {
      fail("baseline gpg failed for " + members[i].fingerprint);
    }
  }
  return static_cast<double>(sample) / seconds_since(start);
}

// The alternative to key files: GPGME encrypting by fingerprint in the
// keyring of all members (gpg searches the keybox, which has no index).
double run_by_fingerprint(const std::string& home, const std::vector<Member>& members,
                          size_t sample, const std::string& body) {
  auto ctx = list::make_raw_context(home);
  if (!ctx) {
    fail(ctx.error().message);
  }
  const auto flags =
      static_cast<gpgme_encrypt_flags_t>(GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS);
  const auto start = Clock::now();
  for (size_t i = 0; i < sample; ++i) {
    gpgme_data_t plain = nullptr;
    gpgme_data_t cipher = nullptr;
    gpgme_data_new_from_mem(&plain, body.data(), body.size(), 0);
    gpgme_data_new(&cipher);
    const gpgme_error_t err = gpgme_op_encrypt_ext(
        ctx->get(), nullptr, members[i].fingerprint.c_str(), flags, plain, cipher);
    gpgme_data_release(plain);
    gpgme_data_release(cipher);
    if (err != 0) {
      fail(list::to_error(err, "encrypting by fingerprint").message);
    }
  }
  return static_cast<double>(sample) / seconds_since(start);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--keys" && i + 1 < argc) {
      options.keys_dir = argv[++i];
    } else if (arg == "--sample" && i + 1 < argc) {
      options.sample = std::stoul(argv[++i]);
    } else if (!arg.empty() && std::isdigit(static_cast<unsigned char>(arg[0])) != 0) {
      options.sizes.push_back(std::stoul(arg));
    } else {
      std::fprintf(stderr, "usage: seal_bench [--keys DIR] [--sample N] [SIZE...]\n");
      std::exit(2);
    }
  }
  if (options.sizes.empty()) {
    options.sizes = {100, 1000};
  }
  return options;
}

} // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  list::initialize_crypto();
  private_dir(options.keys_dir);
  const size_t largest = *std::max_element(options.sizes.begin(), options.sizes.end());
  const std::vector<Member> members = member_keys(options, largest);
  const std::string body = signed_body();
  const std::string run_dir = options.keys_dir + "/run";
  fs::remove_all(run_dir);
  private_dir(run_dir);
  const std::string body_path = run_dir + "/body";
  write_file(body_path, body);

  std::printf("\n%-8s %-38s %12s %10s\n", "members", "variant", "members/s", "ms/member");
  for (size_t size : options.sizes) {
    const std::string home = keyring_home(options, members, size);
    const size_t sample = std::min(options.sample, size);
    auto row = [&](const std::string& variant, double rate) {
      std::printf("%-8zu %-38s %12.0f %10.3f\n", size, variant.c_str(), rate, 1000.0 / rate);
      std::fflush(stdout);
    };
    // rnp: the first pass imports each key into the sealer's cache (cold),
    // the second is the steady state of a sealer that has seen the list.
    const double rss_before = rss_mb();
    Sealers rnp_one = rnp_sealers(1);
    row("rnp sealer, 1 thread, cold cache", run_sealers(rnp_one, members, size, body));
    const double rnp1 = run_sealers(rnp_one, members, size, body);
    row("rnp sealer, 1 thread", rnp1);
    // Rough (freed heap is reused): what one sealer's cache of `size` keys costs.
    std::printf("%-8zu rnp key cache: +%.1f MB resident for %zu keys\n", size,
                rss_mb() - rss_before, size);
    rnp_one.clear();
    Sealers rnp_two = rnp_sealers(2);
    row("rnp sealer, 2 threads, cold cache", run_sealers(rnp_two, members, size, body));
    const double rnp2 = run_sealers(rnp_two, members, size, body);
    row("rnp sealer, 2 threads", rnp2);
    rnp_two.clear();
    const std::string work = fmt::format("{}/sealer{}", run_dir, size);
    Sealers gpg_one = gpg_sealers(work, 1);
    const double cold = run_sealers(gpg_one, members, size, body);
    row("gpg sealer, 1 thread, cold key files", cold);
    const double one = run_sealers(gpg_one, members, size, body);
    row("gpg sealer, 1 thread", one);
    Sealers gpg_two = gpg_sealers(work, 2);
    const double two = run_sealers(gpg_two, members, size, body);
    row("gpg sealer, 2 threads", two);
    const double by_fpr = run_by_fingerprint(home, members, sample, body);
    row(fmt::format("by fingerprint in keyring ({})", sample), by_fpr);
    const double baseline = run_baseline(home, members, sample, body_path);
    row(fmt::format("baseline gpg -e -s per member ({})", sample), baseline);
    std::printf("%-8zu ratio to baseline: rnp sealer 1 thread %.1fx, 2 threads %.1fx; "
                "gpg sealer 1 thread %.1fx, 2 threads %.1fx\n",
                size, rnp1 / baseline, rnp2 / baseline, one / baseline, two / baseline);
    spawn({"gpgconf", "--homedir", home, "--kill", "all"});
  }
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  for (int g = 0; g < k_generators; ++g) {
    spawn({"gpgconf", "--homedir", fmt::format("{}/gen{}/gnupg", options.keys_dir, g), "--kill",
           "all"});
  }
  return 0;
}
