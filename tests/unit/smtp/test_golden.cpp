#include "fakes.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

// Golden transcripts: each golden/NAME.in is replayed into a Session through
// the test Driver and the transcript compared with golden/NAME.ref. The .in
// format is described in golden/README.md. UPDATE_GOLDEN=1 rewrites the .ref
// files for review with `git diff`.

using namespace smtp;

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// One input line: escapes decoded, CRLF appended unless it ends with "\c".
std::string decode_line(std::string_view line, const fs::path& file) {
  std::string out;
  bool crlf = true;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '\\' || i + 1 == line.size()) {
      out += line[i];
      continue;
    }
    char e = line[++i];
    if (e == 'r') {
      out += '\r';
    } else if (e == 'n') {
      out += '\n';
    } else if (e == '\\') {
      out += '\\';
    } else if (e == 'c' && i + 1 == line.size()) {
      crlf = false;
    } else if (e == 'x' && i + 2 < line.size() && hex_value(line[i + 1]) >= 0 &&
               hex_value(line[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(line[i + 1]) * 16 + hex_value(line[i + 2]));
      i += 2;
    } else {
      BOOST_FAIL("bad escape in " << file << ": " << line);
    }
  }
  if (crlf) {
    out += "\r\n";
  }
  return out;
}

/// A step of a golden script: bytes for one feed(), or a directive.
struct Step {
  enum class Kind { feed, fail_stores, timeout, shutdown } kind;
  std::string bytes;
};

struct Script {
  TlsPolicy tls = TlsPolicy::offered;
  Limits limits = smtp::test::test_limits();
  std::vector<Step> steps;
};

Script parse_script(const fs::path& file) {
  Script script;
  std::istringstream in(read_all(file));
  std::string line;
  std::string segment;
  auto flush = [&] {
    if (!segment.empty()) {
      script.steps.push_back({Step::Kind::feed, std::exchange(segment, {})});
    }
  };
  while (std::getline(in, line)) {
    if (line.rfind("@@", 0) != 0) {
      segment += decode_line(line, file);
      continue;
    }
    flush();
    std::string directive = line.substr(std::min<std::size_t>(line.size(), 3));
    if (directive.empty()) {
      continue; // a bare "@@" only ends the segment
    } else if (directive == "tls=unavailable") {
      script.tls = TlsPolicy::unavailable;
    } else if (directive == "tls=required") {
      script.tls = TlsPolicy::required;
    } else if (directive.rfind("max_message_size=", 0) == 0) {
      script.limits.max_message_size = std::stoul(directive.substr(17));
    } else if (directive.rfind("max_errors=", 0) == 0) {
      script.limits.max_errors = std::stoul(directive.substr(11));
    } else if (directive == "store=fail") {
      script.steps.push_back({Step::Kind::fail_stores, {}});
    } else if (directive == "timeout") {
      script.steps.push_back({Step::Kind::timeout, {}});
    } else if (directive == "shutdown") {
      script.steps.push_back({Step::Kind::shutdown, {}});
    } else {
      BOOST_FAIL("unknown directive in " << file << ": " << line);
    }
  }
  flush();
  return script;
}

/// Runs the script; with `bytewise` every feed is split into single bytes,
/// which must not change anything.
std::string run(const Script& script, bool bytewise) {
  smtp::test::Driver driver(script.tls, script.limits);
  for (const auto& step : script.steps) {
    switch (step.kind) {
    case Step::Kind::feed:
      if (bytewise) {
        for (char c : step.bytes) {
          driver.feed_part(std::string_view(&c, 1));
        }
        driver.complete_tls();
      } else {
        driver.feed(step.bytes);
      }
      break;
    case Step::Kind::fail_stores:
      driver.fail_stores(true);
      break;
    case Step::Kind::timeout:
      driver.abort(Reply::timeout);
      break;
    case Step::Kind::shutdown:
      driver.abort(Reply::shutting_down);
      break;
    }
  }
  return driver.transcript();
}

constexpr std::string_view k_plaintext_after_starttls = "Error: pipelined input after STARTTLS";

const std::string k_refusal_transcript =
    "421 4.7.0 mx.example.org Error: pipelined input after STARTTLS\n[close]\n";

std::vector<fs::path> golden_inputs() {
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(LIFELINE_SMTP_GOLDEN_DIR)) {
    if (entry.path().extension() == ".in") {
      inputs.push_back(entry.path());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

} // namespace

BOOST_AUTO_TEST_SUITE(golden)

BOOST_AUTO_TEST_CASE(transcripts_match_ref_files) {
  const char* update = std::getenv("UPDATE_GOLDEN");
  bool updating = update != nullptr && std::string_view(update) == "1";
  auto inputs = golden_inputs();
  BOOST_TEST(inputs.size() >= 10u);
  for (const auto& input : inputs) {
    BOOST_TEST_CONTEXT(input.filename()) {
      auto script = parse_script(input);
      auto transcript = run(script, false);
      auto bytewise = run(script, true);
      if (transcript.find(k_plaintext_after_starttls) == std::string::npos) {
        BOOST_TEST(bytewise == transcript, "byte-by-byte feeding changed the transcript");
      } else {
        // The one place where the split matters: plaintext in the same read
        // as STARTTLS is refused instead of the 220, plaintext in a later read
        // after it. Both must end the session the same way.
        BOOST_TEST(bytewise.ends_with(k_refusal_transcript),
                   "plaintext after STARTTLS not refused");
      }
      auto ref = fs::path(input).replace_extension(".ref");
      if (updating) {
        std::ofstream(ref, std::ios::binary) << transcript;
        continue;
      }
      BOOST_REQUIRE_MESSAGE(fs::exists(ref), ref << " missing; run with UPDATE_GOLDEN=1");
      BOOST_TEST(transcript == read_all(ref));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
