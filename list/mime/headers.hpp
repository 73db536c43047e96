// Header policy for the messages Lifeline sends: which headers of a sender's
// client never travel on, how values are made safe (no CR/LF can start a new
// field) and encoded (RFC 2047, folded, CRLF). Structured values that cannot
// be made safe (addresses, message IDs, URIs) are refused as util::Errors.
#pragma once

#include <list/post.hpp>
#include <span>
#include <string>
#include <string_view>
#include <util/result.hpp>
#include <vector>

namespace list {

/// Headers a sender's client adds that identify it or its network, or ask
/// members' clients for receipts. Outgoing messages are built from scratch,
/// so these are never copied; the kept content entity is stripped of them.
std::span<const std::string_view> client_header_names();

/// True for the names above and the X-MS-* family (Outlook/Exchange).
bool is_client_header(std::string_view name);

/// Which headers of a kept content entity travel with it: Content-* fields
/// only. Subject, From and the like are rebuilt by the list (protected
/// headers); everything else is client metadata.
bool keeps_in_content(std::string_view name);

/// The value with every control character (CR, LF, NUL, ...) turned into a
/// space, runs of white space collapsed, invalid UTF-8 replaced: no value
/// can end a field early or smuggle a second one.
std::string sanitize_header_text(std::string_view value);

/// "Name: value\r\n" for unstructured text (Subject): sanitized, RFC 2047
/// encoded when not ASCII, folded at 78 columns.
std::string unstructured_field(std::string_view name, std::string_view value);

/// "Name: mailbox, ...\r\n" (From, To, Reply-To): display names RFC 2047
/// encoded; an address that is not a valid addr-spec is refused.
util::Result<std::string> mailbox_field(std::string_view name, std::span<const Mailbox> mailboxes);

/// "Name: <id> <id>\r\n" (Message-ID, In-Reply-To, References), folded
/// between IDs; an ID with white space, controls, angle brackets or
/// non-ASCII is refused.
util::Result<std::string> message_id_field(std::string_view name, std::span<const std::string> ids);

/// "Name: <uri>, <uri>\r\n" (RFC 2369 list fields), folded between URIs; a
/// URI with white space, controls, angle brackets, commas or non-ASCII is
/// refused.
util::Result<std::string> uri_field(std::string_view name, std::span<const std::string> uris);

/// "Name: item item\r\n" folded between items (each sanitized, see
/// sanitize_header_text); for parameter lists the caller has validated.
std::string folded_field(std::string_view name, std::span<const std::string> items);

/// Decodes an unstructured header value (RFC 2047, unknown charsets through
/// fallbacks) to valid UTF-8, unfolded.
std::string decode_header_text(std::string_view raw);

} // namespace list
