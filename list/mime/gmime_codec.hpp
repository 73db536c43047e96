// list::MessageCodec on GMime: a thin adapter over list/mime's reader and
// builder functions, so the pipeline in list core can use them. Stateless
// and thread-safe (GMime must be initialised first, list/mime/init.hpp).
#pragma once

#include <list/message_codec.hpp>
#include <memory>

namespace list {

std::unique_ptr<MessageCodec> make_gmime_codec();

} // namespace list
