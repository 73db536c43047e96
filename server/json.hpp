// Minimal JSON text output for the CLI's --json and the ready-file.
#pragma once

#include <string>
#include <string_view>

namespace server {

/// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

} // namespace server
