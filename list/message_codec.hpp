// The MIME operations the pipeline needs, as an interface in list core so the
// core never links GMime: reading inbound posts and decrypted payloads, and
// building the messages the list sends. Implemented by list/mime/gmime_codec.
// Errors are util::Results (permanent: the input cannot be used).
#pragma once

#include <list/post.hpp>
#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

class MessageCodec {
public:
  virtual ~MessageCodec() = default;
  virtual util::Result<ParsedPost> parse_post(std::string_view raw) = 0;
  virtual util::Result<InnerPost> read_decrypted(std::string_view decrypted) = 0;
  virtual util::Result<RequestBody> read_request_body(std::string_view content) = 0;
  virtual util::Result<std::string> build_inner_entity(const MessageHeaders& protected_headers,
                                                       std::string_view note,
                                                       std::string_view content) = 0;
  virtual util::Result<std::string> build_signed_entity(std::string_view signed_entity,
                                                        std::string_view detached_signature,
                                                        std::string_view micalg) = 0;
  virtual util::Result<std::string> build_encrypted_message(const OutgoingHeaders& headers,
                                                            std::string_view ciphertext) = 0;
  virtual util::Result<std::string> build_plain_signed_message(const OutgoingHeaders& headers,
                                                               std::string_view signed_entity) = 0;
  virtual util::Result<std::string> build_text_message(const OutgoingHeaders& headers,
                                                       std::string_view text) = 0;
  virtual std::string build_text_entity(std::string_view text) = 0;
};

} // namespace list
