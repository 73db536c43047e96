#include <list/mime/builder.hpp>
#include <list/mime/gmime_codec.hpp>
#include <list/mime/reader.hpp>

namespace list {

namespace {

class GmimeCodec final : public MessageCodec {
public:
  util::Result<ParsedPost> parse_post(std::string_view raw) override {
    return list::parse_post(raw);
  }
  util::Result<InnerPost> read_decrypted(std::string_view decrypted) override {
    return list::read_decrypted(decrypted);
  }
  util::Result<RequestBody> read_request_body(std::string_view content) override {
    return list::read_request_body(content);
  }
  util::Result<std::string> build_inner_entity(const MessageHeaders& protected_headers,
                                               std::string_view note,
                                               std::string_view content) override {
    return list::build_inner_entity(protected_headers, note, content);
  }
  util::Result<std::string> build_signed_entity(std::string_view signed_entity,
                                                std::string_view detached_signature,
                                                std::string_view micalg) override {
    return list::build_signed_entity(signed_entity, detached_signature, micalg);
  }
  util::Result<std::string> build_encrypted_message(const OutgoingHeaders& headers,
                                                    std::string_view ciphertext) override {
    return list::build_encrypted_message(headers, ciphertext);
  }
  util::Result<std::string> build_plain_signed_message(const OutgoingHeaders& headers,
                                                       std::string_view signed_entity) override {
    return list::build_plain_signed_message(headers, signed_entity);
  }
  util::Result<std::string> build_text_message(const OutgoingHeaders& headers,
                                               std::string_view text) override {
    return list::build_text_message(headers, text);
  }
  std::string build_text_entity(std::string_view text) override {
    return list::build_text_entity(text);
  }
};

} // namespace

std::unique_ptr<MessageCodec> make_gmime_codec() {
  return std::make_unique<GmimeCodec>();
}

} // namespace list
