#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <server/maildir_transport.hpp>
#include <unistd.h>
#include <util/fd.hpp>

namespace server {

namespace {

/// A recipient as a directory name: no path separators, no leading dot.
std::string folder_name(std::string_view recipient) {
  std::string out;
  for (char c : recipient) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '@' || c == '.' || c == '-' || c == '_' || c == '+';
    out.push_back(safe ? c : '_');
  }
  if (out.empty() || out.front() == '.') {
    out.insert(out.begin(), '_');
  }
  return out;
}

} // namespace

MaildirTransport::MaildirTransport(std::string root) : m_root(std::move(root)) {}

std::vector<smtp::RecipientOutcome> MaildirTransport::deliver(const smtp::Outgoing& message) {
  static std::atomic<unsigned long> sequence{0};
  std::vector<smtp::RecipientOutcome> outcomes;
  for (const std::string& recipient : message.recipients) {
    const std::string box = fmt::format("{}/{}", m_root, folder_name(recipient));
    // Maildir's unique name: time.pid_sequence.host; tmp/ then rename to new/.
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const std::string name = fmt::format("{}.P{}Q{}.lifeline", micros, ::getpid(), ++sequence);
    smtp::RecipientOutcome outcome{
        recipient, smtp::Outcome::delivered, smtp::Stage::data,
        smtp::ServerReply{250, "2.0.0", "written to maildir"}
    };
    util::Result<void> done = util::make_directories(box + "/tmp", 0700);
    if (done) {
      done = util::make_directories(box + "/cur", 0700);
    }
    if (done) {
      done = util::make_directories(box + "/new", 0700);
    }
    if (done) {
      done = util::write_file_durably(box + "/tmp/" + name,
                                      "Return-Path: <" + message.mail_from + ">\r\n" + message.data,
                                      0600);
    }
    if (done && std::rename((box + "/tmp/" + name).c_str(), (box + "/new/" + name).c_str()) != 0) {
      done = util::transient("cannot move the message into new/");
    }
    if (!done) {
      outcome.outcome = smtp::Outcome::transient;
      outcome.stage = smtp::Stage::connect;
      outcome.reply = smtp::ServerReply{0, {}, done.error().message};
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

} // namespace server
