// Copyright 2026 The pidlock Authors. MIT License.
//
// Text the command prints that comes from outside (paths, keys, command
// lines, host names), made safe for its reader: JSON that is always valid
// UTF-8, and text lines that stay one line.

#ifndef PIDLOCK_SRC_CLI_ESCAPE_H_
#define PIDLOCK_SRC_CLI_ESCAPE_H_

#include <string>
#include <string_view>

namespace pidlock_cli {

// A JSON string literal (RFC 8259) of `bytes`, quotes included. Valid UTF-8
// passes through; '"', '\' and control characters are escaped; each byte
// that is not part of valid UTF-8 becomes \udcXX, XX its value (0x80-0xFF),
// as Python's "surrogateescape" does, so the bytes can be recovered:
// json.loads(s).encode("utf-8", "surrogateescape").
std::string JsonString(std::string_view bytes);

// `text` with '\' and every control character escaped (\n, \t, \r, else
// \xHH), so that a line stays one line and cannot move the terminal's
// cursor. Other bytes pass through.
std::string OneLine(std::string_view text);

}  // namespace pidlock_cli

#endif  // PIDLOCK_SRC_CLI_ESCAPE_H_
