// Copyright 2026 The pidlock Authors. MIT License.
//
// Fuzzes JsonString (src/cli/escape.h): for any bytes, the output is one
// JSON string literal (RFC 8259) in valid UTF-8 with no raw control
// character, and decoding it with the surrogateescape rule (\udcXX is the
// byte XX) gives the bytes back. OneLine's output has no control character.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "src/cli/escape.h"

namespace {

constexpr size_t kMaxInput = 4096;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends code point `cp` (not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Strict UTF-8 (RFC 3629), checked independently of the escaper.
bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    size_t n = b < 0x80         ? 1
               : (b >> 5) == 6  ? 2
               : (b >> 4) == 14 ? 3
               : (b >> 3) == 30 ? 4
                                : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<uint8_t>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

// Decodes a JSON string literal as the escaper writes it; false if it is
// not one.
bool Decode(std::string_view json, std::string* out) {
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') {
    return false;
  }
  json = json.substr(1, json.size() - 2);
  for (size_t i = 0; i < json.size(); ++i) {
    const auto c = static_cast<uint8_t>(json[i]);
    if (c < 0x20 || c == '"') return false;  // must have been escaped
    if (c != '\\') {
      *out += static_cast<char>(c);
      continue;
    }
    if (++i >= json.size()) return false;
    switch (json[i]) {
      case '"':
      case '\\':
      case '/':
        *out += json[i];
        break;
      case 'u': {
        if (i + 4 >= json.size()) return false;
        uint32_t cp = 0;
        for (size_t k = 1; k <= 4; ++k) {
          const int h = Hex(json[i + k]);
          if (h < 0) return false;
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        i += 4;
        if (cp >= 0xDC80 && cp <= 0xDCFF) {
          *out += static_cast<char>(cp - 0xDC00);  // surrogateescape
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
          return false;
        } else {
          AppendUtf8(cp, out);
        }
        break;
      }
      default:
        return false;  // the escaper writes no other escape
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string json = pidlock_cli::JsonString(bytes);
  FUZZ_CHECK(ValidUtf8(json));
  std::string decoded;
  FUZZ_CHECK(Decode(json, &decoded));
  FUZZ_CHECK(decoded == bytes);
  for (char ch : pidlock_cli::OneLine(bytes)) {
    const auto c = static_cast<uint8_t>(ch);
    FUZZ_CHECK(c >= 0x20 && c != 0x7f);
  }
  return 0;
}
