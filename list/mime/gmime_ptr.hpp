// Move-only owners for GMime and GLib objects, so every object list/mime
// creates is released on every path. Internal to list/mime: public headers
// of this library never name GMime types. No error reporting: a null pointer
// is a valid empty owner.
#pragma once

#include <glib.h>
#include <gmime/gmime.h>
#include <memory>
#include <string>

namespace list::mime_detail {

struct GObjectUnref {
  void operator()(void* object) const { g_object_unref(object); }
};
struct GFree {
  void operator()(void* memory) const { g_free(memory); }
};
struct ParserOptionsFree {
  void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
struct FormatOptionsFree {
  void operator()(GMimeFormatOptions* options) const { g_mime_format_options_free(options); }
};
struct ReferencesFree {
  void operator()(GMimeReferences* refs) const { g_mime_references_free(refs); }
};

/// A GObject (GMimeObject, GMimeStream, InternetAddressList, ...) owned by one
/// reference; take objects GMime returns as "transfer full", never borrowed ones.
template <class T> using GObjectPtr = std::unique_ptr<T, GObjectUnref>;
/// A g_malloc'd string GMime returned as "transfer full".
using GCharPtr = std::unique_ptr<char, GFree>;
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;
using FormatOptionsPtr = std::unique_ptr<GMimeFormatOptions, FormatOptionsFree>;
using ReferencesPtr = std::unique_ptr<GMimeReferences, ReferencesFree>;

/// The owned string's text ("" for null).
inline std::string take_string(GCharPtr text) {
  return text ? std::string(text.get()) : std::string();
}

} // namespace list::mime_detail
