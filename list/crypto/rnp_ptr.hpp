// Move-only owners for librnp's C handles (ffi, input, output, encrypt op,
// key handle) and for the strings it hands out, so every exit path frees
// them. Construction cannot fail; the rnp calls that fill them report errors.
#pragma once

#include <cstdint>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>
#include <string_view>
#include <utility>

namespace list::rnp {

/// Owns one rnp handle `T`, released with `Destroy`. Fill it through out().
template <class T, rnp_result_t (*Destroy)(T)> class Handle {
public:
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : m_raw(std::exchange(other.m_raw, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      m_raw = std::exchange(other.m_raw, nullptr);
    }
    return *this;
  }
  ~Handle() { reset(); }

  T get() const { return m_raw; }
  explicit operator bool() const { return m_raw != nullptr; }
  /// For rnp's `T*` out-parameters: releases what is held first.
  T* out() {
    reset();
    return &m_raw;
  }
  void reset() {
    if (m_raw != nullptr) {
      Destroy(m_raw);
      m_raw = nullptr;
    }
  }

private:
  T m_raw = nullptr;
};

using Ffi = Handle<rnp_ffi_t, rnp_ffi_destroy>;
using Input = Handle<rnp_input_t, rnp_input_destroy>;
using Output = Handle<rnp_output_t, rnp_output_destroy>;
using EncryptOp = Handle<rnp_op_encrypt_t, rnp_op_encrypt_destroy>;
using Key = Handle<rnp_key_handle_t, rnp_key_handle_destroy>;

/// A string allocated by rnp (fingerprints, JSON), freed with rnp_buffer_destroy.
class String {
public:
  String() = default;
  String(const String&) = delete;
  String& operator=(const String&) = delete;
  String(String&& other) noexcept : m_raw(std::exchange(other.m_raw, nullptr)) {}
  String& operator=(String&& other) noexcept {
    if (this != &other) {
      rnp_buffer_destroy(m_raw);
      m_raw = std::exchange(other.m_raw, nullptr);
    }
    return *this;
  }
  ~String() { rnp_buffer_destroy(m_raw); }

  char** out() {
    rnp_buffer_destroy(m_raw);
    m_raw = nullptr;
    return &m_raw;
  }
  std::string_view view() const { return m_raw != nullptr ? std::string_view(m_raw) : ""; }

private:
  char* m_raw = nullptr;
};

/// An input over `bytes`, not copied: `bytes` must outlive the input.
inline rnp_result_t input_over(Input& input, std::string_view bytes) {
  return rnp_input_from_memory(input.out(), reinterpret_cast<const std::uint8_t*>(bytes.data()),
                               bytes.size(), /*do_copy=*/false);
}

} // namespace list::rnp
