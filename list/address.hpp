// Mail addresses as the list layer sees them: validated and normalised
// (domain lowercased, local part kept), and split into list address parts.
#pragma once

#include <string>
#include <string_view>
#include <util/result.hpp>

namespace list {

/// Validates an addr-spec (dot-atom or quoted local part @ domain, RFC 5321
/// 4.1.2 and 4.5.3.1 lengths) and lowercases the domain.
util::Result<std::string> normalise_address(std::string_view address);

/// Case-insensitive comparison as used for user IDs and lookups.
bool same_address(std::string_view a, std::string_view b);

/// Lowercased whole address: list addresses are matched without case.
std::string fold_case(std::string_view address);

std::string_view local_part(std::string_view address);
std::string_view domain_part(std::string_view address);

} // namespace list
