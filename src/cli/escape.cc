// Copyright 2026 The pidlock Authors. MIT License.

#include "src/cli/escape.h"

#include <cstdint>
#include <cstdio>

namespace pidlock_cli {
namespace {

// The length of the valid UTF-8 sequence at bytes[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8Length(std::string_view bytes, size_t i) {
  const auto at = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
  const auto continuation = [&](size_t k) {
    return i + k < bytes.size() && (at(k) & 0xC0) == 0x80;
  };
  const uint8_t b = at(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return continuation(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (b == 0xE0 && at(1) < 0xA0) return 0;   // overlong
    if (b == 0xED && at(1) >= 0xA0) return 0;  // a surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (b == 0xF0 && at(1) < 0x90) return 0;   // overlong
    if (b == 0xF4 && at(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void AppendHex(const char* format, unsigned value, std::string* out) {
  char text[8];
  snprintf(text, sizeof(text), format, value);
  *out += text;
}

}  // namespace

std::string JsonString(std::string_view bytes) {
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    const size_t n = Utf8Length(bytes, i);
    if (n == 0) {
      AppendHex("\\udc%02x", c, &out);  // surrogateescape
      ++i;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      AppendHex("\\u%04x", c, &out);
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out + "\"";
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<uint8_t>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      AppendHex("\\x%02x", c, &out);
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace pidlock_cli
