#include "output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "support/utf8.h"

namespace collab::cli {
namespace {
// Display width of UTF-8 text: code points, not bytes, so accented titles line up.
size_t width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

bool stderr_is_terminal() { return ::isatty(2) == 1; }

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right) {
  // Cells hold titles, which are data from the internet: escape what a terminal would act on.
  std::vector<std::vector<std::string>> safe_rows;
  safe_rows.reserve(rows.size());
  for (const auto& r : rows) {
    safe_rows.emplace_back();
    for (const auto& cell : r) safe_rows.back().push_back(terminal_safe(cell));
  }
  std::vector<size_t> w(header.size());
  for (size_t c = 0; c < header.size(); ++c) w[c] = width(header[c]);
  for (const auto& r : safe_rows)
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], width(r[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = w[c] - std::min(w[c], width(cells[c]));
      const bool r = c < right.size() && right[c];
      if (c) out += "  ";
      if (r) out += std::string(pad, ' ');
      out += cells[c];
      if (!r && c + 1 < cells.size()) out += std::string(pad, ' ');
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : safe_rows) out += line(r);
  return out;
}

void print_line(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  if (line.empty() || line.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

void print_json(const nlohmann::json& value) {
  print_line(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string tsv_field(std::string text) {
  for (char& c : text)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace collab::cli
