// libFuzzer target for smtp::Session::feed: arbitrary bytes, split into
// arbitrary reads, must never crash, never emit a malformed reply, never store
// a message with a bare CR or LF (SMTP smuggling) and never depend on how the
// bytes were split. Input: byte 0 = options, byte 1 = read size, rest = client.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <smtp/session.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace {

class Recipients : public smtp::RecipientCheck {
public:
  smtp::RecipientVerdict check(std::string_view address) override {
    if (address.starts_with("list")) {
      return smtp::RecipientVerdict::accept;
    }
    return address.starts_with("temp") ? smtp::RecipientVerdict::unavailable
                                       : smtp::RecipientVerdict::unknown;
  }
};

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

/// Only CRLF pairs: no CR without LF after it, no LF without CR before it.
bool only_crlf(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && (i + 1 == bytes.size() || bytes[i + 1] != '\n')) {
      return false;
    }
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) {
      return false;
    }
  }
  return true;
}

struct Run {
  std::string transcript;
  bool saw_tls = false;
};

Run run(std::uint8_t flags, std::size_t read_size, std::string_view input) {
  smtp::Limits limits;
  limits.command_line_accept = 300;
  limits.text_line = 200;
  limits.max_message_size = 2000;
  limits.max_recipients = 5;
  Recipients recipients;
  auto tls = static_cast<smtp::TlsPolicy>(flags % 3);
  smtp::Session session(limits, {"mx.fuzz", "192.0.2.7", "F1", tls, [] { return std::time_t{0}; }},
                        recipients);
  Run result;
  bool closed = false;
  bool tls_pending = false;
  int stored = 0;
  auto handle = [&](smtp::Actions actions) {
    for (std::size_t i = 0; i < actions.size(); ++i) {
      require(!closed); // nothing may follow Close
      auto action = std::move(actions[i]);
      if (auto* send = std::get_if<smtp::SendReply>(&action)) {
        const auto& bytes = send->bytes;
        require(bytes.size() >= 5 && bytes.ends_with("\r\n") && only_crlf(bytes));
        require(bytes[0] >= '2' && bytes[0] <= '5');
        result.transcript += bytes;
      } else if (auto* store = std::get_if<smtp::StoreMessage>(&action)) {
        require(only_crlf(store->data));
        require(store->data.size() <= limits.max_message_size + 1024);
        require(!store->envelope.rcpt_to.empty() &&
                store->envelope.rcpt_to.size() <= limits.max_recipients);
        result.transcript += "[store]";
        bool fail = (flags & 0x08) != 0 && (stored++ % 2) == 1;
        auto more = session.stored(fail ? util::Result<std::string>(util::transient("x"))
                                        : util::Result<std::string>("Q"));
        actions.insert(actions.end(), more.begin(), more.end());
      } else if (std::holds_alternative<smtp::StartTls>(action)) {
        result.saw_tls = true;
        tls_pending = true;
      } else if (std::holds_alternative<smtp::Close>(action)) {
        closed = true;
      }
    }
  };
  handle(session.open());
  for (std::size_t at = 0; at < input.size(); at += read_size) {
    handle(session.feed(input.substr(at, read_size)));
    if (tls_pending && session.phase() == smtp::Phase::starting_tls) {
      tls_pending = false;
      handle(session.tls_started());
    }
  }
  if ((flags & 0x04) != 0) {
    handle(session.abort(smtp::Reply::timeout));
  }
  return result;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  std::uint8_t flags = data[0];
  std::size_t read_size = 1 + data[1] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  auto whole = run(flags, input.size() + 1, input);
  auto split = run(flags, read_size, input);
  // How reads split the stream must not matter, except where it decides
  // whether plaintext was buffered behind STARTTLS (refused either way).
  if (!whole.saw_tls && !split.saw_tls && whole.transcript != split.transcript) {
    std::fprintf(stderr, "transcripts differ\n--- whole read:\n%s\n--- reads of %zu:\n%s\n",
                 whole.transcript.c_str(), read_size, split.transcript.c_str());
    std::abort();
  }
  return 0;
}
